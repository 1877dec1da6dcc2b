// Time as a dependency. Everything that waits or measures (the carrier's quiet
// network retry, the endpoint's idle sweep and Receive holds, the reuse limit
// of authenticated HTTP connections) takes a Clock instead of reading Date.now()
// and calling setTimeout itself, so tests drive time with a ManualClock and
// assert timing behaviour without sleeping on the wall clock.

/** An opaque timer handle of the clock that made it. */
export type ClockTimer = { readonly __clockTimer?: never } | object;

export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin: only differences are used). */
  now(): number;
  /**
   * Calls `fn` once after `ms`. `unref`: the timer does not keep the process
   * alive (background housekeeping: sweeps, expiry of idle connections).
   */
  setTimeout(fn: () => void, ms: number, options?: { readonly unref?: boolean }): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** The real clock: Date.now and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms, options) {
    const t = setTimeout(fn, ms);
    if (options?.unref) t.unref();
    return t;
  },
  clearTimeout(timer) {
    if (timer !== undefined) clearTimeout(timer as NodeJS.Timeout);
  },
};

/** Waits `ms` on `clock`, or less if `signal` aborts (never rejects: the caller looks at the signal). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

interface ManualTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told to (tests). Timers fire in due order as
 * `advance` passes their time; each fired timer's callback runs before `now()`
 * moves on to the next one, as on a real clock.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<ManualTimer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const t: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(t);
    return t;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer) this.#timers.delete(timer as ManualTimer);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /** When the next timer is due (undefined: none). */
  nextDue(): number | undefined {
    return this.#next()?.at;
  }

  #next(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }

  /**
   * Moves time on by `ms`, firing every timer that falls due on the way
   * (timers set by those callbacks included). Between timers the microtask
   * queue is drained, so promise chains a timer resumes run before the next.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      const t = this.#next();
      if (!t || t.at > until) break;
      this.#timers.delete(t);
      this.#now = Math.max(this.#now, t.at);
      t.fn();
      await drainMicrotasks();
    }
    this.#now = until;
    await drainMicrotasks();
  }
}

async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
