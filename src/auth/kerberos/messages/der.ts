// Kerberos' use of the project's strict DER codec (auth/spnego/der.ts):
// explicit context tags around every field (RFC 4120 5.2), Int32/UInt32
// INTEGERs, KerberosString as GeneralString holding UTF-8, KerberosTime as
// GeneralizedTime "YYYYMMDDHHMMSSZ" exactly, KerberosFlags as a 32-bit BIT
// STRING. Every decoder names the field that was wrong and where.

import { concatBytes } from '../../../util/bytes.js';
import { AuthProtocolError } from '../../errors.js';
import { context, DerReader, TAG_BIT_STRING, TAG_GENERAL_STRING, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE, tlv } from '../../spnego/der.js';
import { UsageError } from '../../../errors.js';

export { context, DerReader, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE, tlv };
export const TAG_GENERALIZED_TIME = 0x18;

/**
 * Largest Kerberos message accepted: a ticket carrying an Active Directory
 * PAC for a user in many groups reaches tens of KiB (MaxTokenSize is 48 000
 * by default, 65 535 at most); a KDC reply holds one ticket.
 */
export const KRB_MAX_MESSAGE = 256 * 1024;
/** AS-REP → ticket → enc-part nests 9 deep; KRB-CRED a little more. */
const MAX_DEPTH = 14;

/** [APPLICATION n] constructed. */
export const application = (n: number): number => 0x60 | n;

/** A reader over a whole message, with the Kerberos size and depth limits. */
export function messageReader(bytes: Uint8Array, where: string): DerReader {
  if (bytes.byteLength > KRB_MAX_MESSAGE) throw AuthProtocolError.limit('Kerberos message size', KRB_MAX_MESSAGE, bytes.byteLength, where);
  return new DerReader(bytes, where, { maxBytes: KRB_MAX_MESSAGE, maxDepth: MAX_DEPTH });
}

/** The whole message must be one TLV of `tag`; returns a reader over its contents. */
export function openMessage(bytes: Uint8Array, tag: number, what: string): DerReader {
  const r = messageReader(bytes, what);
  const t = r.expect(tag, what);
  r.end(what);
  return r.enter(t, what);
}

/** The whole message must be `[APPLICATION]`-tagged `tag` around one SEQUENCE; returns a reader over the SEQUENCE's fields. */
export function openTaggedSequence(bytes: Uint8Array, tag: number, what: string): DerReader {
  return sequence(openMessage(bytes, tag, what), what);
}

/** Enter the SEQUENCE that is the next value. */
export function sequence(r: DerReader, what: string): DerReader {
  return r.enter(r.expect(TAG_SEQUENCE, what), what);
}

/** Enter explicit tag [n] (required). */
export function field(r: DerReader, n: number, what: string): DerReader {
  return r.enter(r.expect(context(n), what), what);
}

export const has = (r: DerReader, n: number): boolean => r.peekTag() === context(n);

function fail(r: DerReader, what: string, message: string): never {
  throw new AuthProtocolError(`${what}: ${message}`, r.where);
}

// ---- primitive values (the next TLV of `r`)

export function readInteger(r: DerReader, what: string): number {
  const v = r.expect(TAG_INTEGER, what).value;
  if (v.byteLength === 0) fail(r, what, 'empty INTEGER');
  if (v.byteLength > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80))) fail(r, what, 'INTEGER is not minimally encoded (not DER)');
  if (v.byteLength > 5 || (v.byteLength === 5 && v[0] !== 0)) fail(r, what, `INTEGER of ${v.byteLength} bytes is outside the 32-bit range`);
  // Two's complement: a negative number starts from -1 so each byte shifts in.
  let n = v[0]! >= 0x80 ? -1 : 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

export function readString(r: DerReader, what: string): string {
  const v = r.expect(TAG_GENERAL_STRING, what).value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(v);
  } catch {
    fail(r, what, 'KerberosString is not UTF-8');
  }
}

export function readOctets(r: DerReader, what: string): Uint8Array {
  return r.expect(TAG_OCTET_STRING, what).value;
}

export function readTime(r: DerReader, what: string): Date {
  const v = r.expect(TAG_GENERALIZED_TIME, what).value;
  const s = String.fromCharCode(...v);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) fail(r, what, `KerberosTime ${JSON.stringify(s.slice(0, 20))} is not YYYYMMDDHHMMSSZ`);
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(t);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) fail(r, what, `KerberosTime ${s} is not a valid date`);
  return back;
}

/** KerberosFlags: bit 0 is the most significant bit of the 32-bit number. */
export function readFlags(r: DerReader, what: string): number {
  const v = r.expect(TAG_BIT_STRING, what).value;
  if (v.byteLength === 0 || v[0]! > 7) fail(r, what, 'malformed BIT STRING');
  let n = 0;
  for (let i = 0; i < 4; i++) n = n * 256 + (v[1 + i] ?? 0);
  return n;
}

// ---- explicit [n] fields of a SEQUENCE

const inField = <T>(r: DerReader, n: number, what: string, read: (i: DerReader, what: string) => T): T => {
  const i = field(r, n, what);
  const v = read(i, what);
  i.end(what);
  return v;
};
export const intField = (r: DerReader, n: number, what: string): number => inField(r, n, what, readInteger);
export const stringField = (r: DerReader, n: number, what: string): string => inField(r, n, what, readString);
export const octetsField = (r: DerReader, n: number, what: string): Uint8Array => inField(r, n, what, readOctets);
export const timeField = (r: DerReader, n: number, what: string): Date => inField(r, n, what, readTime);
export const flagsField = (r: DerReader, n: number, what: string): number => inField(r, n, what, readFlags);
export const optional = <T>(r: DerReader, n: number, read: (r: DerReader, n: number) => T): T | undefined => (has(r, n) ? read(r, n) : undefined);

/** The elements of a SEQUENCE OF at [n]. */
export function sequenceOf<T>(r: DerReader, n: number, what: string, each: (r: DerReader, what: string) => T, max = 256): T[] {
  const outer = field(r, n, what);
  const s = sequence(outer, what);
  outer.end(what);
  return elements(s, what, each, max);
}

/** A whole message that is a SEQUENCE OF (PA-ETYPE-INFO2, METHOD-DATA). */
export function messageSequenceOf<T>(bytes: Uint8Array, what: string, each: (r: DerReader, what: string) => T, max: number): T[] {
  const r = messageReader(bytes, what);
  const s = sequence(r, what);
  r.end(what);
  return elements(s, what, each, max);
}

function elements<T>(s: DerReader, what: string, each: (r: DerReader, what: string) => T, max: number): T[] {
  const out: T[] = [];
  while (!s.done) {
    if (out.length >= max) throw AuthProtocolError.limit(`${what} entries`, max, out.length + 1, s.where);
    out.push(each(s, `${what}[${out.length}]`));
  }
  return out;
}

/** A value of a SEQUENCE-typed field: `[n] SEQUENCE {...}` decoded by `read`. */
export function structField<T>(r: DerReader, n: number, what: string, read: (s: DerReader, what: string) => T): T {
  const outer = field(r, n, what);
  const v = read(outer, what);
  outer.end(what);
  return v;
}

/** Reads a SEQUENCE with `read` over its contents, and checks nothing is left in it. */
export function struct<T>(r: DerReader, what: string, read: (s: DerReader) => T): T {
  const s = sequence(r, what);
  const v = read(s);
  s.end(what);
  return v;
}

/** A decoded SEQUENCE's fields, OPTIONAL ones that were absent left out (not set to undefined). */
export type Present<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

export function present<T extends object>(fields: T): Present<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out as Present<T>;
}

// ---- writers

export function encInteger(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) throw new UsageError(`Kerberos INTEGER out of range: ${n}`);
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(((v % 256) + 256) % 256);
    v = Math.floor(v / 256);
  } while (v !== 0 && v !== -1);
  if (n >= 0 && bytes[0]! >= 0x80) bytes.unshift(0);
  if (n < 0 && bytes[0]! < 0x80) bytes.unshift(0xff);
  return tlv(TAG_INTEGER, Uint8Array.from(bytes));
}
export const encString = (s: string): Uint8Array => tlv(TAG_GENERAL_STRING, new TextEncoder().encode(s));
export const encOctets = (b: Uint8Array): Uint8Array => tlv(TAG_OCTET_STRING, b);
export function encTime(d: Date): Uint8Array {
  const s = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  return tlv(TAG_GENERALIZED_TIME, new TextEncoder().encode(`${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`));
}
export function encFlags(n: number): Uint8Array {
  const b = new Uint8Array(5);
  new DataView(b.buffer).setUint32(1, n >>> 0);
  return tlv(TAG_BIT_STRING, b);
}
export const encSeq = (...parts: (Uint8Array | undefined)[]): Uint8Array => tlv(TAG_SEQUENCE, ...parts.filter((p): p is Uint8Array => p !== undefined));
/** Explicit [n] around `value`; undefined stays absent (OPTIONAL). */
export const ctx = (n: number, value: Uint8Array | undefined): Uint8Array | undefined => (value === undefined ? undefined : tlv(context(n), value));
export const encApp = (n: number, body: Uint8Array): Uint8Array => tlv(application(n), body);
export { concatBytes };
