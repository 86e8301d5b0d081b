/** The part of sodium-native (libsodium bindings, no types of its own) that Ingot uses. */
declare module 'sodium-native' {
  /** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`, under libsodium's strict rules. */
  export function crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  /** True when `point` is the canonical encoding of a point of the prime-order subgroup (not of small order). */
  export function crypto_core_ed25519_is_valid_point(point: Uint8Array): boolean;
}
