// The producer side: one BullMQ job per host, then each host's result as soon
// as a worker has written it. Results are read from the results hash (written
// once per job id), woken by BullMQ's completed/failed events and, in case an
// event was missed (a Redis restart, a late subscription), by a sweep.

import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisSessionStore } from '../session/redis-store.js';
import type { FleetJob, FleetResult } from './job.js';
import { DEFAULT_QUEUE, fleetKeys } from './worker.js';

export interface EnqueueOptions {
  readonly connection: ConnectionOptions;
  readonly queueName?: string;
  /** Prefix of the job ids (default a fresh UUID): job `${prefix}-${index}`. */
  readonly runId?: string;
  /** Tries per job when a worker fails on the host or network (default 3); a retry never runs the script again. */
  readonly attempts?: number;
  /** How often to look for results whose event was missed (default 2 s). */
  readonly sweepMs?: number;
  readonly signal?: AbortSignal;
}

/** Enqueues `jobs` and yields each one's result as it is written, in the order they finish. */
export async function* runOnFleet(jobs: readonly FleetJob[], options: EnqueueOptions): AsyncGenerator<FleetResult> {
  const queueName = options.queueName ?? DEFAULT_QUEUE;
  const runId = options.runId ?? randomUUID();
  const redis = new Redis(options.connection as never);
  const results = new RedisSessionStore<FleetResult>(redis, fleetKeys(queueName).results);
  const queue = new Queue(queueName, { connection: options.connection });
  const events = new QueueEvents(queueName, { connection: options.connection });
  const pending = new Set(jobs.map((_, i) => `${runId}-${i}`));
  const ready: FleetResult[] = [];
  const failed = new Map<string, string>();
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  events.on('completed', poke);
  events.on('failed', ({ jobId, failedReason }) => {
    failed.set(jobId, failedReason);
    poke();
  });
  events.on('error', () => undefined);
  queue.on('error', () => undefined);
  const sweep = setInterval(poke, options.sweepMs ?? 2_000);
  const onAbort = () => poke();
  options.signal?.addEventListener('abort', onAbort);
  try {
    await events.waitUntilReady();
    for (let i = 0; i < jobs.length; i += 500) {
      await queue.addBulk(
        jobs.slice(i, i + 500).map((data, k) => ({
          name: 'psremote',
          data,
          opts: { jobId: `${runId}-${i + k}`, attempts: options.attempts ?? 3, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: 1000 },
        })),
      );
    }
    while (pending.size > 0) {
      if (options.signal?.aborted) return;
      await collectReady(pending, results, failed, queue, jobs, runId, ready);
      while (ready.length > 0) yield ready.shift()!;
      if (pending.size === 0) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    clearInterval(sweep);
    options.signal?.removeEventListener('abort', onAbort);
    await events.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}

async function collectReady(
  pending: Set<string>,
  results: RedisSessionStore<FleetResult>,
  failed: Map<string, string>,
  queue: Queue,
  jobs: readonly FleetJob[],
  runId: string,
  ready: FleetResult[],
): Promise<void> {
  const ids = [...pending];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const found = await results.getMany(chunk);
    for (const [k, r] of found.entries()) {
      if (!r) continue;
      pending.delete(chunk[k]!);
      ready.push(r);
    }
  }
  // A job that failed for good (its tries used up) has no result: say why.
  for (const [id, reason] of failed) {
    failed.delete(id);
    if (!pending.has(id)) continue;
    const job = await queue.getJob(id);
    if (job && (await job.getState()) !== 'failed') continue;
    // Gone: it may have completed on a retry (and been removed) since the results were read.
    const late = job ? undefined : await results.get(id);
    pending.delete(id);
    if (late) {
      ready.push(late);
      continue;
    }
    const host = jobs[Number(id.slice(runId.length + 1))]?.host ?? '?';
    ready.push({
      jobId: id, host, ok: false, state: 'Failed', output: [], errors: [], warnings: [], verbose: [], information: [], hadErrors: true,
      error: { code: 'PSR_FLEET_JOB_FAILED', message: reason }, recovered: false, worker: '', previousOwners: [],
    });
  }
}
