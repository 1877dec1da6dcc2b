// Typed errors of the HTTP transport. Every message names the WSMan operation
// and the host (never a credential), and the undici or socket error is kept as
// `cause` for whoever needs the details.

import { AbortError, PsRemoteError, TimeoutError, type ErrorCode } from '../../errors.js';

export interface TransportErrorContext {
  /** WSMan operation the request carried (`Receive`, `Create`, ...). */
  readonly operation?: string | undefined;
  /** `host:port` of the endpoint. */
  readonly host?: string | undefined;
  readonly status?: number | undefined;
}

/** The connection or the HTTP exchange failed (reset, truncation, TLS, unexpected status). */
export class TransportError extends PsRemoteError {
  readonly operation: string | undefined;
  readonly host: string | undefined;
  readonly status: number | undefined;
  constructor(code: ErrorCode, message: string, ctx: TransportErrorContext = {}, cause?: unknown) {
    super(code, `${prefix(ctx)}${message}`, cause === undefined ? undefined : { cause });
    this.operation = ctx.operation;
    this.host = ctx.host;
    this.status = ctx.status;
  }
}

function prefix(ctx: TransportErrorContext): string {
  const parts = [ctx.operation, ctx.host && `to ${ctx.host}`].filter(Boolean);
  return parts.length ? `${parts.join(' ')}: ` : '';
}

const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'INVALID_CA',
]);

const TLS_HINTS: Readonly<Record<string, string>> = {
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chains to a CA that is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the issuer of the server certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server certificate is not trusted',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not name this host',
};

/** Walks `cause` chains for an error code. */
function findCode(e: unknown): { code: string | undefined; err: Error | undefined } {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (TLS_VERIFY_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) {
      return { code, err: cur as Error };
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  const code = (e as { code?: unknown } | undefined)?.code;
  return { code: typeof code === 'string' ? code : undefined, err: e instanceof Error ? e : undefined };
}

/** Turns an undici/socket error into a typed psremote error. */
export function mapRequestError(e: unknown, ctx: TransportErrorContext, aborted: boolean, timeoutMs: number): PsRemoteError {
  if (e instanceof PsRemoteError) return e;
  const where = prefix(ctx);
  if (aborted) return new AbortError(`${where}the request was aborted`, { cause: e });
  const { code, err } = findCode(e);
  const detail = err?.message ?? String(e);
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError(`${where}no answer within ${timeoutMs} ms (read timeout; it must exceed the operation timeout)`, { cause: e });
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError(`${where}connecting timed out`, { cause: e });
    case 'UND_ERR_ABORTED':
      return new AbortError(`${where}the request was aborted`, { cause: e });
    case 'ECONNREFUSED':
      return new TransportError('PSR_TRANSPORT', `connection refused (is WinRM listening on that port?)`, ctx, e);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError('PSR_TRANSPORT', `host name not found`, ctx, e);
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return new TransportError('PSR_TRANSPORT', `the connection was closed before the response was complete (${detail})`, ctx, e);
    default:
      if (code && (TLS_VERIFY_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) {
        const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? altnameHint(err) : (TLS_HINTS[code] ?? 'TLS handshake failed');
        const advice = TLS_VERIFY_CODES.has(code)
          ? code === 'ERR_TLS_CERT_ALTNAME_INVALID'
            ? '; connect by the name in the certificate or set the TLS servername option'
            : '; pass the issuing CA (ca option / --ca FILE) to trust it'
          : '';
        return new TransportError('PSR_TRANSPORT_TLS', `certificate verification failed: ${hint} [${code}]${advice}`, ctx, e);
      }
      return new TransportError('PSR_TRANSPORT', `request failed: ${detail}${code ? ` [${code}]` : ''}`, ctx, e);
  }
}

/**
 * Node's checkServerIdentity error carries the name it checked (`host`) and the
 * peer certificate (`cert`): a user needs both to see why `localhost` fails
 * against a certificate made for `127.0.0.1`.
 */
function altnameHint(err: Error | undefined): string {
  const e = err as (Error & { host?: unknown; cert?: { subjectaltname?: unknown; subject?: { CN?: unknown } } }) | undefined;
  const host = typeof e?.host === 'string' ? e.host : undefined;
  const san = typeof e?.cert?.subjectaltname === 'string' ? e.cert.subjectaltname : undefined;
  const cn = typeof e?.cert?.subject?.CN === 'string' ? e.cert.subject.CN : undefined;
  const names = san ? san.split(/,\s*/).join(', ') : cn ? `CN=${cn}` : undefined;
  const base = TLS_HINTS.ERR_TLS_CERT_ALTNAME_INVALID!;
  if (!host && !names) return base;
  return `${base}: checked "${host ?? '?'}", the certificate names ${names ?? 'nothing'}`;
}
