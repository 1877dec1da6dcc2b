// Byte cursors for the binary headers (PSRP fragments and messages, NTLM,
// OutOfProc framing). The reader reads untrusted data, so every read checks
// what is left and throws a typed error naming the field; it never returns
// garbage past the end. The writer grows in place (about 1.5x) instead of
// concatenating, and lets a caller fill a reserved header in afterwards.

import { RemoteProtocolError, type PsRemoteError, type RemoteProtocolErrorCode } from '../errors.js';

export interface ByteReaderOptions {
  /** Error code raised when a read runs past the end (default PSR_DATA_TRUNCATED). */
  code?: Exclude<RemoteProtocolErrorCode, 'PSR_AUTH_INVALID'>;
  /** Builds the error instead, for a layer whose errors are their own class (auth: AuthProtocolError). */
  fail?: (message: string, where: string | undefined) => PsRemoteError;
  /** Where the bytes came from, for error messages. */
  where?: string;
}

/** A bounds-checked read cursor over one byte array (no copies). */
export class ByteReader {
  readonly bytes: Uint8Array;
  #offset: number;
  readonly #end: number;
  readonly #view: DataView;
  readonly #fail: (message: string, where: string | undefined) => PsRemoteError;
  readonly #where: string | undefined;

  constructor(bytes: Uint8Array, options: ByteReaderOptions = {}) {
    this.bytes = bytes;
    this.#offset = 0;
    this.#end = bytes.byteLength;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const code = options.code ?? 'PSR_DATA_TRUNCATED';
    this.#fail = options.fail ?? ((message, where) => new RemoteProtocolError(code, message, where === undefined ? undefined : { where }));
    this.#where = options.where;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  get atEnd(): boolean {
    return this.#offset >= this.#end;
  }

  #need(n: number, field: string): number {
    if (!Number.isInteger(n) || n < 0) {
      throw this.#fail(`invalid length ${n} for ${field}`, this.#where);
    }
    if (this.#end - this.#offset < n) {
      throw this.#fail(`${field} needs ${n} bytes at offset ${this.#offset} but only ${this.#end - this.#offset} remain`, this.#where);
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(field = 'u8'): number {
    return this.#view.getUint8(this.#need(1, field));
  }
  u16le(field = 'u16'): number {
    return this.#view.getUint16(this.#need(2, field), true);
  }
  u16be(field = 'u16'): number {
    return this.#view.getUint16(this.#need(2, field), false);
  }
  u32le(field = 'u32'): number {
    return this.#view.getUint32(this.#need(4, field), true);
  }
  u32be(field = 'u32'): number {
    return this.#view.getUint32(this.#need(4, field), false);
  }
  i32le(field = 'i32'): number {
    return this.#view.getInt32(this.#need(4, field), true);
  }
  i32be(field = 'i32'): number {
    return this.#view.getInt32(this.#need(4, field), false);
  }
  u64le(field = 'u64'): bigint {
    return this.#view.getBigUint64(this.#need(8, field), true);
  }
  u64be(field = 'u64'): bigint {
    return this.#view.getBigUint64(this.#need(8, field), false);
  }
  i64le(field = 'i64'): bigint {
    return this.#view.getBigInt64(this.#need(8, field), true);
  }
  i64be(field = 'i64'): bigint {
    return this.#view.getBigInt64(this.#need(8, field), false);
  }

  /** A view (not a copy) of the next `n` bytes. */
  bytesView(n: number, field = 'bytes'): Uint8Array {
    const at = this.#need(n, field);
    return this.bytes.subarray(at, at + n);
  }

  /** A view of everything left. */
  rest(): Uint8Array {
    const at = this.#offset;
    this.#offset = this.#end;
    return this.bytes.subarray(at, this.#end);
  }

  skip(n: number, field = 'padding'): void {
    this.#need(n, field);
  }
}

/** A growable write buffer; `finish()` returns a view of what was written. */
export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#length;
  }

  #ensure(n: number): number {
    const needed = this.#length + n;
    if (needed > this.#buf.byteLength) {
      let cap = this.#buf.byteLength;
      while (cap < needed) cap = Math.ceil(cap * 1.5) + 16;
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(0, this.#length));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    const at = this.#length;
    this.#length = needed;
    return at;
  }

  u8(v: number): this {
    const at = this.#ensure(1);
    this.#view.setUint8(at, v);
    return this;
  }
  u16le(v: number): this {
    const at = this.#ensure(2);
    this.#view.setUint16(at, v, true);
    return this;
  }
  u16be(v: number): this {
    const at = this.#ensure(2);
    this.#view.setUint16(at, v, false);
    return this;
  }
  u32le(v: number): this {
    const at = this.#ensure(4);
    this.#view.setUint32(at, v, true);
    return this;
  }
  u32be(v: number): this {
    const at = this.#ensure(4);
    this.#view.setUint32(at, v, false);
    return this;
  }
  i32le(v: number): this {
    const at = this.#ensure(4);
    this.#view.setInt32(at, v, true);
    return this;
  }
  u64le(v: bigint): this {
    const at = this.#ensure(8);
    this.#view.setBigUint64(at, v, true);
    return this;
  }
  u64be(v: bigint): this {
    const at = this.#ensure(8);
    this.#view.setBigUint64(at, v, false);
    return this;
  }
  i64le(v: bigint): this {
    const at = this.#ensure(8);
    this.#view.setBigInt64(at, v, true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.#ensure(b.byteLength);
    this.#buf.set(b, at);
    return this;
  }
  zeros(n: number): this {
    const at = this.#ensure(n);
    this.#buf.fill(0, at, at + n);
    return this;
  }

  /** Reserve `n` bytes to fill in later with `patchU32be` and friends. Returns their offset. */
  reserve(n: number): number {
    return this.#ensure(n);
  }
  patchU32be(offset: number, v: number): void {
    this.#view.setUint32(offset, v, false);
  }
  patchU32le(offset: number, v: number): void {
    this.#view.setUint32(offset, v, true);
  }

  /** A view of the written bytes. The writer must not be used afterwards. */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }
}

/** Concatenate byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new RemoteProtocolError('PSR_DATA_TRUNCATED', 'invalid hex string');
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
