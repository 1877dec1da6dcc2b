// What the lanes of one copy share (upload.ts, ranges.ts): the first failure,
// which stops every lane, and a wait for the next change (an ack, a credit, a
// failure) instead of polling.

export class LaneRun {
  failure: Error | undefined;
  readonly #waiting = new Set<() => void>();
  /** Bound, so it can be handed on as a callback; the first failure wins. */
  readonly stop = (e: Error): void => {
    this.failure ??= e;
    this.wake();
  };
  wake(): void {
    for (const w of [...this.#waiting]) w();
  }
  /** Resolves at the next wake(). */
  changed(): Promise<void> {
    return new Promise((r) => {
      const w = () => {
        this.#waiting.delete(w);
        r();
      };
      this.#waiting.add(w);
    });
  }
}
