// The authentication seam of the HTTP transport. A scheme (`HttpAuth`) makes
// one context per connection, because NTLM, Kerberos and CredSSP authenticate a
// TCP connection, not a request: the context sees every request before it is
// sent (headers, body wrapping), every 401 (another leg on the same socket) and
// every response (unwrapping `multipart/encrypted`). Basic and client
// certificates are the trivial cases; the multi-leg schemes live in src/auth/
// and plug in here.

import type { TLSSocket } from 'node:tls';
import { UsageError } from '../../errors.js';
import type { Endpoint } from './endpoint.js';

export interface HttpAuthRequest {
  readonly operation: string;
  /** Lower-case header names; the context may add or replace entries. */
  readonly headers: Record<string, string>;
  /** The body to send; a sealing context replaces it (and the content-type header). */
  body: Uint8Array;
}

export interface HttpAuthResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface HttpConnectionInfo {
  readonly endpoint: Endpoint;
  /** Increments every time undici opens a new socket for this connection. */
  readonly generation: number;
  /** The TLS socket of the current generation (channel binding), if https. */
  readonly tlsSocket: TLSSocket | undefined;
}

export interface HttpAuthContext {
  /** No credential at all (noAuth): a 401 then means one is needed, not that it was wrong. */
  readonly anonymous?: boolean;
  /** Before each request on this connection. */
  authorize(request: HttpAuthRequest, connection: HttpConnectionInfo): void | Promise<void>;
  /**
   * The server answered 401. Prepare `request` for another leg on the same
   * connection and return true, or return false to give up (AuthRejectedError).
   */
  challenge?(response: HttpAuthResponse, request: HttpAuthRequest, connection: HttpConnectionInfo): boolean | Promise<boolean>;
  /**
   * A non-401 response that completed a handshake leg sent without the real
   * body (Kerberos with message encryption: the AP-REP brings the key that
   * seals it). Prepare `request` with the body and return true to send it on
   * the same connection; false goes on to unwrap().
   */
  resend?(response: HttpAuthResponse, request: HttpAuthRequest, connection: HttpConnectionInfo): boolean | Promise<boolean>;
  /** Every non-401 response, e.g. to decrypt a sealed body. */
  unwrap?(response: HttpAuthResponse, connection: HttpConnectionInfo): HttpAuthResponse | Promise<HttpAuthResponse>;
  /** The socket changed (new generation): drop connection-bound state. */
  reset?(): void;
  /**
   * The context is established on this connection's current socket, so the
   * socket may serve another transport of the same user (connection-reuse.ts).
   * Absent: never reused.
   */
  established?(connection: HttpConnectionInfo): boolean;
}

export interface HttpAuthCheck {
  readonly allowUnencrypted: boolean;
  readonly hasClientCertificate: boolean;
}

export interface HttpAuth {
  /** `none`, `basic`, `certificate`, `ntlm`, `negotiate`, `kerberos`, `credssp`. */
  readonly scheme: string;
  /** Throws UsageError when this scheme must not be used on this endpoint. */
  check(endpoint: Endpoint, options: HttpAuthCheck): void;
  newContext(): HttpAuthContext;
  /**
   * Schemes that authenticate a connection (NTLM, Kerberos) give the identity
   * their contexts authenticate as, digested (connection-reuse.ts): an idle
   * authenticated connection of a closed transport with the same key (and the
   * same connection options) is taken by the next one instead of a new
   * handshake. Absent (Basic, certificate, CredSSP, none): never reused.
   */
  readonly reuseKey?: string;
}

/** No credentials (a local endpoint, a replay server, or a proxy that authenticates). */
export function noAuth(): HttpAuth {
  return { scheme: 'none', check() {}, newContext: () => ({ anonymous: true, authorize() {} }) };
}

/**
 * HTTP Basic. The password crosses the wire in clear text on http://, so it is
 * refused there unless `allowUnencrypted` is set explicitly (the server must
 * also have AllowUnencrypted=true).
 */
export function basicAuth(username: string, password: string): HttpAuth {
  if (!username) throw new UsageError('Basic authentication needs a user name');
  const value = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  return {
    scheme: 'basic',
    check(endpoint, options) {
      if (!endpoint.secure && !options.allowUnencrypted) {
        throw new UsageError(
          `refusing Basic authentication over unencrypted http to ${endpoint.display}: the password would be sent in clear text. ` +
            'Use https, or set allowUnencrypted: true (--insecure-allow-unencrypted) if you accept that',
        );
      }
    },
    newContext: () => ({
      authorize(request) {
        request.headers.authorization = value;
      },
      challenge: () => false,
    }),
  };
}

/** TLS client-certificate authentication: the certificate does the work, no header. */
export function certificateAuth(): HttpAuth {
  return {
    scheme: 'certificate',
    check(endpoint, options) {
      if (!endpoint.secure) throw new UsageError(`certificate authentication needs https; ${endpoint.url} is http`);
      if (!options.hasClientCertificate) throw new UsageError('certificate authentication needs a client certificate and key (tls.cert / tls.key, --cert/--key)');
    },
    newContext: () => ({ authorize() {}, challenge: () => false }),
  };
}
