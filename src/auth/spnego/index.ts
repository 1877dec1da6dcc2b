// SPNEGO (RFC 4178, MS-SPNG), sans-I/O: DER tokens and NTLM inside them.
export { DerReader, decodeOid, encodeOid, type DerLimits, type Tlv } from './der.js';
export * from './tokens.js';
export { SpnegoNtlmInitiator, SpnegoNtlmAcceptor, type SpnegoAcceptStep } from './ntlm.js';
