// Fleets on BullMQ and Redis (docs/fleet.md): jobs per second with 1, 2 and 4
// `psremote worker` processes (concurrency 16 each) over 4 `psremote serve`
// hosts, and the cost of one job's disconnected-session path (open, Command,
// Disconnect, claim in Redis, Connect, Receive, Delete) against a plain invoke
// (open, Command, Receive, Delete) on one loopback endpoint. Run with
// `nice -n 10 node --import tsx bench/fleet.bench.ts` after `npm run build`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { startEndpoint } from '../src/server/endpoint.js';
import { openSession } from '../src/session/open.js';
import { RedisSessionStore } from '../src/session/redis-store.js';
import { runFleetJob, runOnFleet, type FleetClaim, type FleetResult } from '../src/fleet/index.js';
import { startRedis } from '../test/helpers/redis.js';

const CLI = resolve(import.meta.dirname, '../dist/cli/main.js');
const JOBS = Number(process.env.FLEET_BENCH_JOBS ?? 600);
const redis = await startRedis();
const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };

function proc(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: mkdtempSync(join(tmpdir(), 'psremote-fleet-bench-')), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) res({ child, match: m });
    });
    child.once('exit', (c) => rej(new Error(`${args[0]} exited ${c}`)));
  });
}
const stop = async (c: ChildProcess) => {
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
};

const hosts = await Promise.all([1, 2, 3, 4].map(() => proc(['serve', '--port', '0', '--idle-disconnect', '5', '--max-shells-per-user', '500'], /listening on (\S+)/)));
const urls = hosts.map((h) => h.match[1]!);

console.log(`| workers (concurrency 16 each) | jobs | wall time | jobs/s |`);
console.log(`|---|---|---|---|`);
for (const n of [1, 2, 4]) {
  const queue = `bench-${n}`;
  const workers = await Promise.all(Array.from({ length: n }, (_, i) => proc(['worker', '--queue', `redis://127.0.0.1:${redis.port}/0`, '--queue-name', queue, '--name', `w${i}`, '--concurrency', '16', '--quiet'], /^worker /m)));
  const jobs = Array.from({ length: JOBS }, (_, i) => ({ host: urls[i % urls.length]!, script: `Write-Output ${i}` }));
  const t = performance.now();
  let done = 0;
  for await (const r of runOnFleet(jobs, { connection, queueName: queue, sweepMs: 500 })) if (r.ok) done++;
  const s = (performance.now() - t) / 1000;
  console.log(`| ${n} | ${done}/${JOBS} | ${s.toFixed(1)} s | ${(done / s).toFixed(1)} |`);
  await Promise.all(workers.map((w) => stop(w.child)));
}
await Promise.all(hosts.map((h) => stop(h.child)));

// One job at a time on one in-process endpoint: latency and requests per job.
const ep = await startEndpoint({ idleDisconnectMs: 5000 });
const r = new Redis(connection);
const ctx = { worker: 'bench', claims: new RedisSessionStore<FleetClaim>(r, 'bench:claims'), results: new RedisSessionStore<FleetResult>(r, 'bench:results'), sessionOptions: () => ({}) };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const requests = () => Object.values(ep.stats.requests).reduce((a, b) => a + b, 0);
const measure = async (run: (i: number) => Promise<unknown>) => {
  for (let i = 0; i < 10; i++) await run(-1 - i);
  const times: number[] = [];
  const before = requests();
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await run(i);
    times.push(performance.now() - t);
  }
  return { ms: median(times), requests: (requests() - before) / 100 };
};
const plain = await measure(async () => {
  const pool = await openSession(ep.url, { closeOnExit: false });
  await pool.invoke('Write-Output 1').result();
  await pool.close();
});
let k = 0;
const disconnected = await measure(async () => runFleetJob(`j${k++}`, { host: ep.url, script: 'Write-Output 1' }, ctx));
console.log('');
console.log(`| one job, sequential, loopback | median | WSMan requests per job |`);
console.log(`|---|---|---|`);
console.log(`| plain invoke (open, Command, Receive, Delete) | ${plain.ms.toFixed(1)} ms | ${plain.requests.toFixed(1)} |`);
console.log(`| disconnected-session path (runFleetJob: + Disconnect, claim CAS ×2, Connect ×2, result, claim delete) | ${disconnected.ms.toFixed(1)} ms | ${disconnected.requests.toFixed(1)} |`);
console.log(`| cost of crash safety | ${(disconnected.ms / plain.ms).toFixed(2)}× | +${(disconnected.requests - plain.requests).toFixed(1)} |`);
r.disconnect();
await ep.close();
await redis.stop();
