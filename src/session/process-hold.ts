// Keeping the Node process alive while a caller waits on a pool.
//
// The pool's keep-alive Receive does not hold the process (a finished program
// may exit and close its sessions, see exit.ts); whatever a caller awaits does.
// A Disconnected pool holds nothing: its pipelines finish on the server, for a later client.

export class ProcessHold {
  /** Waits in progress (opening, pool calls, pipelines): while any, a timer keeps Node alive. */
  #holds = 0;
  #keepProcess: NodeJS.Timeout | undefined;
  readonly #allowed: () => boolean;

  /** `allowed` says whether the pool may hold the process now (false while Disconnected). */
  constructor(allowed: () => boolean) {
    this.#allowed = allowed;
  }

  /** Waits in progress. */
  get holds(): number {
    return this.#holds;
  }

  /** Holds the process until `p` settles; returns `p`. */
  hold<T>(p: Promise<T>): Promise<T> {
    this.#holds++;
    this.update();
    const release = () => {
      this.#holds--;
      this.update();
    };
    p.then(release, release);
    return p;
  }

  /** Starts or stops the timer after a change of holds or of the pool's state. */
  update(): void {
    const want = this.#holds > 0 && this.#allowed();
    if (want && !this.#keepProcess) this.#keepProcess = setInterval(() => undefined, 1 << 30);
    else if (!want && this.#keepProcess) {
      clearInterval(this.#keepProcess);
      this.#keepProcess = undefined;
    }
  }
}
