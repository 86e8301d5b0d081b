/** The part of sodium-native (libsodium bindings, no types of its own) that Ingot uses. */
declare module 'sodium-native' {
  /** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`, under libsodium's strict rules. */
  export function crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}
