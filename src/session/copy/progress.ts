// Progress of one copy: bytes and files done, the rate since the start and the
// time left at that rate; calls the caller at most every interval (the clock
// is injected, so tests need no timers).

import type { CopyProgress } from './options.js';

export class ProgressMeter {
  readonly #now: () => number;
  readonly #start: number;
  readonly #interval: number;
  readonly #report: ((p: CopyProgress) => void) | undefined;
  #last = -Infinity;
  bytesDone = 0;
  filesDone = 0;
  bytesTotal: number | undefined;
  filesTotal: number | undefined;
  current: string | undefined;

  constructor(options: { now?: () => number; intervalMs?: number; onProgress?: (p: CopyProgress) => void; bytesTotal?: number; filesTotal?: number }) {
    this.#now = options.now ?? Date.now;
    this.#start = this.#now();
    this.#interval = options.intervalMs ?? 200;
    this.#report = options.onProgress;
    this.bytesTotal = options.bytesTotal;
    this.filesTotal = options.filesTotal;
  }

  /** Seconds since the start. */
  get seconds(): number {
    return (this.#now() - this.#start) / 1000;
  }

  add(bytes: number, current?: string): void {
    this.bytesDone += bytes;
    if (current !== undefined) this.current = current;
    this.#maybe(false);
  }

  fileDone(): void {
    this.filesDone++;
    this.#maybe(false);
  }

  /** The last report, whatever the interval. */
  finish(): void {
    this.current = undefined;
    this.#maybe(true);
  }

  snapshot(): CopyProgress {
    const secs = this.seconds;
    const rate = secs > 0 ? this.bytesDone / secs : 0;
    const left = this.bytesTotal === undefined ? undefined : Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      rate,
      etaSeconds: left === undefined ? undefined : rate > 0 ? left / rate : undefined,
      ...(this.current !== undefined ? { current: this.current } : {}),
    };
  }

  #maybe(force: boolean): void {
    if (!this.#report) return;
    const t = this.#now();
    if (!force && t - this.#last < this.#interval) return;
    this.#last = t;
    this.#report(this.snapshot());
  }
}
