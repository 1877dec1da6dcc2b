// What the local endpoint checks before it processes a request at all, so that
// a web page cannot drive it and a client that has not authenticated cannot
// make it hold memory:
// - CSRF: a page can POST to 127.0.0.1 without a CORS preflight only with
//   text/plain, form or multipart/form-data bodies, and a browser always sends
//   Origin on a cross-site POST. WinRM clients send neither: their bodies are
//   application/soap+xml (pywinrm, pypsrp, Windows, psremote) or, sealed,
//   multipart/encrypted / multipart/x-multi-encrypted, and no Origin.
// - DNS rebinding: a page on attacker.example whose name now resolves to
//   127.0.0.1 sends `Host: attacker.example`; only the address served (any IP
//   literal for a wildcard bind), localhost names for a loopback or wildcard
//   bind, and the configured names are accepted. The port is not compared:
//   port forwarding and proxies change it.
// - Bodies: read with a cap, kept only when the request is authenticated; a
//   refused request's body is read and dropped (the connection stays usable for
//   NTLM's handshake), never kept.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';

const SOAP_TYPES = new Set(['application/soap+xml', 'multipart/encrypted', 'multipart/x-multi-encrypted']);

export interface Refusal {
  readonly status: 400 | 403 | 413;
  readonly reason: string;
}

export interface HostRule {
  /** The address the server listens on, as in its URL (`127.0.0.1`, `[::1]`, `0.0.0.0`). */
  readonly bound: string;
  /** More names clients may use for this server (lower case compared). */
  readonly allowedHosts: readonly string[];
}

const isLoopback = (h: string) => h === 'localhost' || h.endsWith('.localhost') || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
const isWildcard = (h: string) => h === '0.0.0.0' || h === '::';
const unbracket = (h: string) => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h);

/** The host part of a Host header (no port, no brackets), lower case. */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return unbracket(h.slice(0, h.indexOf(']') + 1));
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export function hostAllowed(header: string | undefined, rule: HostRule): boolean {
  if (header === undefined) return true; // HTTP/1.0; browsers always send Host
  const h = hostOf(header);
  const bound = unbracket(rule.bound.toLowerCase());
  if (h === bound) return true;
  if (rule.allowedHosts.some((n) => n.toLowerCase() === h)) return true;
  if (isWildcard(bound)) return isIP(h) !== 0 || isLoopback(h) || h === hostname().toLowerCase();
  return isLoopback(bound) && isLoopback(h);
}

/** Why a request is refused before anything else is done with it, if it is. */
export function refuseBeforeProcessing(req: IncomingMessage, rule: HostRule, maxBody: number): Refusal | undefined {
  if (req.headers.origin !== undefined) return { status: 403, reason: `a request with an Origin header (${req.headers.origin}): browsers may not drive this endpoint` };
  if (!hostAllowed(req.headers.host, rule)) return { status: 403, reason: `Host ${req.headers.host} is not a name of this endpoint (DNS rebinding?)` };
  const ct = req.headers['content-type'];
  const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
  if (ct === undefined ? hasBody : !SOAP_TYPES.has(ct.split(';')[0]!.trim().toLowerCase())) {
    return { status: 400, reason: `Content-Type ${ct ?? '(none)'} is not one WinRM clients send (application/soap+xml, multipart/encrypted, multipart/x-multi-encrypted)` };
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBody) return { status: 413, reason: `request body over ${maxBody} bytes` };
  return undefined;
}

/**
 * Reads the body, keeping it only when `keep`; undefined when it grows past
 * `max` (nothing more is read then). `count` sees every chunk as it arrives.
 */
export async function readBody(req: IncomingMessage, max: number, keep: boolean, count: (n: number) => void): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    count(b.length);
    if (size > max) return undefined;
    if (keep) chunks.push(b);
  }
  return Buffer.concat(chunks);
}
