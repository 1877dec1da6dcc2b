// Runspace-pool calls waiting for their answer (SET_MAX_RUNSPACES,
// SET_MIN_RUNSPACES, GET_AVAILABLE_RUNSPACES, RESET_RUNSPACE_STATE): the server
// answers each with RUNSPACE_AVAILABILITY carrying the call's id (ci).

export class PoolCalls {
  readonly #waiting = new Map<bigint, { resolve: (v: boolean | bigint) => void; reject: (e: unknown) => void }>();

  /** Calls waiting for their answer. */
  get size(): number {
    return this.#waiting.size;
  }

  /** The answer to call `ci`, once it arrives. */
  answer(ci: bigint): Promise<boolean | bigint> {
    return new Promise<boolean | bigint>((resolve, reject) => this.#waiting.set(ci, { resolve, reject }));
  }

  /** RUNSPACE_AVAILABILITY for call `ci` arrived. */
  answered(ci: bigint, response: boolean | bigint): void {
    const call = this.#waiting.get(ci);
    this.#waiting.delete(ci);
    call?.resolve(response);
  }

  /** The pool failed: no call will be answered. */
  fail(error: Error): void {
    for (const c of this.#waiting.values()) c.reject(error);
    this.#waiting.clear();
  }
}
