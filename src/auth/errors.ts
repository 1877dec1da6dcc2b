// Typed errors of the authentication mechanisms (NTLM today). Messages name
// the message and field that was wrong; they never carry a password, a hash,
// a key, a token or sealed plaintext.

import { PsRemoteError, RemoteProtocolError, type ErrorCode } from '../errors.js';

/** A token or sealed message is malformed, truncated or out of order (PSR_AUTH_INVALID). */
export class AuthProtocolError extends RemoteProtocolError {
  constructor(message: string, where?: string) {
    super('PSR_AUTH_INVALID', message, where === undefined ? undefined : { where });
  }
}

/** A signature, MIC or sealed length did not verify (PSR_AUTH_INTEGRITY): tampering or a broken context. */
export class AuthIntegrityError extends PsRemoteError {
  constructor(message: string) {
    super('PSR_AUTH_INTEGRITY', message);
  }
}

export type AuthFailureCode = Extract<ErrorCode, 'PSR_AUTH_REJECTED' | 'PSR_AUTH_CHANNEL_BINDING' | 'PSR_AUTH_NEGOTIATION'>;

/**
 * Authentication did not succeed: the acceptor found the credentials wrong
 * (PSR_AUTH_REJECTED), the channel binding missing or different
 * (PSR_AUTH_CHANNEL_BINDING), or the peers could not agree on what both
 * require, such as 128-bit sealing (PSR_AUTH_NEGOTIATION).
 */
export class AuthFailedError extends PsRemoteError {
  constructor(code: AuthFailureCode, message: string) {
    super(code, message);
  }
}
