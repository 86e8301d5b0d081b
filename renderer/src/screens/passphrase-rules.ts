/**
 * The node's own minimum (PASSPHRASE_CHARS_MIN in the API contract). Importing that value would pull
 * the contract's schema library into the bundle, so the number is repeated; the node checks it anyway.
 */
export const PASSPHRASE_MIN_CHARS = 8;
