import { limits } from './limits.ts';

/** The shapes of names and ids, shared by the message schemas and the RPC API's. */

export const CONTRACT_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const METHOD_NAME = /^[a-z][a-zA-Z0-9]{0,47}$/;
/** An id a transaction is about: printable ASCII without spaces, so it sorts and never holds the index separator. */
export const SUBJECT = new RegExp(`^[\\x21-\\x7e]{1,${limits.subjectCharsMax}}$`);
/** An organisation id: 20 bytes as lower-case hex. */
export const ORG_ID = /^[0-9a-f]{40}$/;
