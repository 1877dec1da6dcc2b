// Fault injection for the local endpoint: the test harness other projects use
// to see how their client copes with a server or network that misbehaves. A
// rule matches requests by operation (and optionally shell/command) and acts on
// the Nth match: drop the connection before or after the server did the work,
// delay, rewrite what goes in or out, or answer an HTTP status with a non-SOAP body as a broken proxy or an
// overloaded IIS would.

import { trimLog } from './bounded-log.js';
import { UsageError } from '../errors.js';

export type FaultAction =
  /** Destroy the connection without processing the request. */
  | { readonly type: 'drop' }
  /** Process the request, then destroy the connection instead of answering (the answer is lost). */
  | { readonly type: 'dropAfter' }
  /** Wait, then process normally. */
  | { readonly type: 'delay'; readonly ms: number }
  /**
   * Process the request, and cut the connection after `ms` if it is still
   * running then: a network drop in the middle of a held Receive long-poll.
   */
  | { readonly type: 'cut'; readonly ms: number }
  /** Answer this HTTP status (e.g. 500, 503) with a plain body, without processing. */
  | { readonly type: 'status'; readonly status: number; readonly body?: string; readonly contentType?: string }
  /**
   * Rewrite the plain SOAP (after decryption, before sealing) of the request
   * before it is processed and/or of the answer: bytes corrupted on the way.
   */
  | { readonly type: 'rewrite'; readonly request?: (soap: string) => string; readonly response?: (soap: string) => string };

export interface FaultRule {
  /** WSMan operation: Create, Command, Send, Receive, Signal, Delete, Disconnect, Reconnect, Connect, Enumerate, Identify. */
  readonly operation: string;
  /** Act on the Nth matching request (1-based, default 1). */
  readonly nth?: number;
  /** Act on this many matches from the Nth on (default 1; Infinity for all). */
  readonly times?: number;
  /**
   * From the Nth on, act on every Kth match only (default 1: each one). With
   * `every: 2` and `dropAfter`, each Receive's answer is lost once and the
   * client's second try (same SequenceId) is answered.
   */
  readonly every?: number;
  readonly shellId?: string;
  readonly commandId?: string;
  /** Match only requests that name a command (any CommandId), not the shell's own stream. */
  readonly anyCommand?: boolean;
  readonly action: FaultAction;
}

interface LiveRule {
  readonly rule: FaultRule;
  seen: number;
  fired: number;
}

export class FaultInjector {
  readonly #rules: LiveRule[] = [];
  /** What fired, in order: operation and action type (the latest 10,000: a rule may fire `times: Infinity`). */
  readonly fired: { operation: string; action: FaultAction['type'] }[] = [];

  add(rule: FaultRule): void {
    if (!rule.operation) throw new UsageError('a fault rule needs an operation');
    if (rule.every !== undefined && !(Number.isInteger(rule.every) && rule.every >= 1)) throw new UsageError(`a fault rule's every must be a positive integer, not ${rule.every}`);
    this.#rules.push({ rule, seen: 0, fired: 0 });
  }

  clear(): void {
    this.#rules.length = 0;
  }

  /** The action for this request, if a rule fires on it. */
  match(operation: string, shellId: string | undefined, commandId: string | undefined): FaultAction | undefined {
    for (const r of this.#rules) {
      const { rule } = r;
      if (rule.operation.toLowerCase() !== operation.toLowerCase()) continue;
      if (rule.shellId && rule.shellId.toUpperCase() !== shellId?.toUpperCase()) continue;
      if (rule.commandId && rule.commandId.toUpperCase() !== commandId?.toUpperCase()) continue;
      if (rule.anyCommand && !commandId) continue;
      r.seen++;
      const nth = rule.nth ?? 1;
      if (r.seen < nth || r.fired >= (rule.times ?? 1)) continue;
      if ((r.seen - nth) % (rule.every ?? 1) !== 0) continue;
      r.fired++;
      trimLog(this.fired, 10_000);
      this.fired.push({ operation, action: rule.action.type });
      return rule.action;
    }
    return undefined;
  }
}
