// A buffered stream of records that any number of readers can iterate from the
// start, while it is still being written. Invocation streams use it, so that
// `for await (const o of invocation)` and `await invocation.result()` both see
// every record. A stream that does not retain (streamOutput) hands each record
// to one reader and forgets it, so memory stays flat.

export class RecordStream<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #error: unknown;
  #waiters: (() => void)[] = [];
  readonly #retain: boolean;

  constructor(options: { retain?: boolean } = {}) {
    this.#retain = options.retain !== false;
  }

  get items(): readonly T[] {
    return this.#items;
  }

  get ended(): boolean {
    return this.#ended;
  }

  push(item: T): void {
    if (this.#ended) return;
    this.#items.push(item);
    this.#wake();
  }

  /** Ends the stream; readers that reach the end get `error` thrown if given. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let i = 0;
    for (;;) {
      if (!this.#retain && this.#items.length > 0) {
        yield this.#items.shift()!;
        continue;
      }
      if (this.#retain && i < this.#items.length) {
        yield this.#items[i++]!;
        continue;
      }
      if (this.#ended) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }
}
