// Kerberos messages (RFC 4120 5) through the strict DER codec.
export * from './common.js';
export * from './constants.js';
export * from './ticket.js';
export * from './kdc.js';
export * from './padata.js';
export * from './ap-req.js';
export { KRB_MAX_MESSAGE } from './der.js';
