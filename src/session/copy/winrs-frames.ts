// The bytes of a copy over WinRS (spec-notes/winrs-copy.md): frames of one
// type byte, an Int32 LE length and that many bytes. The client packs its
// frames into buffers of exactly one Send's worth of stdin, so every Send is
// full whatever the mix of headers and data; a file's bytes are read straight
// into that buffer. The server's download frames are parsed as they come, a
// data frame handed on in the pieces it arrived in (never held whole).

import type { Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { FileTransferError } from './errors.js';

export const HEAD = 5;

/** Frames to stdin, in Send-sized buffers (yielded when full; `flush` gives the rest). */
export class StdinPacker {
  readonly size: number;
  /** Three buffers in turn: the pump sends one while the next is filled (winrs.ts #pumpStdin reads one item ahead). */
  readonly #bufs: Buffer[];
  #turn = 0;
  #buf: Buffer;
  #len = 0;
  #records: string[] = [];

  constructor(size: number) {
    this.size = size;
    this.#bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    this.#buf = this.#bufs[0]!;
  }

  /** A record for the server's UPLOAD script; records go '\n'-joined in one R frame before the next data. */
  record(rec: string): void {
    this.#records.push(rec);
  }

  /** Pending records as one R frame. */
  *records(): Generator<Buffer> {
    if (this.#records.length === 0) return;
    const text = Buffer.from(this.#records.join('\n'), 'utf8');
    this.#records = [];
    yield* this.frame('R', text);
  }

  /** A whole frame (header and payload) into the stream of buffers. */
  *frame(type: 'R' | 'D' | 'T' | 'Z', payload: Uint8Array): Generator<Buffer> {
    const head = Buffer.allocUnsafe(HEAD);
    head[0] = type.charCodeAt(0);
    head.writeInt32LE(payload.length, 1);
    yield* this.#put(head);
    yield* this.#put(payload);
  }

  /**
   * One D frame of the bytes that fill the current buffer (at most `left`),
   * read from the file into it; returns how many, and yields the buffer when full.
   */
  async *fileData(fh: FileHandle, left: number, hash: Hash): AsyncGenerator<Buffer, number> {
    yield* this.records();
    if (this.size - this.#len < HEAD + 1024) yield this.#next();
    const n = Math.min(left, this.size - this.#len - HEAD);
    this.#buf[this.#len] = 0x44; // 'D'
    let got = 0;
    while (got < n) {
      const { bytesRead } = await fh.read(this.#buf, this.#len + HEAD + got, n - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got === 0) return 0; // no empty frame: the end of the file is the E record's
    hash.update(this.#buf.subarray(this.#len + HEAD, this.#len + HEAD + got));
    this.#buf.writeInt32LE(got, this.#len + 1);
    this.#len += HEAD + got;
    if (this.#len === this.size) yield this.#next();
    return got;
  }

  /** Bytes of a stream source as D frames. */
  *data(b: Uint8Array): Generator<Buffer> {
    yield* this.records();
    for (let at = 0; at < b.length; ) {
      if (this.size - this.#len < HEAD + 1024) yield this.#next();
      const n = Math.min(b.length - at, this.size - this.#len - HEAD);
      yield* this.frame('D', b.subarray(at, at + n));
      at += n;
    }
  }

  /** What is left, as the last buffer (a copy: the pump may still hold the others). */
  flush(): Buffer | undefined {
    if (this.#len === 0) return undefined;
    const out = Buffer.from(this.#buf.subarray(0, this.#len));
    this.#len = 0;
    return out;
  }

  *#put(b: Uint8Array): Generator<Buffer> {
    for (let at = 0; at < b.length; ) {
      const n = Math.min(b.length - at, this.size - this.#len);
      this.#buf.set(b.subarray(at, at + n), this.#len);
      this.#len += n;
      at += n;
      if (this.#len === this.size) yield this.#next();
    }
  }

  #next(): Buffer {
    const full = this.#len === this.size ? this.#buf : this.#buf.subarray(0, this.#len);
    this.#turn = (this.#turn + 1) % this.#bufs.length;
    this.#buf = this.#bufs[this.#turn]!;
    this.#len = 0;
    return full;
  }
}

export type DownloadFrame = { readonly type: 'T'; readonly text: string } | { readonly type: 'B'; readonly data: Buffer; readonly last: boolean };

/** Most bytes a text frame may claim: records are small, a bigger length is a broken stream. */
const MAX_TEXT = 16 * 1024 * 1024;

/** Download frames out of stdout's pieces: T whole, B in the pieces that came (last: the frame is complete). */
export class FrameReader {
  readonly #where: string;
  #head = Buffer.alloc(HEAD);
  #headLen = 0;
  #type = 0;
  #left = 0;
  #text: Buffer[] = [];

  constructor(where: string) {
    this.#where = where;
  }

  /** True between frames (a stream may end only there). */
  get idle(): boolean {
    return this.#headLen === 0 && this.#left === 0 && this.#type === 0;
  }

  *feed(chunk: Buffer): Generator<DownloadFrame> {
    let at = 0;
    while (at < chunk.length) {
      if (this.#type === 0) {
        const n = Math.min(HEAD - this.#headLen, chunk.length - at);
        chunk.copy(this.#head, this.#headLen, at, at + n);
        this.#headLen += n;
        at += n;
        if (this.#headLen < HEAD) return;
        this.#type = this.#head[0]!;
        this.#left = this.#head.readInt32LE(1);
        this.#headLen = 0;
        if ((this.#type !== 0x54 && this.#type !== 0x42) || this.#left < 0 || (this.#type === 0x54 && this.#left > MAX_TEXT)) {
          throw new FileTransferError('IO', 'remote', this.#where, `the copy's output is not a frame (type 0x${this.#type.toString(16)}, length ${this.#left})`);
        }
        if (this.#left === 0) yield* this.#end(true);
        continue;
      }
      const n = Math.min(this.#left, chunk.length - at);
      const piece = chunk.subarray(at, at + n);
      at += n;
      this.#left -= n;
      if (this.#type === 0x42) yield { type: 'B', data: piece, last: this.#left === 0 };
      else this.#text.push(piece);
      if (this.#left === 0) yield* this.#end(false);
    }
  }

  /** A frame is complete; an empty B frame (no piece was handed on) is one empty last piece. */
  *#end(empty: boolean): Generator<DownloadFrame> {
    const type = this.#type;
    this.#type = 0;
    if (type === 0x54) {
      const text = Buffer.concat(this.#text).toString('utf8');
      this.#text = [];
      yield { type: 'T', text };
    } else if (empty) yield { type: 'B', data: Buffer.alloc(0), last: true };
  }
}

/** Longest answer line of an upload: one file's result (a path, a hash, a message); more is a broken stream. */
export const MAX_LINE = 1024 * 1024;

/** Lines out of stdout's pieces (the upload's answers); a line past MAX_LINE is a FileTransferError naming `where`. */
export async function* lines(stream: AsyncIterable<Buffer>, where: string, maxLine = MAX_LINE): AsyncGenerator<string> {
  let rest = '';
  const utf8 = new StringDecoder('utf8');
  for await (const chunk of stream) {
    rest += utf8.write(chunk);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
    }
    if (rest.length > maxLine) throw new FileTransferError('IO', 'remote', where, `the copy's answer is a line of over ${maxLine} characters: not the upload script's`);
  }
  rest += utf8.end();
  if (rest) yield rest;
}
