// The DER structures of CredSSP (MS-CSSP 2.2.1): TSRequest, which carries
// every leg (the SPNEGO tokens, the public-key binding, the encrypted
// credentials, an error code), and TSCredentials with its TSPasswordCreds.
// Through the strict DER reader of src/auth/spnego/der.ts: fields must be in
// order, each once, none unknown, no trailing bytes, so a hostile or broken
// peer gets an AuthProtocolError naming the field and offset.
// Credential types other than password (smart card, Remote Guard) are kept
// as their raw DER: psremote delegates passwords only.

import { AuthProtocolError } from '../errors.js';
import { context, DerReader, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE, tlv, type DerLimits, type Tlv } from '../spnego/der.js';
import { UsageError } from '../../errors.js';

/** The highest TSRequest version psremote speaks (MS-CSSP 2.2.1: 6 adds the clientNonce for every binding). */
export const CREDSSP_VERSION = 6;

export interface TSRequest {
  readonly version: number;
  /** NegoData: the SPNEGO tokens of this leg (in practice one). */
  readonly negoTokens?: readonly Uint8Array[];
  /** The encrypted TSCredentials (last client leg). */
  readonly authInfo?: Uint8Array;
  /** The encrypted public-key binding. */
  readonly pubKeyAuth?: Uint8Array;
  /** An NTSTATUS (versions 3+), as the signed 32-bit value it was sent as. */
  readonly errorCode?: number;
  /** 32 random bytes (versions 5+), which the binding hash covers. */
  readonly clientNonce?: Uint8Array;
}

/** TSCredentials.credType (MS-CSSP 2.2.1.2): what the client delegates. */
export const CredType = { Password: 1, SmartCard: 2, RemoteGuard: 6 } as const;

export interface TSCredentials {
  readonly credType: number;
  /** The DER of TSPasswordCreds, TSSmartCardCreds or TSRemoteGuardCreds. */
  readonly credentials: Uint8Array;
}

/** UTF-16LE strings, as MS-CSSP 2.2.1.2.1 sends them. */
export interface TSPasswordCreds {
  readonly domainName: string;
  readonly userName: string;
  readonly password: string;
}

const WHERE = 'CredSSP';

// ---------------------------------------------------------------- INTEGER

/** A DER INTEGER of at most 5 bytes (an NTSTATUS may be sent as 00 C0 xx xx xx), as a signed value. */
export function decodeInteger(t: Tlv, what: string): number {
  const v = t.value;
  if (v.byteLength === 0) throw new AuthProtocolError(`${what}: empty INTEGER at offset ${t.offset}`, WHERE);
  if (v.byteLength > 5) throw new AuthProtocolError(`${what}: INTEGER of ${v.byteLength} bytes is too large at offset ${t.offset}`, WHERE);
  if (v.byteLength > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) {
    throw new AuthProtocolError(`${what}: INTEGER is not minimally encoded (not DER) at offset ${t.offset}`, WHERE);
  }
  let n = v[0]! >= 0x80 ? -1 : 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

export function encodeInteger(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < -(2 ** 39) || n >= 2 ** 39) throw new UsageError(`INTEGER out of range: ${n}`);
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(((v % 256) + 256) % 256);
    v = Math.floor(v / 256);
  } while (!(v === 0 && bytes[0]! < 0x80) && !(v === -1 && bytes[0]! >= 0x80));
  return tlv(TAG_INTEGER, Uint8Array.from(bytes));
}

// ---------------------------------------------------------------- helpers

/** Reads the optional context fields [first..last] in ascending order, each once. */
function fields(r: DerReader, names: readonly string[], required: readonly number[]): Map<number, Tlv> {
  const got = new Map<number, Tlv>();
  let last = -1;
  while (!r.done) {
    const tag = r.peekTag()!;
    const n = tag - 0xa0;
    const t = r.next(`field [${n}]`);
    if (n < 0 || n >= names.length) throw new AuthProtocolError(`unknown field tag 0x${tag.toString(16)} at offset ${t.offset}`, r.where);
    if (n <= last) throw new AuthProtocolError(`${names[n]} out of order or repeated at offset ${t.offset}`, r.where);
    last = n;
    got.set(n, t);
  }
  for (const n of required) if (!got.has(n)) throw new AuthProtocolError(`${names[n]} is missing`, r.where);
  return got;
}


function octets(r: DerReader, t: Tlv | undefined, what: string): Uint8Array | undefined {
  return t === undefined ? undefined : r.inner(t, TAG_OCTET_STRING, what).value.slice();
}

function top(bytes: Uint8Array, what: string, limits?: DerLimits): DerReader {
  const r = new DerReader(bytes, WHERE, limits);
  const seq = r.expect(TAG_SEQUENCE, what);
  r.end(what);
  return r.enter(seq, what);
}

// ---------------------------------------------------------------- TSRequest

const REQUEST_FIELDS = ['version', 'negoTokens', 'authInfo', 'pubKeyAuth', 'errorCode', 'clientNonce'] as const;

export function decodeTSRequest(bytes: Uint8Array, limits?: DerLimits): TSRequest {
  const r = top(bytes, 'TSRequest', limits);
  const f = fields(r, REQUEST_FIELDS, [0]);
  const version = decodeInteger(r.inner(f.get(0)!, TAG_INTEGER, 'version'), 'version');
  if (version < 1) throw new AuthProtocolError(`TSRequest version ${version} is not a CredSSP version`, WHERE);
  const out: { -readonly [K in keyof TSRequest]: TSRequest[K] } = { version };
  const nego = f.get(1);
  if (nego) {
    const n = r.enter(nego, 'negoTokens');
    const list = n.enter(n.expect(TAG_SEQUENCE, 'NegoData'), 'NegoData');
    n.end('negoTokens');
    const tokens: Uint8Array[] = [];
    while (!list.done) {
      const item = list.enter(list.expect(TAG_SEQUENCE, 'NegoData item'), 'NegoData item');
      const g = fields(item, ['negoToken'], [0]);
      tokens.push(octets(item, g.get(0), 'negoToken')!);
    }
    if (tokens.length === 0) throw new AuthProtocolError('negoTokens is an empty NegoData', WHERE);
    out.negoTokens = tokens;
  }
  const authInfo = octets(r, f.get(2), 'authInfo');
  if (authInfo) out.authInfo = authInfo;
  const pubKeyAuth = octets(r, f.get(3), 'pubKeyAuth');
  if (pubKeyAuth) out.pubKeyAuth = pubKeyAuth;
  const e = f.get(4);
  if (e) out.errorCode = decodeInteger(r.inner(e, TAG_INTEGER, 'errorCode'), 'errorCode');
  const nonce = octets(r, f.get(5), 'clientNonce');
  // The length (32 in MS-CSSP 3.1.5) is checked by the acceptor, which uses it; pyspnego's sample has 12.
  if (nonce) out.clientNonce = nonce;
  return out;
}

export function encodeTSRequest(m: TSRequest): Uint8Array {
  const parts: Uint8Array[] = [tlv(context(0), encodeInteger(m.version))];
  if (m.negoTokens) {
    parts.push(tlv(context(1), tlv(TAG_SEQUENCE, ...m.negoTokens.map((t) => tlv(TAG_SEQUENCE, tlv(context(0), tlv(TAG_OCTET_STRING, t)))))));
  }
  if (m.authInfo) parts.push(tlv(context(2), tlv(TAG_OCTET_STRING, m.authInfo)));
  if (m.pubKeyAuth) parts.push(tlv(context(3), tlv(TAG_OCTET_STRING, m.pubKeyAuth)));
  if (m.errorCode !== undefined) parts.push(tlv(context(4), encodeInteger(m.errorCode)));
  if (m.clientNonce) parts.push(tlv(context(5), tlv(TAG_OCTET_STRING, m.clientNonce)));
  return tlv(TAG_SEQUENCE, ...parts);
}

// ---------------------------------------------------------------- TSCredentials

export function decodeTSCredentials(bytes: Uint8Array, limits?: DerLimits): TSCredentials {
  const r = top(bytes, 'TSCredentials', limits);
  const f = fields(r, ['credType', 'credentials'], [0, 1]);
  const credType = decodeInteger(r.inner(f.get(0)!, TAG_INTEGER, 'credType'), 'credType');
  return { credType, credentials: octets(r, f.get(1), 'credentials')! };
}

export function encodeTSCredentials(c: TSCredentials): Uint8Array {
  return tlv(TAG_SEQUENCE, tlv(context(0), encodeInteger(c.credType)), tlv(context(1), tlv(TAG_OCTET_STRING, c.credentials)));
}

function utf16(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf16le'));
}

function fromUtf16(b: Uint8Array, what: string): string {
  if (b.byteLength % 2 !== 0) throw new AuthProtocolError(`${what} has an odd number of bytes (${b.byteLength}): not UTF-16LE`, WHERE);
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf16le');
}

export function decodeTSPasswordCreds(bytes: Uint8Array, limits?: DerLimits): TSPasswordCreds {
  const r = top(bytes, 'TSPasswordCreds', limits);
  const f = fields(r, ['domainName', 'userName', 'password'], [0, 1, 2]);
  return {
    domainName: fromUtf16(octets(r, f.get(0), 'domainName')!, 'domainName'),
    userName: fromUtf16(octets(r, f.get(1), 'userName')!, 'userName'),
    password: fromUtf16(octets(r, f.get(2), 'password')!, 'password'),
  };
}

export function encodeTSPasswordCreds(c: TSPasswordCreds): Uint8Array {
  return tlv(
    TAG_SEQUENCE,
    tlv(context(0), tlv(TAG_OCTET_STRING, utf16(c.domainName))),
    tlv(context(1), tlv(TAG_OCTET_STRING, utf16(c.userName))),
    tlv(context(2), tlv(TAG_OCTET_STRING, utf16(c.password))),
  );
}

/** TSCredentials of type password around TSPasswordCreds. */
export function encodePasswordCredentials(c: TSPasswordCreds): Uint8Array {
  return encodeTSCredentials({ credType: CredType.Password, credentials: encodeTSPasswordCreds(c) });
}

