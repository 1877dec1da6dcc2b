// A BullMQ worker that runs psremote jobs: BullMQ gives each job to one worker
// at a time and, when a worker dies, its stalled-job check hands the job to
// another; runFleetJob makes that second delivery a collection, not a second
// run. Concurrency is the throttle: pipelines this worker runs at once.

import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisSessionStore } from '../session/redis-store.js';
import type { SessionOptions } from '../session/open.js';
import { parseFleetJob, type FleetClaim, type FleetResult } from './job.js';
import { runFleetJob } from './run-job.js';

export const DEFAULT_QUEUE = 'psremote';

/** Redis keys of a queue's claims and results (hashes, field = job id). */
export function fleetKeys(queueName: string): { claims: string; results: string } {
  return { claims: `psremote:${queueName}:claims`, results: `psremote:${queueName}:results` };
}

export interface FleetWorkerOptions {
  /** ioredis options (redisOptions(url) builds them from redis://HOST:PORT/N). */
  readonly connection: ConnectionOptions;
  readonly queueName?: string;
  /** Pipelines at once (default 32). */
  readonly concurrency?: number;
  /** Credentials and connection options per host, from this worker's environment: never from the queue. */
  readonly sessionOptions?: (host: string) => SessionOptions | Promise<SessionOptions>;
  /** Name in claims and results (default host:pid). */
  readonly name?: string;
  /** BullMQ's lock on a running job; a dead worker's jobs are taken over after about this long (default 30 s). */
  readonly lockDurationMs?: number;
  /** How often BullMQ looks for stalled jobs (default 30 s). */
  readonly stalledIntervalMs?: number;
  readonly connectWaitMs?: number;
  readonly idleTimeoutMs?: number;
  /** Called after each job (for logs). */
  readonly onResult?: (result: FleetResult) => void;
}

export interface FleetWorker {
  readonly name: string;
  readonly worker: Worker;
  close(): Promise<void>;
}

export async function startFleetWorker(options: FleetWorkerOptions): Promise<FleetWorker> {
  const queueName = options.queueName ?? DEFAULT_QUEUE;
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const redis = new Redis(options.connection as never);
  const keys = fleetKeys(queueName);
  const claims = new RedisSessionStore<FleetClaim>(redis, keys.claims);
  const results = new RedisSessionStore<FleetResult>(redis, keys.results);
  const abort = new AbortController();
  // Every running job listens on it: as many listeners as the concurrency.
  setMaxListeners(0, abort.signal);
  const processor = async (job: Job): Promise<FleetResult> => {
    const id = job.id ?? '';
    const result = await runFleetJob(id, parseFleetJob(job.data, id), {
      worker: name,
      claims,
      results,
      sessionOptions: options.sessionOptions ?? (() => ({})),
      signal: abort.signal,
      ...(options.connectWaitMs !== undefined ? { connectWaitMs: options.connectWaitMs } : {}),
      ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    });
    options.onResult?.(result);
    return result;
  };
  const worker = new Worker(queueName, processor, {
    connection: options.connection,
    concurrency: Math.max(1, options.concurrency ?? 32),
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    // A job of a dead worker comes back once as "stalled"; more is a loop.
    maxStalledCount: 2,
    name,
  });
  // Without a listener an error event would end the process; Redis outages are retried by ioredis.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return {
    name,
    worker,
    async close() {
      await worker.close();
      abort.abort();
      redis.disconnect();
    },
  };
}
