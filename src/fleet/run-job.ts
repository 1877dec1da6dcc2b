// One fleet job on one worker: start the script's pipeline in a disconnected
// session, record its handle, then collect its output through that handle (the
// same path a worker takes when it inherits the job from one that died). The
// script runs at most once: a job that already has a claim is never started
// again, only collected, or reported with the evidence of why it cannot be.

import { randomUUID } from 'node:crypto';
import { recordMessage } from '../clixml/display.js';
import { serializeClixml } from '../clixml/index.js';
import { type ErrorCode, PsRemoteError, SessionError } from '../errors.js';
import type { PSValue } from '../psrp/index.js';
import { SESSION_HANDLE_VERSION, type SessionHandle, type SessionStore } from '../session/handle.js';
import { connectSession, openSession, type SessionOptions } from '../session/open.js';
import { PipelineFailedError, type InvocationResult } from '../session/powershell.js';
import { getRemoteSessions } from '../session/remote-sessions.js';
import type { RunspacePool } from '../session/runspace-pool.js';
import { sleep, systemClock, type Clock } from '../util/clock.js';
import type { FleetClaim, FleetJob, FleetResult } from './job.js';

export interface JobContext {
  /** This worker's name in claims and results. */
  readonly worker: string;
  readonly claims: SessionStore<FleetClaim>;
  readonly results: SessionStore<FleetResult>;
  /** Credentials and connection options for a host, from this worker's environment. */
  readonly sessionOptions: (host: string) => SessionOptions | Promise<SessionOptions>;
  /**
   * How long a worker that takes over keeps retrying a Connect that the host
   * refuses as "in use": the old worker's connection holds the session until
   * the host sees nobody receives from it and disconnects it (about 60 s on
   * Windows, --idle-disconnect on psremote serve). Its idle time plus a margin;
   * default 120 s. Then the job fails with PSR_SESSION_IN_USE.
   */
  readonly connectWaitMs?: number;
  /** How long the host keeps a disconnected session (the Disconnect's IdleTimeOut). */
  readonly idleTimeoutMs?: number;
  /** Times the take-over wait (default the real clock; tests pass a ManualClock). */
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

/** Connect retries on "in use" back off from 250 ms to this. */
const CONNECT_RETRY_MAX_MS = 5_000;

const messages = (items: readonly PSValue[]) => items.map((r) => recordMessage(r as never));

function describe(e: unknown): { code: ErrorCode; message: string } {
  return { code: e instanceof PsRemoteError ? e.code : 'PSR_UNKNOWN', message: e instanceof Error ? e.message : String(e) };
}

function resultOf(job: FleetJob, jobId: string, ctx: JobContext, claim: FleetClaim, r: InvocationResult | undefined, failure: unknown): FleetResult {
  const previousOwners = claim.previousOwners ?? [];
  const base = { jobId, host: job.host, worker: ctx.worker, previousOwners, recovered: previousOwners.length > 0 };
  if (!r) {
    return { ...base, ok: false, state: 'Failed', output: [], errors: [], warnings: [], verbose: [], information: [], hadErrors: true, error: describe(failure) };
  }
  return {
    ...base,
    ok: r.state === 'Completed',
    state: r.state,
    output: r.output.map((o) => serializeClixml(o)),
    errors: messages(r.error),
    warnings: messages(r.warning),
    verbose: messages(r.verbose),
    information: messages(r.information),
    hadErrors: r.hadErrors,
  };
}

/** Writes the job's result unless one is there already; returns the one that stays. */
async function writeOnce(ctx: JobContext, jobId: string, result: FleetResult): Promise<FleetResult> {
  if (await ctx.results.compareAndSet(jobId, undefined, result)) return result;
  return (await ctx.results.get(jobId)) ?? result;
}

/** Runs (or, if another worker began it, collects) one job; never throws for what the host did. */
export async function runFleetJob(jobId: string, job: FleetJob, ctx: JobContext): Promise<FleetResult> {
  const done = await ctx.results.get(jobId);
  if (done) return done; // a worker died after writing the result, before BullMQ heard of it
  let claim = await ctx.claims.get(jobId);
  if (!claim) {
    const planned: FleetClaim = { jobId, host: job.host, owner: ctx.worker, phase: 'starting', runspacePoolId: randomUUID(), pipelineId: randomUUID() };
    if (await ctx.claims.compareAndSet(jobId, undefined, planned)) return start(jobId, job, ctx, planned);
    claim = await ctx.claims.get(jobId);
    if (!claim) throw new SessionError('PSR_SESSION_IN_USE', `job ${jobId}: its claim changed under this worker; not run here`);
  }
  // Inherited: the previous owner's claim becomes ours, atomically, or someone else's.
  const taken: FleetClaim = { ...claim, owner: ctx.worker, previousOwners: [...(claim.previousOwners ?? []), claim.owner] };
  if (!(await ctx.claims.compareAndSet(jobId, claim, taken))) throw new SessionError('PSR_SESSION_IN_USE', `job ${jobId} was taken over by another worker meanwhile`, { shellId: claim.runspacePoolId.toUpperCase(), pipelineId: claim.pipelineId });
  return collect(jobId, job, ctx, taken);
}

async function start(jobId: string, job: FleetJob, ctx: JobContext, claim: FleetClaim): Promise<FleetResult> {
  const options = await ctx.sessionOptions(job.host);
  let handle: SessionHandle;
  try {
    let pool = await openSession(job.host, {
      ...options,
      runspacePoolId: claim.runspacePoolId,
      ...(job.configurationName ? { configurationName: job.configurationName } : {}),
      closeOnExit: false,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    try {
      try {
        await startPipeline(pool, job, claim);
      } catch (e) {
        // Refused because the host had disconnected the shell already (a worker starved
        // for longer than the host's idle time after the open): take the shell back and
        // send the Command once more, with the same pipeline id (were the first one on the
        // host after all, the second is answered AlreadyExists, our own Command: never a second run).
        if (!(await disconnectedByHost(e, job, claim, options))) throw e;
        pool = await takeBack(pool, job, claim, options, ctx);
        await startPipeline(pool, job, claim);
      }
      await pool.disconnect(ctx.idleTimeoutMs !== undefined ? { idleTimeoutMs: ctx.idleTimeoutMs } : {});
      handle = pool.handle();
      await pool.release();
    } catch (e) {
      await pool.close().catch(() => undefined);
      throw e;
    }
  } catch (e) {
    // The pool did not open or the Command was not confirmed: reported, not retried
    // (a Command whose answer was lost may have run; a second one could run it twice).
    const result = await writeOnce(ctx, jobId, resultOf(job, jobId, ctx, claim, undefined, e));
    await ctx.claims.delete(jobId);
    return result;
  }
  const running: FleetClaim = { ...claim, phase: 'running', handle };
  if (!(await ctx.claims.compareAndSet(jobId, claim, running))) throw new SessionError('PSR_SESSION_IN_USE', `job ${jobId} was taken over by another worker while it started`, { shellId: claim.runspacePoolId.toUpperCase(), pipelineId: claim.pipelineId });
  return collect(jobId, job, ctx, running);
}

/** Invoke-Command -InDisconnectedSession: the output stays on the host. */
async function startPipeline(pool: RunspacePool, job: FleetJob, claim: FleetClaim): Promise<void> {
  await pool.invoke(job.script, { pipelineId: claim.pipelineId, inDisconnectedSession: true }).started;
}

/** The Command got a fault, and the host lists the job's shell as Disconnected. */
async function disconnectedByHost(e: unknown, job: FleetJob, claim: FleetClaim, options: SessionOptions): Promise<boolean> {
  if (!(e instanceof PsRemoteError) || e.code !== 'PSR_WSMAN_FAULT') return false; // no answer: the Command may have run
  const shellId = claim.runspacePoolId.toUpperCase();
  const sessions = await getRemoteSessions(job.host, { ...options, includeCommands: false }).catch(() => []);
  return sessions.some((s) => s.shellId.toUpperCase() === shellId && s.state === 'Disconnected');
}

/**
 * This worker's own shell, disconnected by the host: let go of the pool here
 * (its Disconnect is accepted on a disconnected shell, MS-WSMV 3.1.4.1.31.7)
 * and Connect to the shell again, as Connect-PSSession would from anywhere.
 */
async function takeBack(pool: RunspacePool, job: FleetJob, claim: FleetClaim, options: SessionOptions, ctx: JobContext): Promise<RunspacePool> {
  try {
    await pool.disconnect();
    await pool.release();
  } catch {
    // A pool the host's refusals broke cannot be released: dropped, its connections with it.
  }
  return connectSession(handleOf(claim, job), { ...options, closeOnExit: false, ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

/** The handle a claim stands for: recorded, or (died while starting) rebuilt from the ids chosen before. */
function handleOf(claim: FleetClaim, job: FleetJob): SessionHandle {
  return (
    claim.handle ?? {
      version: SESSION_HANDLE_VERSION,
      target: job.host,
      shellId: claim.runspacePoolId.toUpperCase(),
      runspacePoolId: claim.runspacePoolId,
      configurationName: job.configurationName ?? 'Microsoft.PowerShell',
      pipelineIds: [claim.pipelineId],
    }
  );
}

async function collect(jobId: string, job: FleetJob, ctx: JobContext, claim: FleetClaim): Promise<FleetResult> {
  const handle = handleOf(claim, job);
  const options = await ctx.sessionOptions(job.host);
  const clock = ctx.clock ?? systemClock;
  const bound = ctx.connectWaitMs ?? 120_000;
  let inUseSince: number | undefined;
  let refused = 0;
  let result: FleetResult;
  for (let wait = 250; ; wait = Math.min(wait * 2, CONNECT_RETRY_MAX_MS)) {
    try {
      const pool = await connectSession(handle, { ...options, closeOnExit: false, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      try {
        let r: InvocationResult | undefined;
        let failure: unknown;
        for (const id of handle.pipelineIds) {
          const inv = await pool.receive(id, ctx.signal ? { signal: ctx.signal } : {});
          try {
            r = await inv.result();
          } catch (e) {
            failure = e;
            if (!(e instanceof PipelineFailedError)) throw e;
          }
        }
        result = resultOf(job, jobId, ctx, claim, r, failure);
      } finally {
        await pool.close().catch(() => undefined);
      }
      break;
    } catch (e) {
      const code = e instanceof PsRemoteError ? e.code : undefined;
      // The dead worker's connection still holds the session until the host disconnects it:
      // not yet, until the bound (a refused Connect does not keep the session alive on the host).
      if (code === 'PSR_SESSION_IN_USE' && !ctx.signal?.aborted) {
        refused++;
        inUseSince ??= clock.now();
        const waited = clock.now() - inUseSince;
        if (waited < bound) {
          await sleep(clock, Math.min(wait, bound - waited), ctx.signal);
          continue;
        }
        result = resultOf(job, jobId, ctx, claim, undefined, stillInUse(jobId, handle, waited, refused, e));
        break;
      }
      // Not found: the shell, or (died while starting) the pipeline in it, is not on the host.
      if (code === 'PSR_SESSION_NOT_FOUND' || (code === 'PSR_WSMAN_FAULT' && claim.phase === 'starting')) {
        result = { ...resultOf(job, jobId, ctx, claim, undefined, e), state: 'SessionGone', sessionGone: { shellId: handle.shellId, evidence: await evidence(handle, options, e, claim) } };
        break;
      }
      throw e; // the host or network failed: BullMQ retries the job, which comes back here, never to start()
    }
  }
  const kept = await writeOnce(ctx, jobId, result);
  await ctx.claims.delete(jobId);
  return kept;
}

function stillInUse(jobId: string, handle: SessionHandle, waitedMs: number, refused: number, cause: unknown): SessionError {
  return new SessionError(
    'PSR_SESSION_IN_USE',
    `job ${jobId}: the session ${handle.shellId} on ${handle.target} was still in use by another client after ${(waitedMs / 1000).toFixed(1)} s (${refused} Connects refused): ` +
      `the host did not disconnect the previous worker's connection within the take-over wait (connectWaitMs); its pipeline may still run there and is not started again`,
    { shellId: handle.shellId, pipelineId: handle.pipelineIds[0] },
    { cause },
  );
}

/** What shows that the session is gone: the host's answer and its list of sessions. */
async function evidence(handle: SessionHandle, options: SessionOptions, e: unknown, claim: FleetClaim): Promise<string[]> {
  const out = [`Connect to ShellId ${handle.shellId}: ${(e as Error).message}`];
  if (claim.phase === 'starting') out.push(`the worker ${claim.previousOwners?.at(-1) ?? claim.owner} died while starting the pipeline: it may never have reached the host; it is not run again`);
  try {
    const sessions = await getRemoteSessions(handle.target, options);
    const same = sessions.find((s) => s.shellId.toUpperCase() === handle.shellId);
    out.push(same ? `the host lists ShellId ${handle.shellId} in state ${same.state ?? '?'} with commands ${same.commands.map((c) => c.commandId).join(',') || 'none'}` : `the host lists ${sessions.length} PowerShell sessions for this user, none with ShellId ${handle.shellId}`);
  } catch (le) {
    out.push(`listing the host's sessions failed too: ${(le as Error).message}`);
  }
  return out;
}
