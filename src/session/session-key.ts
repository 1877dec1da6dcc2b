// The SecureString session key of a pool (MS-PSRP 3.1.4.8): our RSA key pair
// (given or generated when first needed), the PUBLIC_KEY we send, and the
// callers waiting for the server's ENCRYPTED_SESSION_KEY.

import { generateKeyPairSync } from 'node:crypto';
import { AbortError, TimeoutError } from '../errors.js';
import type { ClientRunspacePool, RsaKeyPair } from '../psrp/index.js';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** What the session key needs from the pool that owns it. */
export interface SessionKeyPool {
  readonly core: ClientRunspacePool;
  /** Keeps the process alive until the promise settles (process-hold.ts). */
  hold<T>(p: Promise<T>): Promise<T>;
  /** Sends what the core has queued. */
  flush(signal?: AbortSignal): Promise<void>;
}

export class SessionKey {
  readonly #pool: SessionKeyPool;
  readonly #timeoutMs: number;
  #hasKeyPair: boolean;
  #waiters: Waiter[] = [];

  /** `hasKeyPair`: the core was given a key pair (RunspacePoolOptions.keyPair). */
  constructor(pool: SessionKeyPool, options: { hasKeyPair: boolean; timeoutMs?: number | undefined }) {
    this.#pool = pool;
    this.#hasKeyPair = options.hasKeyPair;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Sends our public key unless the core has the session key already; resolves when it has. */
  async exchange(signal?: AbortSignal): Promise<void> {
    const core = this.#pool.core;
    if (core.hasSessionKey) return;
    const waiter: Waiter = { resolve: () => {}, reject: (_e: unknown) => {} };
    const done = this.#pool.hold(new Promise<void>((resolve, reject) => Object.assign(waiter, { resolve, reject })));
    this.#waiters.push(waiter);
    // A server that never answers must not hang the caller (pypsrp's test_psrp_key_exchange_timeout).
    const ms = this.#timeoutMs;
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      waiter.reject(new TimeoutError(`the server did not answer the session key exchange (PUBLIC_KEY) within ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}`));
    }, ms);
    const onAbort = () => waiter.reject(new AbortError('the key exchange was aborted', { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (!core.keyExchangePending) core.exchangeKey(this.#keyPair());
      await this.#pool.flush(signal);
      await done;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** ENCRYPTED_SESSION_KEY arrived: the core holds the key now. */
  received(): void {
    for (const w of this.#waiters.splice(0)) w.resolve();
  }

  /** PUBLIC_KEY_REQUEST: the server wants to send a SecureString. */
  requested(): void {
    // Give it our key (the core answers by itself when it has a pair).
    if (!this.#hasKeyPair && !this.#pool.core.keyExchangePending) this.#pool.core.exchangeKey(this.#keyPair());
  }

  /** The pool failed: nobody gets a key any more. */
  fail(error: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  #keyPair(): RsaKeyPair | undefined {
    if (this.#hasKeyPair) return undefined; // the core has it already
    this.#hasKeyPair = true;
    return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  }
}
