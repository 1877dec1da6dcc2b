// `psremote worker --queue redis://HOST:PORT/N`: runs psremote jobs from a
// BullMQ queue (docs/fleet.md) until SIGINT/SIGTERM. Credentials for the hosts
// come from this worker's own flags, environment and credential helper, never
// from the queue. `--concurrency` is the throttle: pipelines at once.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { DEFAULT_QUEUE, redisOptions, startFleetWorker } from '../../fleet/index.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import type { CliIO } from '../io.js';
import { visibleText } from '../terminal-text.js';
import { untilSignal } from './serve.js';

interface WorkerFlags extends ConnectionFlags {
  queue: string;
  queueName: string;
  concurrency: string;
  name?: string;
  lockDuration: string;
  connectWait: string;
  quiet?: boolean;
}

const seconds = (name: string, v: string, min: number) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`invalid --${name} ${v}: expected a number of seconds ≥ ${min}`);
  return n * 1000;
};

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('worker')
    .description('run psremote jobs from a BullMQ queue on Redis (psremote invoke --queue enqueues them); crash-safe through disconnected sessions')
    .requiredOption('--queue <url>', 'the Redis of the queue: redis://HOST:PORT/N (password in PSREMOTE_REDIS_PASSWORD)')
    .option('--queue-name <name>', 'BullMQ queue name', DEFAULT_QUEUE)
    .option('--concurrency <n>', 'pipelines at once (the throttle)', '32')
    .option('--name <name>', 'this worker\'s name in claims and results (default host:pid)')
    .option('--lock-duration <seconds>', 'BullMQ job lock; a dead worker\'s jobs are taken over after about this long', '30')
    .option('--connect-wait <seconds>', 'how long to wait for a dead worker\'s session to become Disconnected on the host', '120')
    .option('--quiet', 'do not print a line per job');
  addConnectionFlags(cmd).action(async (f: WorkerFlags) => {
    const concurrency = Number(f.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`invalid --concurrency ${f.concurrency}`);
    const lock = seconds('lock-duration', f.lockDuration, 1);
    const worker = await startFleetWorker({
      connection: redisOptions(f.queue),
      queueName: f.queueName,
      concurrency,
      ...(f.name ? { name: f.name } : {}),
      lockDurationMs: lock,
      stalledIntervalMs: Math.max(1000, lock / 2),
      connectWaitMs: seconds('connect-wait', f.connectWait, 0),
      sessionOptions: async (host) => {
        // The host's target object, less the endpoint that the job names.
        const { endpoint: _e, secure, ...connection } = await connectionOptions(host, f, io);
        return { ...connection, ...(secure !== undefined ? { useSsl: secure } : {}) };
      },
      onResult: (r) => {
        if (f.quiet) return;
        const how = r.sessionGone ? 'session gone' : r.ok ? (r.hadErrors ? 'completed with errors' : 'completed') : `failed: ${r.error?.message ?? r.state}`;
        io.stderr.write(`${r.jobId} [${r.host}] ${visibleText(how)}${r.recovered ? ` (taken over from ${r.previousOwners.join(', ')})` : ''}\n`);
      },
    });
    io.stdout.write(`worker ${worker.name} on queue ${f.queueName} (concurrency ${concurrency})\n`);
    await untilSignal();
    await worker.close();
  });
}
