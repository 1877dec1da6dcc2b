// What travels through the queue, and what comes back. A job is one host, one
// script and a few options: never a credential (workers take theirs from their
// own environment or credential helper). A result is written once per job id.

import { type ErrorCode, UsageError } from '../errors.js';
import type { SessionHandle } from '../session/handle.js';

export interface FleetJob {
  /** host, host:port or http(s)://host:port/wsman, as for openSession. */
  readonly host: string;
  readonly script: string;
  readonly configurationName?: string;
}

/** Largest script accepted from the queue (a job's data is untrusted input). */
export const MAX_SCRIPT = 1024 * 1024;

export function parseFleetJob(data: unknown, jobId: string): FleetJob {
  const where = `job ${jobId}`;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`${where}: its data is not an object`);
  const o = data as Record<string, unknown>;
  for (const k of ['password', 'credential', 'ntHash', 'secret']) if (k in o) throw new UsageError(`${where} carries "${k}": credentials never travel through the queue`);
  if (typeof o.host !== 'string' || o.host.length === 0 || o.host.length > 2048) throw new UsageError(`${where}: host must be a non-empty string of at most 2048 characters`);
  if (typeof o.script !== 'string' || o.script.length > MAX_SCRIPT) throw new UsageError(`${where}: script must be a string of at most ${MAX_SCRIPT} characters`);
  if (o.configurationName !== undefined && (typeof o.configurationName !== 'string' || !/^[\w.-]{1,256}$/.test(o.configurationName))) {
    throw new UsageError(`${where}: configurationName must be a session configuration name`);
  }
  return { host: o.host, script: o.script, ...(o.configurationName ? { configurationName: o.configurationName as string } : {}) };
}

/**
 * What a worker records before it waits for a pipeline (the job's claim), in
 * the SessionStore under the job id. `starting`: the pool and pipeline ids
 * are chosen, the pipeline may or may not be on the host yet; `running`: the
 * pipeline was accepted and its session disconnected, `handle` finds it.
 */
export interface FleetClaim {
  readonly jobId: string;
  readonly host: string;
  readonly owner: string;
  readonly phase: 'starting' | 'running';
  readonly runspacePoolId: string;
  readonly pipelineId: string;
  readonly handle?: SessionHandle;
  /** Workers that held the job before, oldest first (a takeover appends the dead one). */
  readonly previousOwners?: readonly string[];
}

export interface FleetResult {
  readonly jobId: string;
  readonly host: string;
  /** The pipeline ran to its end (Completed; it may still have written errors). */
  readonly ok: boolean;
  readonly state: string;
  /** Output objects, each as its CLIXML (<Objs> document), so every output format can be printed from it. */
  readonly output: readonly string[];
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly verbose: readonly string[];
  readonly information: readonly string[];
  readonly hadErrors: boolean;
  /** Why it did not complete: the error's code (PSR_FLEET_JOB_FAILED when its tries ran out, PSR_UNKNOWN for an error psremote did not raise) and message. */
  readonly error?: { readonly code: ErrorCode; readonly message: string };
  /** The pipeline's session is gone on the host: what was looked at. */
  readonly sessionGone?: { readonly shellId: string; readonly evidence: readonly string[] };
  /** Collected by a worker that took the job over from one that died. */
  readonly recovered: boolean;
  /** The worker that wrote the result, and those that held the job before. */
  readonly worker: string;
  readonly previousOwners: readonly string[];
}
