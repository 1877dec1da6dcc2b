// What a Receive may retry after: the errors of a dropped or refused connection
// (and a proxy's 502/503/504), as opposed to an answer the server gave, and the
// policy of retrying quietly for a window (native robust connections). Shared
// by the PowerShell carrier and the WinRS command loop, which both number their
// Receives (SequenceId) so that the one sent again is answered again. Time comes
// from an injected Clock, so the window and the back-off are tested on a manual one.

import { PsRemoteError } from '../errors.js';
import { sleep, systemClock, type Clock } from '../util/clock.js';

/** Errors a dropped or refused connection produces, after which a Receive may be tried again. */
export function isNetworkError(e: unknown): boolean {
  if (!(e instanceof PsRemoteError)) return false;
  if (e.code === 'PSR_TRANSPORT' || e.code === 'PSR_TIMEOUT') return true;
  const status = (e as { status?: number }).status;
  return e.code === 'PSR_TRANSPORT_HTTP_STATUS' && (status === 502 || status === 503 || status === 504);
}

/** Waits `ms` on `clock`, or less if `signal` aborts (never rejects: the caller looks at the signal). */
export function retryPause(ms: number, signal: AbortSignal, clock: Clock = systemClock): Promise<void> {
  return sleep(clock, ms, signal);
}

/** The longest pause between two retries: the first delay doubles up to this. */
export const MAX_RETRY_DELAY_MS = 10_000;

/**
 * What a failed Receive means now: the first failure of an outage starts the
 * window (`interrupted`), later ones inside it are `retry`, and one past it is
 * `over`; with a window of 0 every failure is `off` (retrying disabled). Shared by every Receive loop of a session, so an outage is one
 * window however many loops see it.
 */
export type OutageVerdict = 'interrupted' | 'retry' | 'over' | 'off';

export class NetworkOutage {
  readonly clock: Clock;
  readonly #windowMs: number;
  #since: number | undefined;

  constructor(windowMs: number, clock: Clock = systemClock) {
    this.#windowMs = windowMs;
    this.clock = clock;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /** An outage is going on (a Receive failed and none has succeeded since). */
  get active(): boolean {
    return this.#since !== undefined;
  }

  failed(): OutageVerdict {
    const now = this.clock.now();
    if (this.#since === undefined) {
      if (this.#windowMs <= 0) return 'off';
      this.#since = now;
      return 'interrupted';
    }
    return now - this.#since < this.#windowMs ? 'retry' : 'over';
  }

  /** A Receive succeeded: true when that ends an outage. */
  recovered(): boolean {
    if (this.#since === undefined) return false;
    this.#since = undefined;
    return true;
  }

  reset(): void {
    this.#since = undefined;
  }
}

/** Exponential back-off of one Receive loop: `retryDelayMs`, doubling up to MAX_RETRY_DELAY_MS. */
export class Backoff {
  readonly #first: number;
  #next: number;

  constructor(firstMs: number) {
    this.#first = firstMs;
    this.#next = firstMs;
  }

  /** The pause to take now; the following one is twice as long. */
  take(): number {
    const d = this.#next;
    this.#next = Math.min(d * 2, MAX_RETRY_DELAY_MS);
    return d;
  }

  reset(): void {
    this.#next = this.#first;
  }
}
