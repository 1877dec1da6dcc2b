import { UsageError } from '../errors.js';
// A single-consumer async iterable of Buffers fed by a receive loop. It tells
// the producer when to pause (a consumer is attached and has fallen behind) so
// a fast command cannot fill memory while its reader is slow; without a
// consumer it buffers, because the caller may read later or only want the
// exit code.

export class ByteStream implements AsyncIterable<Buffer> {
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #ended = false;
  #error: unknown;
  #consumer: 'none' | 'attached' | 'detached' = 'none';
  #wake: (() => void) | undefined;
  #drainWaiters: (() => void)[] = [];
  readonly #highWaterMark: number;
  /** Bytes pushed over the stream's life. */
  total = 0;

  constructor(highWaterMark = 1024 * 1024) {
    this.#highWaterMark = highWaterMark;
  }

  push(chunk: Buffer): void {
    if (this.#ended || chunk.length === 0) return;
    this.total += chunk.length;
    if (this.#consumer === 'detached') return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#wakeConsumer();
  }

  end(): void {
    this.#ended = true;
    this.#wakeConsumer();
    this.#releaseDrain();
  }

  fail(error: unknown): void {
    if (this.#ended) return;
    this.#error = error;
    this.end();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Resolves when the producer may go on (buffer below the mark, or nobody reading). */
  drained(): Promise<void> {
    if (this.#consumer !== 'attached' || this.#buffered < this.#highWaterMark || this.#ended) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  /** Everything, once the stream ends (for callers that do not stream). */
  async collect(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this) parts.push(c);
    return Buffer.concat(parts);
  }

  #wakeConsumer(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #releaseDrain(): void {
    for (const w of this.#drainWaiters.splice(0)) w();
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#consumer !== 'none') throw new UsageError('this output stream can be read only once');
    this.#consumer = 'attached';
    return {
      next: async (): Promise<IteratorResult<Buffer>> => {
        for (;;) {
          const c = this.#chunks.shift();
          if (c) {
            this.#buffered -= c.length;
            if (this.#buffered < this.#highWaterMark) this.#releaseDrain();
            return { value: c, done: false };
          }
          if (this.#ended) {
            if (this.#error !== undefined) {
              const e = this.#error;
              this.#error = undefined;
              throw e;
            }
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => (this.#wake = r));
        }
      },
      return: async (): Promise<IteratorResult<Buffer>> => {
        this.#consumer = 'detached';
        this.#chunks.length = 0;
        this.#buffered = 0;
        this.#releaseDrain();
        return { value: undefined, done: true };
      },
    };
  }
}
