// What NTLM, Kerberos and CredSSP over HTTP do alike once their context
// exists: tell whether a response must be unsealed (and refuse an unsealed
// SOAP answer on a sealed session), hand the response back with its plain
// SOAP body, and take the tls-server-end-point channel bindings of the socket.
// Written once so the three schemes refuse the same things in the same words.

import { AuthIntegrityError, AuthProtocolError } from '../../auth/errors.js';
import { certificateChannelBindings } from '../../auth/channel-bindings.js';
import { encryptedProtocolOf } from '../../auth/winrm-encryption.js';
import type { HttpAuthResponse, HttpConnectionInfo } from './auth.js';

/**
 * Whether `res` carries a body sealed with `protocol`. An empty body and
 * HTTP.sys's own error pages (400, 503 HTML) come unsealed and are passed
 * through (false); an unsealed SOAP answer on a sealed session, or another
 * protocol, is an error (`forget` drops the context first).
 */
export function mustUnseal(res: HttpAuthResponse, conn: HttpConnectionInfo, protocol: string, mechanism: string, forget: () => void): boolean {
  const ct = Array.isArray(res.headers['content-type']) ? res.headers['content-type'][0] : res.headers['content-type'];
  const sealedWith = encryptedProtocolOf(ct);
  if (sealedWith === undefined) {
    if (res.body.length === 0 || (res.status !== 200 && !/xml/i.test(ct ?? ''))) return false;
    forget();
    throw new AuthIntegrityError(`the server sent an unencrypted ${ct ?? 'untyped'} response (HTTP ${res.status}) on an encrypted ${mechanism} session`);
  }
  if (sealedWith.toLowerCase() !== protocol.toLowerCase()) throw new AuthProtocolError(`the server sealed its response with ${sealedWith}, expected ${protocol}`, conn.endpoint.display);
  return true;
}

/** Whether WinRM message encryption applies on this connection: `auto` seals over http only (https already encrypts). */
export function sealsOn(mode: 'auto' | 'always' | 'never', conn: HttpConnectionInfo): boolean {
  return mode === 'always' || (mode === 'auto' && !conn.endpoint.secure);
}

/** The response's body as bytes, without a copy. */
export function bodyBytes(res: HttpAuthResponse): Uint8Array {
  return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
}

/** `res` with its sealed body replaced by the plain SOAP. */
export function withPlainBody(res: HttpAuthResponse, plain: Uint8Array, charset: string | undefined): HttpAuthResponse {
  return {
    status: res.status,
    headers: { ...res.headers, 'content-type': `application/soap+xml;charset=${charset ?? 'UTF-8'}`, 'content-length': String(plain.byteLength) },
    body: Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength),
  };
}

/** Runs `unseal`; a failure leaves the sealing state out of step, so the context is dropped (the next request authenticates afresh). */
export function unsealOrForget<T>(unseal: () => T, forget: () => void): T {
  try {
    return unseal();
  } catch (e) {
    forget();
    throw e;
  }
}

/** The charset a request's content type names (UTF-8 when none). */
export function charsetOf(contentType: string): string {
  return /charset\s*=\s*"?([^";]+)/i.exec(contentType)?.[1] ?? 'UTF-8';
}

/** RFC 5929 tls-server-end-point bindings of the socket's server certificate, if there is one. */
export function channelBindingsOf(conn: HttpConnectionInfo): Uint8Array | undefined {
  // getPeerCertificate().raw can be read repeatedly (getPeerX509Certificate only once on Node 20).
  const raw = conn.tlsSocket?.getPeerCertificate()?.raw;
  if (!raw || raw.length === 0) return undefined;
  return certificateChannelBindings(new Uint8Array(raw));
}
