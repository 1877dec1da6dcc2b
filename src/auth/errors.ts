// Typed errors of the authentication mechanisms (NTLM, Kerberos, SPNEGO,
// CredSSP). Messages name the message and field that was wrong; they never
// carry a password, a hash, a key, a token or sealed plaintext. Each code has
// one class (docs/errors.md).

import { PsRemoteError, RemoteProtocolError, limitExceeded, type ErrorCode } from '../errors.js';
import { ByteReader } from '../util/bytes.js';

/** A token or sealed message is malformed, truncated, over a size or depth limit, or out of order (PSR_AUTH_INVALID). */
export class AuthProtocolError extends RemoteProtocolError {
  constructor(message: string, where?: string) {
    super('PSR_AUTH_INVALID', message, where === undefined ? undefined : { where });
  }

  /** A token over a limit: still PSR_AUTH_INVALID (a malformed token to the caller), the limit named in the message. */
  static limit(limit: string, max: number, actual: number, where?: string): AuthProtocolError {
    return new AuthProtocolError(limitExceeded(limit, max, actual), where);
  }
}

/** A bounds-checked reader over a token whose reads past the end are AuthProtocolError. */
export function tokenReader(bytes: Uint8Array, where?: string): ByteReader {
  return new ByteReader(bytes, { fail: (message, w) => new AuthProtocolError(message, w), ...(where === undefined ? {} : { where }) });
}

/**
 * A signature, MIC or sealed length did not verify (PSR_AUTH_INTEGRITY):
 * tampering or a broken context. `what` names what was being verified when the
 * mechanism says (Kerberos: "AS-REP enc-part").
 */
export class AuthIntegrityError extends PsRemoteError {
  readonly what: string | undefined;
  constructor(message: string, what?: string) {
    super('PSR_AUTH_INTEGRITY', what === undefined ? message : `${what}: ${message}`);
    this.what = what;
  }
}

/** The acceptor, the KDC's answer or the server refused the credentials (PSR_AUTH_REJECTED). */
export class AuthRejectedError extends PsRemoteError {
  /** WSMan operation the request carried, when the HTTP transport saw the 401. */
  readonly operation: string | undefined;
  /** `host:port` of the endpoint, when the HTTP transport saw the 401. */
  readonly host: string | undefined;
  readonly status: number;
  /** Schemes the server offered in WWW-Authenticate (`Negotiate`, `Basic`, ...); empty when no HTTP answer said. */
  readonly offered: readonly string[];
  constructor(message: string, ctx: { operation?: string | undefined; host?: string | undefined; status?: number | undefined; offered?: readonly string[] } = {}) {
    const where = [ctx.operation, ctx.host && `to ${ctx.host}`].filter(Boolean);
    super('PSR_AUTH_REJECTED', `${where.length ? `${where.join(' ')}: ` : ''}${message}`);
    this.operation = ctx.operation;
    this.host = ctx.host;
    this.status = ctx.status ?? 401;
    this.offered = ctx.offered ?? [];
  }
}

export type AuthFailureCode = Extract<ErrorCode, 'PSR_AUTH_CHANNEL_BINDING' | 'PSR_AUTH_NEGOTIATION'>;

/**
 * Authentication did not succeed for a reason other than the credentials: the
 * channel binding missing or different (PSR_AUTH_CHANNEL_BINDING), or the
 * peers could not agree on what both require, such as 128-bit sealing
 * (PSR_AUTH_NEGOTIATION). Wrong credentials are AuthRejectedError.
 */
export class AuthFailedError extends PsRemoteError {
  constructor(code: AuthFailureCode, message: string) {
    super(code, message);
  }
}
