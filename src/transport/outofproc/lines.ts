// Splits a byte stream into lines (LF; a CR before it is dropped by the packet
// parser). OutOfProc lines are ASCII: XML tags, GUIDs and base64. A line longer
// than the limit is an error, so a peer that never sends a line break cannot
// make us buffer without end.

import { LimitError } from '../../errors.js';

/** SMA writes one fragment (≤ 32 KiB by default, ~44 KB in base64) per line. */
export const DEFAULT_MAX_LINE = 1024 * 1024;

export class LineSplitter {
  readonly #max: number;
  #parts: Buffer[] = [];
  #length = 0;

  constructor(maxLine = DEFAULT_MAX_LINE) {
    this.#max = maxLine;
  }

  /** Bytes held that do not yet end in a line break. */
  get pending(): number {
    return this.#length;
  }

  /** Feeds bytes; returns the complete lines they end (without the LF). */
  push(chunk: Uint8Array): string[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: string[] = [];
    let start = 0;
    for (let lf = buf.indexOf(10, start); lf >= 0; lf = buf.indexOf(10, start)) {
      const piece = buf.subarray(start, lf);
      this.#check(this.#length + piece.length);
      if (this.#parts.length === 0) lines.push(piece.toString('utf8'));
      else {
        this.#parts.push(piece);
        lines.push(Buffer.concat(this.#parts, this.#length + piece.length).toString('utf8'));
        this.#parts = [];
        this.#length = 0;
      }
      start = lf + 1;
    }
    if (start < buf.length) {
      const rest = buf.subarray(start);
      this.#check(this.#length + rest.length);
      // Copy: the caller may reuse its buffer.
      this.#parts.push(Buffer.from(rest));
      this.#length += rest.length;
    }
    return lines;
  }

  #check(n: number): void {
    if (n > this.#max) throw new LimitError('OutOfProc line length', this.#max, n, 'OutOfProc stream');
  }
}
