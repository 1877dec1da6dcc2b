// One-call helpers: run a script on a pool and close it (Invoke-Command
// -ComputerName x), and run it on many hosts with a throttle limit, streaming
// each host's result as it finishes (Invoke-Command -ComputerName a,b,c
// -ThrottleLimit 32). A failing host is reported, never stops the others.

import type { PsrpCarrier } from './carriers/carrier.js';
import type { InvocationResult } from './powershell.js';
import { closeInBackground } from '../winrm/exit.js';
import type { Target } from '../winrm/target.js';
import { openSession, type SessionOptions } from './open.js';
import { RunspacePool, type InvokeOptions, type ScriptOrCommand } from './runspace-pool.js';
import { toError } from '../errors.js';

export interface InvokeCommandOptions extends SessionOptions, Omit<InvokeOptions, 'signal' | 'host'> {
  /** Wait for the pool's Delete before resolving (default false: it goes on in the background). */
  readonly awaitClose?: boolean;
  /**
   * How to reach a target (default: as openSession does). Tests and callers
   * with their own carriers (an in-memory server, a pooled transport) give one.
   */
  readonly connect?: (target: Target) => PsrpCarrier | Promise<PsrpCarrier>;
}

/**
 * Invoke-Command -ComputerName x: opens a pool on `target`, runs `command`,
 * closes the pool. The result comes after Create, Receive (Opened), Command
 * and Receive (Completed); the Delete goes on in the background unless
 * `awaitClose`, and the process does not exit before it is answered (exit.ts).
 */
export async function invokeCommand(target: Target, command: ScriptOrCommand, options: InvokeCommandOptions = {}): Promise<InvocationResult> {
  const pool = options.connect ? await RunspacePool.open(await options.connect(target), options) : await openSession(target, options);
  let result: InvocationResult;
  try {
    result = await pool.invoke(command, options).result();
  } catch (e) {
    await pool.close().catch(() => undefined);
    throw e;
  }
  if (options.awaitClose) await pool.close().catch(() => undefined);
  else closeInBackground(pool.close());
  return result;
}

export type HostResult<H extends Target = Target> =
  | { readonly host: H; readonly ok: true; readonly result: InvocationResult }
  | { readonly host: H; readonly ok: false; readonly error: Error };

export interface FanOutOptions extends InvokeCommandOptions {
  /** How many hosts run at once (default 32, as PowerShell's ThrottleLimit). */
  readonly throttleLimit?: number;
}

/**
 * Invoke-Command -ComputerName a,b,c -ThrottleLimit n: runs `command` on every
 * target, at most `throttleLimit` at a time, yielding each host's result as
 * soon as it is known (success or failure).
 */
export async function* invokeOnHosts<H extends Target>(hosts: Iterable<H>, command: ScriptOrCommand, options: FanOutOptions = {}): AsyncGenerator<HostResult<H>> {
  const limit = Math.max(1, options.throttleLimit ?? 32);
  const queue = [...hosts];
  const done: HostResult<H>[] = [];
  let wake: (() => void) | undefined;
  let running = 0;
  const start = (host: H) => {
    running++;
    (async () => {
      try {
        // A host's slot is free once its pool is deleted: the throttle limit bounds open shells.
        const result = await invokeCommand(host, command, { ...options, awaitClose: options.awaitClose ?? true });
        done.push({ host, ok: true, result });
      } catch (e) {
        done.push({ host, ok: false, error: toError(e) });
      } finally {
        running--;
        wake?.();
      }
    })();
  };
  while (queue.length > 0 || running > 0 || done.length > 0) {
    while (running < limit && queue.length > 0) start(queue.shift()!);
    if (done.length > 0) {
      yield done.shift()!;
      continue;
    }
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
}

