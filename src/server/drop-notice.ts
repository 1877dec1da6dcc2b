// Node closes connections over server.maxConnections on arrival, before any
// request is read, so nothing else of the endpoint sees them: a client that is
// refused that way only sees a reset, and the operator would see nothing but a
// counter. This turns the drops into operator lines, at most one per window
// (default 1 s): a burst of drops is one line at the end of its window, with
// how many were dropped since the last line, the limit and how to raise it.
// The window runs on the endpoint's Clock, so tests move it on.

import type { Clock, ClockTimer } from '../util/clock.js';

export interface DropNoticeOptions {
  /** The endpoint's maxConnections. */
  readonly limit: number;
  readonly clock: Clock;
  readonly emit: (line: string) => void;
  /** Shortest time between two lines (default 1000 ms). */
  readonly windowMs?: number;
}

export class DropNotice {
  readonly #o: DropNoticeOptions;
  #pending = 0;
  #total = 0;
  #timer: ClockTimer | undefined;

  constructor(options: DropNoticeOptions) {
    this.#o = options;
  }

  /** One connection was closed on arrival. */
  dropped(): void {
    this.#pending++;
    this.#total++;
    // The first drop of a window opens it; the line comes when it closes, counting the whole burst.
    this.#timer ??= this.#o.clock.setTimeout(() => this.flush(), this.#o.windowMs ?? 1000, { unref: true });
  }

  /** Writes the line for drops not yet reported (at the window's end, and when the endpoint closes). */
  flush(): void {
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === 0) return;
    const n = this.#pending;
    this.#pending = 0;
    const { limit } = this.#o;
    this.#o.emit(
      `${n} connection${n === 1 ? '' : 's'} dropped on arrival since the last such line (${this.#total} in all): ` +
        `the endpoint holds at most ${limit} connection${limit === 1 ? '' : 's'} at once (maxConnections); ` +
        'raise it with serve --max-connections N (EndpointOptions.maxConnections)',
    );
  }
}
