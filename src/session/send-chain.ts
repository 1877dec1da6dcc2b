// The order of a pool's sends: every flush waits for the one before, then hands
// the carrier what the PSRP core has queued, one payload at a time, so
// payloads leave in the order the core queued them even when several callers
// flush at once. A failed send fails its caller; the chain goes on.

import type { ClientRunspacePool } from '../psrp/index.js';
import type { PsrpCarrier } from './carriers/carrier.js';

export class SendChain {
  #chain: Promise<void> = Promise.resolve();
  readonly #core: () => ClientRunspacePool;
  readonly #carrier: PsrpCarrier;
  readonly #failure: () => Error | undefined;

  /** `failure`: the pool's failure, if any; once there is one, flushes throw it. */
  constructor(core: () => ClientRunspacePool, carrier: PsrpCarrier, failure: () => Error | undefined) {
    this.#core = core;
    this.#carrier = carrier;
    this.#failure = failure;
  }

  /** Resolves once every flush asked for so far has ended. */
  get settled(): Promise<void> {
    return this.#chain;
  }

  flush(signal?: AbortSignal): Promise<void> {
    const next = this.#chain.then(async () => {
      for (;;) {
        const failure = this.#failure();
        if (failure) throw failure;
        const p = this.#core().dataToSend(this.#carrier.payloadBudget());
        if (!p) return;
        await this.#carrier.send(p, signal);
      }
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
