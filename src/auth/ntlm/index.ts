// NTLM (MS-NLMP), sans-I/O: tokens and sealed messages in, tokens and sealed messages out.
export { NtlmInitiator, type NtlmInitiatorOptions } from './initiator.js';
export { NtlmAcceptor, type NtlmAcceptorOptions, type NtlmAcceptResult, type NtlmUserLookup, type ChannelBindingPolicy } from './acceptor.js';
export { NtlmSessionSecurity, type WrappedMessage } from './session-security.js';
export { resolveCredentials, parseNtHash, type NtlmCredentials } from './credentials.js';
export { decodeNegotiate, decodeChallenge, decodeAuthenticate, type NegotiateMessage, type ChallengeMessage, type AuthenticateMessage } from './messages.js';
export { ntowfv1 as ntHash } from './crypto.js';
export { flagNames } from './flags.js';
export { md4 } from './md4.js';
export { Rc4 } from './rc4.js';
