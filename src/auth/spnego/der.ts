// The small, strict subset of ASN.1 DER that SPNEGO (RFC 4178, MS-SPNG) and
// the GSS-API token framing (RFC 2743 3.1) need: low tag numbers, definite
// minimal lengths, OBJECT IDENTIFIER, OCTET STRING, ENUMERATED, BIT STRING,
// GeneralString, SEQUENCE and context tags. Strict on purpose: a token from
// the network that is not DER (indefinite or non-minimal length, trailing
// bytes, a length past the end) is an AuthProtocolError naming the field and
// offset, never a guess. Sizes and nesting depth are bounded.

import { concatBytes } from '../../util/bytes.js';
import { AuthProtocolError } from '../errors.js';
import { UsageError } from '../../errors.js';

export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_ENUMERATED = 0x0a;
export const TAG_GENERAL_STRING = 0x1b;
export const TAG_SEQUENCE = 0x30;
/** [APPLICATION 0] constructed: the GSS-API InitialContextToken. */
export const TAG_GSS_APPLICATION_0 = 0x60;
/** [n] constructed (explicit context tag). */
export const context = (n: number): number => 0xa0 | n;

export interface DerLimits {
  /** Largest token accepted (default 128 KiB: Windows' MaxTokenSize is 48 000, at most 65 535). */
  readonly maxBytes?: number;
  /** Deepest nesting of constructed values (default 8; SPNEGO needs 5). */
  readonly maxDepth?: number;
}

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte in the whole token. */
  readonly offset: number;
  /** The value bytes. */
  readonly value: Uint8Array;
  /** Tag, length and value: the whole encoding (what a mechListMIC covers). */
  readonly raw: Uint8Array;
}

/** A cursor over a constructed value's contents; offsets are reported relative to the whole token. */
export class DerReader {
  readonly #b: Uint8Array;
  readonly #base: number;
  readonly #depth: number;
  readonly #maxDepth: number;
  readonly where: string;
  #at = 0;

  constructor(bytes: Uint8Array, where: string, limits: DerLimits = {}, base = 0, depth = 0) {
    const maxBytes = limits.maxBytes ?? 128 * 1024;
    if (depth === 0 && bytes.byteLength > maxBytes) throw AuthProtocolError.limit('SPNEGO token size', maxBytes, bytes.byteLength, where);
    this.#maxDepth = limits.maxDepth ?? 8;
    if (depth > this.#maxDepth) throw AuthProtocolError.limit('DER nesting depth', this.#maxDepth, depth, where);
    this.#b = bytes;
    this.#base = base;
    this.#depth = depth;
    this.where = where;
  }

  get done(): boolean {
    return this.#at >= this.#b.byteLength;
  }

  #fail(what: string, message: string, at = this.#at): never {
    throw new AuthProtocolError(`${what}: ${message} at offset ${this.#base + at}`, this.where);
  }

  /** Tag of the next value, or undefined at the end. */
  peekTag(): number | undefined {
    return this.done ? undefined : this.#b[this.#at];
  }

  /** The next TLV, whatever its tag. */
  next(what: string): Tlv {
    const start = this.#at;
    const b = this.#b;
    if (start >= b.byteLength) this.#fail(what, 'missing (the value ends early)');
    const tag = b[start]!;
    if ((tag & 0x1f) === 0x1f) this.#fail(what, `high tag number form (tag byte 0x${tag.toString(16)}) is not used by SPNEGO`, start);
    if (start + 1 >= b.byteLength) this.#fail(what, 'truncated before its length', start);
    const first = b[start + 1]!;
    let length: number;
    let header = 2;
    if (first < 0x80) length = first;
    else if (first === 0x80) this.#fail(what, 'indefinite length is not DER', start + 1);
    else {
      const n = first & 0x7f;
      if (n > 4) this.#fail(what, `length of ${n} bytes is too long`, start + 1);
      if (start + 2 + n > b.byteLength) this.#fail(what, 'truncated inside its length', start + 1);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + b[start + 2 + i]!;
      if (b[start + 2] === 0 || length < 0x80) this.#fail(what, `length ${length} is not minimally encoded (not DER)`, start + 1);
      header = 2 + n;
    }
    const end = start + header + length;
    if (end > b.byteLength) this.#fail(what, `length ${length} runs past the end (${b.byteLength - start - header} bytes left)`, start);
    this.#at = end;
    return { tag, offset: this.#base + start, value: b.subarray(start + header, end), raw: b.subarray(start, end) };
  }

  /** The next TLV, which must have `tag`. */
  expect(tag: number, what: string): Tlv {
    const got = this.peekTag();
    if (got === undefined) this.#fail(what, `missing (expected tag 0x${tag.toString(16)})`);
    if (got !== tag) this.#fail(what, `tag 0x${got.toString(16)}, expected 0x${tag.toString(16)}`);
    return this.next(what);
  }

  /** A reader over a constructed value's contents, one level deeper. */
  enter(t: Tlv, what: string): DerReader {
    if ((t.tag & 0x20) === 0) this.#fail(what, `tag 0x${t.tag.toString(16)} is primitive, expected a constructed value`, t.offset - this.#base);
    const header = t.raw.byteLength - t.value.byteLength;
    return new DerReader(t.value, `${this.where} ${what}`, { maxDepth: this.#maxDepth }, t.offset + header, this.#depth + 1);
  }

  /** The single value, of `tag`, inside the explicit (context) tag `t`. */
  inner(t: Tlv, tag: number, what: string): Tlv {
    const c = this.enter(t, what);
    const v = c.expect(tag, what);
    c.end(what);
    return v;
  }

  /** Fails unless every byte was consumed. */
  end(what: string): void {
    if (!this.done) this.#fail(what, `${this.#b.byteLength - this.#at} unexpected bytes after the last field (tag 0x${this.#b[this.#at]!.toString(16)})`);
  }
}

/** Decodes an OBJECT IDENTIFIER's value to dotted form. */
export function decodeOid(value: Uint8Array, what: string, where: string): string {
  if (value.byteLength === 0) throw new AuthProtocolError(`${what}: empty OBJECT IDENTIFIER`, where);
  if (value.byteLength > 64) throw AuthProtocolError.limit('OBJECT IDENTIFIER length', 64, value.byteLength, where);
  const arcs: number[] = [];
  let n = 0;
  let fresh = true;
  for (const byte of value) {
    if (fresh && byte === 0x80) throw new AuthProtocolError(`${what}: OBJECT IDENTIFIER arc with a leading 0x80 (not DER)`, where);
    n = n * 128 + (byte & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 128) throw new AuthProtocolError(`${what}: OBJECT IDENTIFIER arc too large`, where);
    fresh = (byte & 0x80) === 0;
    if (fresh) {
      if (arcs.length === 0) arcs.push(n < 40 ? 0 : n < 80 ? 1 : 2, n < 80 ? n % 40 : n - 80);
      else arcs.push(n);
      n = 0;
    }
  }
  if (!fresh) throw new AuthProtocolError(`${what}: OBJECT IDENTIFIER ends inside an arc`, where);
  return arcs.join('.');
}

// ---------------------------------------------------------------- writer

export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const value = concatBytes(content);
  return concatBytes([Uint8Array.of(tag), encodeLength(value.byteLength), value]);
}

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((s) => {
    if (!/^\d{1,15}$/.test(s)) throw new UsageError(`not an OBJECT IDENTIFIER: ${oid}`);
    return Number(s);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! >= 40)) throw new UsageError(`not an OBJECT IDENTIFIER: ${oid}`);
  const out: number[] = [];
  const push = (v: number): void => {
    const groups: number[] = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(TAG_OID, Uint8Array.from(out));
}
