// The host calls a client has received and not answered yet, kept by the pool
// (RUNSPACEPOOL_HOST_CALL) and by each pipeline (PIPELINE_HOST_CALL) alike.

import { LimitError, UsageError } from '../errors.js';
import { NO_RESPONSE_CALL_ID, hostMethodReturnsValue } from './messages.js';

const MAX_PENDING_HOST_CALLS = 4096;

export interface PendingHostCall {
  readonly methodId: number;
  readonly methodName: string;
}

export class HostCallTable {
  readonly #calls = new Map<bigint, PendingHostCall>();

  get pending(): ReadonlyMap<bigint, PendingHostCall> {
    return this.#calls;
  }

  /** A host call arrived. Void methods (ci -100 on Windows) must not be answered (2.2.3.17), so they are not kept. */
  received(call: { readonly ci: bigint; readonly methodId: number; readonly methodName: string }): void {
    if (!hostMethodReturnsValue(call.methodId) || call.ci === NO_RESPONSE_CALL_ID) return;
    if (this.#calls.size >= MAX_PENDING_HOST_CALLS) {
      throw new LimitError('unanswered host calls', MAX_PENDING_HOST_CALLS, this.#calls.size + 1, 'client host calls');
    }
    this.#calls.set(call.ci, { methodId: call.methodId, methodName: call.methodName });
  }

  /** The call `ci` is being answered: forget it; a UsageError when it is not waiting. */
  take(ci: bigint, kind: 'pool' | 'pipeline'): PendingHostCall {
    const call = this.#calls.get(ci);
    if (call === undefined) throw new UsageError(`no ${kind} host call with ci ${ci} is waiting for a response (void methods take none)`);
    this.#calls.delete(ci);
    return call;
  }
}
