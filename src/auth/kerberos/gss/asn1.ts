// The few Kerberos ASN.1 types (RFC 4120 5.2) the GSS-API messages need, over
// the project's strict bounded DER reader (auth/spnego/der.ts): INTEGER,
// KerberosTime, KerberosString, PrincipalName, EncryptionKey, Checksum,
// EncryptedData. Decoders take the explicit-tag fields of a SEQUENCE as read
// by `seqFields` (ascending tags, each once, nothing unknown), so a message
// that is not DER is an AuthProtocolError naming the field and offset.

import { concatBytes } from '../../../util/bytes.js';
import { AuthProtocolError } from '../../errors.js';
import { context, DerReader, TAG_GENERAL_STRING, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE, tlv, type Tlv } from '../../spnego/der.js';

export const TAG_GENERALIZED_TIME = 0x18;
/** [APPLICATION n] constructed. */
export const application = (n: number): number => 0x60 | n;

export interface PrincipalName {
  readonly nameType: number;
  readonly components: readonly string[];
}

export interface EncryptionKeyValue {
  readonly keytype: number;
  readonly keyvalue: Uint8Array;
}

export interface EncryptedData {
  readonly etype: number;
  readonly kvno?: number;
  readonly cipher: Uint8Array;
}

/** Reads the explicit-tag fields [0]..[max-1] of a SEQUENCE's contents. */
export function seqFields(r: DerReader, max: number, what: string): Map<number, Tlv> {
  const out = new Map<number, Tlv>();
  let last = -1;
  while (!r.done) {
    const t = r.next(`${what} field`);
    const n = t.tag & 0x1f;
    if ((t.tag & 0xe0) !== 0xa0 || n >= max) throw new AuthProtocolError(`${what}: unexpected tag 0x${t.tag.toString(16)} at offset ${t.offset}`, r.where);
    if (n <= last) throw new AuthProtocolError(`${what}: field [${n}] at offset ${t.offset} is out of order or repeated`, r.where);
    last = n;
    out.set(n, t);
  }
  return out;
}

/** The fields of `[APPLICATION app] SEQUENCE` (or a bare SEQUENCE when app is undefined). */
export function openSequence(r: DerReader, t: Tlv, app: number | undefined, max: number, what: string): { r: DerReader; f: Map<number, Tlv> } {
  let seq = t;
  let outer = r;
  if (app !== undefined) {
    if (t.tag !== application(app)) throw new AuthProtocolError(`${what}: tag 0x${t.tag.toString(16)} at offset ${t.offset}, expected [APPLICATION ${app}]`, r.where);
    outer = r.enter(t, what);
    seq = outer.expect(TAG_SEQUENCE, what);
    outer.end(what);
  } else if (t.tag !== TAG_SEQUENCE) throw new AuthProtocolError(`${what}: tag 0x${t.tag.toString(16)} at offset ${t.offset}, expected a SEQUENCE`, r.where);
  const body = outer.enter(seq, what);
  return { r: body, f: seqFields(body, max, what) };
}

export function required(f: Map<number, Tlv>, n: number, what: string, where: string): Tlv {
  const t = f.get(n);
  if (!t) throw new AuthProtocolError(`${what} [${n}] is missing`, where);
  return t;
}

/** The single value inside an explicit tag. */
export function inner(r: DerReader, t: Tlv, tag: number, what: string): Tlv {
  const c = r.enter(t, what);
  const v = c.expect(tag, what);
  c.end(what);
  return v;
}

export function readInt(r: DerReader, t: Tlv, what: string): number {
  const v = inner(r, t, TAG_INTEGER, what).value;
  if (v.byteLength === 0 || v.byteLength > 5) throw new AuthProtocolError(`${what}: INTEGER of ${v.byteLength} bytes`, r.where);
  if (v.byteLength > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw new AuthProtocolError(`${what}: INTEGER is not minimally encoded`, r.where);
  }
  let n = v[0]! & 0x80 ? -1 : 0;
  for (const b of v) n = n * 256 + b;
  if (n < -0x80000000 || n > 0xffffffff) throw new AuthProtocolError(`${what}: INTEGER ${n} out of 32-bit range`, r.where);
  return n;
}

export function readOctets(r: DerReader, t: Tlv, what: string): Uint8Array {
  return inner(r, t, TAG_OCTET_STRING, what).value;
}

export function readString(r: DerReader, t: Tlv, what: string): string {
  return Buffer.from(inner(r, t, TAG_GENERAL_STRING, what).value).toString('utf8');
}

export function readTime(r: DerReader, t: Tlv, what: string): Date {
  const s = Buffer.from(inner(r, t, TAG_GENERALIZED_TIME, what).value).toString('latin1');
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new AuthProtocolError(`${what}: KerberosTime ${JSON.stringify(s.slice(0, 20))} is not YYYYMMDDHHMMSSZ`, r.where);
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

export function readPrincipal(r: DerReader, t: Tlv, what: string): PrincipalName {
  const c = r.enter(t, what);
  const { r: body, f } = openSequence(c, c.next(what), undefined, 2, what);
  c.end(what);
  const nameType = readInt(body, required(f, 0, `${what} name-type`, body.where), `${what} name-type`);
  const list = inner(body, required(f, 1, `${what} name-string`, body.where), TAG_SEQUENCE, `${what} name-string`);
  const lr = body.enter(list, `${what} name-string`);
  const components: string[] = [];
  while (!lr.done) {
    if (components.length >= 16) throw new AuthProtocolError(`${what} has more than 16 components`, lr.where);
    components.push(Buffer.from(lr.expect(TAG_GENERAL_STRING, 'KerberosString').value).toString('utf8'));
  }
  return { nameType, components };
}

export function readEncryptionKey(r: DerReader, t: Tlv, what: string): EncryptionKeyValue {
  const c = r.enter(t, what);
  const { r: body, f } = openSequence(c, c.next(what), undefined, 2, what);
  c.end(what);
  return { keytype: readInt(body, required(f, 0, `${what} keytype`, body.where), `${what} keytype`), keyvalue: readOctets(body, required(f, 1, `${what} keyvalue`, body.where), `${what} keyvalue`) };
}

export function readChecksum(r: DerReader, t: Tlv, what: string): { cksumtype: number; checksum: Uint8Array } {
  const c = r.enter(t, what);
  const { r: body, f } = openSequence(c, c.next(what), undefined, 2, what);
  c.end(what);
  return { cksumtype: readInt(body, required(f, 0, `${what} cksumtype`, body.where), `${what} cksumtype`), checksum: readOctets(body, required(f, 1, `${what} checksum`, body.where), `${what} checksum`) };
}

export function readEncryptedData(r: DerReader, t: Tlv, what: string): EncryptedData {
  const c = r.enter(t, what);
  const { r: body, f } = openSequence(c, c.next(what), undefined, 3, what);
  c.end(what);
  const kvnoT = f.get(1);
  return {
    etype: readInt(body, required(f, 0, `${what} etype`, body.where), `${what} etype`),
    ...(kvnoT ? { kvno: readInt(body, kvnoT, `${what} kvno`) } : {}),
    cipher: readOctets(body, required(f, 2, `${what} cipher`, body.where), `${what} cipher`),
  };
}

// ---------------------------------------------------------------- writers

export function encInt(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(((v % 256) + 256) % 256);
    v = Math.floor(v / 256);
  } while (v !== 0 && v !== -1);
  if (n >= 0 && bytes[0]! & 0x80) bytes.unshift(0);
  if (n < 0 && !(bytes[0]! & 0x80)) bytes.unshift(0xff);
  return tlv(TAG_INTEGER, Uint8Array.from(bytes));
}

export const field = (n: number, ...content: Uint8Array[]): Uint8Array => tlv(context(n), ...content);
export const encOctets = (v: Uint8Array): Uint8Array => tlv(TAG_OCTET_STRING, v);
export const encString = (s: string): Uint8Array => tlv(TAG_GENERAL_STRING, new Uint8Array(Buffer.from(s, 'utf8')));

export function encTime(d: Date): Uint8Array {
  const s = d.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return tlv(TAG_GENERALIZED_TIME, new Uint8Array(Buffer.from(s, 'latin1')));
}

export function encPrincipal(p: PrincipalName): Uint8Array {
  return tlv(TAG_SEQUENCE, field(0, encInt(p.nameType)), field(1, tlv(TAG_SEQUENCE, ...p.components.map(encString))));
}

export function encEncryptionKey(k: EncryptionKeyValue): Uint8Array {
  return tlv(TAG_SEQUENCE, field(0, encInt(k.keytype)), field(1, encOctets(k.keyvalue)));
}

export function encEncryptedData(e: EncryptedData): Uint8Array {
  const parts = [field(0, encInt(e.etype))];
  if (e.kvno !== undefined) parts.push(field(1, encInt(e.kvno)));
  parts.push(field(2, encOctets(e.cipher)));
  return tlv(TAG_SEQUENCE, ...parts);
}

export function encChecksum(cksumtype: number, checksum: Uint8Array): Uint8Array {
  return tlv(TAG_SEQUENCE, field(0, encInt(cksumtype)), field(1, encOctets(checksum)));
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(TAG_SEQUENCE, ...parts);
export const app = (n: number, ...parts: Uint8Array[]): Uint8Array => tlv(application(n), seq(...parts));
export { concatBytes };
