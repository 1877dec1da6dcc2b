// The probes of `psremote check` below WS-Management: name resolution, TCP, the
// server certificate, and one unauthenticated POST whose 401 tells the schemes
// offered and whose Date header tells the server's clock. Raw node:net/tls/http
// on purpose: the HTTP transport hides exactly what these report (it verifies
// the certificate and answers the 401 itself).

import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, connect as tcpConnect } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { DerReader, decodeOid, TAG_OID, TAG_SEQUENCE } from '../../auth/spnego/der.js';
import { TimeoutError } from '../../errors.js';

export interface CertificateFacts {
  readonly subject: string;
  /** DNS names and IP addresses of the subjectAltName (the CN when there is none). */
  readonly names: readonly string[];
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  /** Days until validTo (negative once expired). */
  readonly daysLeft: number;
  readonly keyBits: number | null;
  readonly signatureAlgorithm: string;
  /** The chain verifies against the system roots or the CA given. */
  readonly trusted: boolean;
  readonly trustError: string | null;
  /** The certificate is valid for the name connected to. */
  readonly nameMatches: boolean;
  readonly nameError: string | null;
}

const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** Weak signature algorithms (a certificate signed so is a warning). */
export const WEAK_SIGNATURES = new Set(['md5WithRSAEncryption', 'sha1WithRSAEncryption', 'ecdsa-with-SHA1']);

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature }. */
function signatureAlgorithm(der: Uint8Array): string {
  try {
    const outer = new DerReader(der, 'certificate', { maxBytes: 1 << 20 });
    const cert = outer.enter(outer.expect(TAG_SEQUENCE, 'Certificate'), 'Certificate');
    cert.expect(TAG_SEQUENCE, 'tbsCertificate');
    const alg = cert.enter(cert.expect(TAG_SEQUENCE, 'signatureAlgorithm'), 'signatureAlgorithm');
    const oid = decodeOid(alg.expect(TAG_OID, 'algorithm').value, 'algorithm', 'certificate');
    return SIGNATURE_ALGORITHMS[oid] ?? oid;
  } catch {
    return 'unreadable';
  }
}

const dn = (o: Record<string, string | string[] | undefined> | undefined) =>
  o ? Object.entries(o).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`).join(', ') : '';

function certificateFacts(cert: PeerCertificate, host: string, authorized: boolean, authError: Error | string | null, now: Date): CertificateFacts {
  const names = (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((n) => n.replace(/^(DNS|IP Address):/, ''));
  const identity = checkServerIdentity(host, cert);
  const validTo = new Date(cert.valid_to);
  return {
    subject: dn(cert.subject as unknown as Record<string, string>),
    names: names.length > 0 ? names : cert.subject?.CN ? [String(cert.subject.CN)] : [],
    issuer: dn(cert.issuer as unknown as Record<string, string>),
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
    keyBits: typeof cert.bits === 'number' ? cert.bits : null,
    signatureAlgorithm: signatureAlgorithm(cert.raw),
    trusted: authorized,
    // Node reports the verification failure as an OpenSSL code string, typed as an Error.
    trustError: authorized ? null : authError ? (typeof authError === 'string' ? authError : (authError.message ?? String(authError))) : 'not trusted',
    nameMatches: identity === undefined,
    nameError: identity ? identity.message : null,
  };
}

export interface NetworkOptions {
  readonly timeoutMs: number;
  readonly ca?: string | Buffer | undefined;
  readonly servername?: string | undefined;
  readonly now: () => Date;
}

/** The addresses a name resolves to (an IP is its own answer). */
export async function resolveHost(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const found = await lookup(host, { all: true });
  return found.map((a) => a.address);
}

/** A TCP connection that opens and closes; rejects with the socket error or a timeout. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new TimeoutError(`no TCP answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.end();
      resolve();
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** The server certificate as presented, verified separately for trust and for the name. */
export function certificateProbe(host: string, port: number, o: NetworkOptions): Promise<CertificateFacts> {
  return new Promise((resolve, reject) => {
    const name = o.servername ?? host;
    const s = tlsConnect({ host, port, ...(isIP(name) ? {} : { servername: name }), rejectUnauthorized: false, ...(o.ca ? { ca: o.ca } : {}) });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new TimeoutError(`no TLS handshake with ${host}:${port} within ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = s.getPeerCertificate(false);
      const facts = certificateFacts(cert, name, s.authorized, s.authorizationError ?? null, o.now());
      s.end();
      resolve(facts);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export interface ChallengeFacts {
  readonly status: number;
  /** Schemes of the WWW-Authenticate headers (Basic, Negotiate, Kerberos, CredSSP, …). */
  readonly schemes: readonly string[];
  /** The server's Date header, if any. */
  readonly serverDate: Date | null;
  /** Server clock minus ours, in seconds (positive: the server is ahead). */
  readonly clockSkewSeconds: number | null;
}

/** One unauthenticated POST of an empty SOAP body: what a WinRM service says to a stranger. */
export function challengeProbe(url: URL, o: NetworkOptions): Promise<ChallengeFacts> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const sent = o.now();
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': '0', 'User-Agent': 'Microsoft WinRM Client' },
        ...(secure ? { rejectUnauthorized: false, ...(o.servername ? { servername: o.servername } : {}) } : {}),
        timeout: o.timeoutMs,
      },
      (res) => {
        res.resume();
        const raw = res.headers['www-authenticate'];
        const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
        const schemes = [...new Set(list.flatMap((h) => h.split(/,\s*(?=[A-Za-z-]+(?:\s|$))/)).map((h) => h.trim().split(/\s+/)[0]!).filter(Boolean))];
        const date = res.headers.date ? new Date(res.headers.date) : null;
        const valid = date && !Number.isNaN(date.getTime()) ? date : null;
        resolve({
          status: res.statusCode ?? 0,
          schemes,
          serverDate: valid,
          // HTTP Date has one-second resolution: compare with the middle of the exchange, rounded.
          clockSkewSeconds: valid ? Math.round((valid.getTime() + 500 - (sent.getTime() + o.now().getTime()) / 2) / 1000) : null,
        });
      },
    );
    req.on('timeout', () => req.destroy(new TimeoutError(`no HTTP answer from ${url.host} within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
