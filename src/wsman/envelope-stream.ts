// Envelopes from a byte stream, in any chunking (h11's habit: whole, byte by
// byte or followed by more data, the reader gives the same result or the same
// typed error). Captured traffic (`psremote decode`) is envelopes end to end;
// the stream cuts at each closing `</…:Envelope>` and reads the document with
// readEnvelope. Bytes are kept as they came and decoded once per envelope, so a
// UTF-8 character split across chunks is whole again; the size limit is checked
// before a chunk is kept, never after.

import { RemoteProtocolError } from '../errors.js';
import { MAX_RESPONSE_CHARS, readEnvelope, type ParseContext, type WSManMessage } from './reader.js';

// The end tag of an envelope, with any prefix. Scanned as latin1, which maps
// every byte to one character, so offsets are byte offsets.
const END = /<\/(?:[A-Za-z_][\w.-]*:)?Envelope\s*>/g;
// A closing tag is never longer than this with a sensible prefix; kept between chunks.
const OVERLAP = 128;

export interface EnvelopeStreamOptions extends ParseContext {
  /** Most bytes one envelope may take (default MAX_RESPONSE_CHARS). */
  readonly maxBytes?: number;
}

export class EnvelopeStream {
  readonly #parts: Buffer[] = [];
  #size = 0;
  /** Latin1 text of the last bytes seen, to find an end tag split across chunks. */
  #tail = '';
  #count = 0;
  readonly #max: number;
  readonly #ctx: ParseContext;

  constructor(options: EnvelopeStreamOptions = {}) {
    this.#max = options.maxBytes ?? MAX_RESPONSE_CHARS;
    this.#ctx = options;
  }

  /** Envelopes read so far. */
  get count(): number {
    return this.#count;
  }

  /** Bytes held after the last complete envelope. */
  get trailing(): Buffer {
    return Buffer.concat(this.#parts);
  }

  /** Takes a chunk; returns the envelopes it completed, in order. */
  feed(chunk: Uint8Array): WSManMessage[] {
    return this.cut(chunk).map((b) => this.#read(b));
  }

  /**
   * The cutting alone: the bytes of each envelope a chunk completed, leading
   * whitespace dropped, not yet read (`psremote decode` reads each itself, to
   * name it by its number).
   */
  cut(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (rest.length > 0) {
      const text = this.#tail + rest.toString('latin1');
      END.lastIndex = 0;
      const m = END.exec(text);
      if (!m) {
        this.#keep(rest);
        this.#tail = text.slice(-OVERLAP);
        break;
      }
      // Bytes of `rest` up to the end of the tag.
      const cut = m.index + m[0].length - this.#tail.length;
      this.#keep(rest.subarray(0, cut));
      rest = rest.subarray(cut);
      this.#tail = '';
      out.push(this.#take(Buffer.concat(this.#parts.splice(0))));
      this.#size = 0;
    }
    return out;
  }

  /** The stream ended: whitespace left is nothing; anything else is read (and so refused) as an envelope. */
  end(): WSManMessage | undefined {
    const left = this.endCut();
    return left === undefined ? undefined : this.#read(left);
  }

  /** The stream ended: the bytes left after the last envelope, unless only whitespace. */
  endCut(): Buffer | undefined {
    const left = Buffer.concat(this.#parts.splice(0));
    this.#size = 0;
    this.#tail = '';
    if (left.toString('latin1').trim() === '') return undefined;
    return this.#take(left);
  }

  #keep(b: Buffer): void {
    if (b.length === 0) return;
    if (this.#size + b.length > this.#max) {
      throw new RemoteProtocolError('PSR_WSMAN_INVALID', `envelope ${this.#count} is over ${this.#max} bytes`, { where: this.#ctx.operation ?? 'envelope stream' });
    }
    this.#parts.push(Buffer.from(b)); // a copy: the caller may reuse its buffer
    this.#size += b.length;
  }

  #take(bytes: Buffer): Buffer {
    this.#count++;
    let start = 0;
    while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)) start++;
    return bytes.subarray(start);
  }

  #read(bytes: Buffer): WSManMessage {
    return readEnvelope(bytes, this.#ctx);
  }
}
