// Fleets on real components: Debian's redis-server, BullMQ from npm, 20
// `psremote serve` processes as hosts, `psremote worker` processes started and
// SIGKILLed here. What must hold: every job's output comes back exactly once,
// while the producer streams; a killed worker makes no script run twice (each
// script appends a line to a file on its host: each line is there once), and
// its jobs finish with their full output, collected by another worker through
// the handles it stored.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseClixml } from '../../src/clixml/index.js';
import { fleetKeys, runOnFleet, type FleetClaim, type FleetResult } from '../../src/fleet/index.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { CLI, FLEET_PASSWORD, startHost, startWorker, type Proc } from './processes.js';

const HOSTS = 20;
const need = redisAvailable();
if (!need && process.env.PSREMOTE_REQUIRE_PEERS) throw new Error('redis-server is missing (.ci/run installs it)');

let redis: RedisServer;
let hosts: (Proc & { url: string })[] = [];
const workers: Proc[] = [];
let r: Redis;

const lines = (dir: string, file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean) : []);
const outputOf = (res: FleetResult) => res.output.map((x) => parseClixml(x));

describe.skipIf(!need)('psremote fleet on BullMQ and Redis', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    redis = await startRedis();
    r = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null });
    hosts = await Promise.all(Array.from({ length: HOSTS }, () => startHost()));
  }, 300_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await Promise.all(hosts.map((h) => h.stop()));
    r?.disconnect();
    await redis?.stop();
  }, 60_000);

  test('2,000 jobs over 20 endpoints with 4 workers: every output exactly once, streamed while they arrive', async () => {
    const queue = 'bulk';
    const ws = await Promise.all([1, 2, 3, 4].map((i) => startWorker(redis.url, queue, `bulk-${i}`, 16)));
    workers.push(...ws);
    const jobs = Array.from({ length: 2000 }, (_, i) => ({ host: hosts[i % HOSTS]!.url, script: `Add-Content -Path bulk.txt -Value job-${i}; Write-Output job-${i}` }));
    const seen = new Map<string, FleetResult>();
    let storedAtFirst = -1;
    for await (const res of runOnFleet(jobs, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, queueName: queue, runId: 'bulk', sweepMs: 500 })) {
      if (storedAtFirst < 0) storedAtFirst = await r.hlen(fleetKeys(queue).results);
      expect(seen.has(res.jobId)).toBe(false);
      seen.set(res.jobId, res);
    }
    // Streaming: the first result came while most jobs were still to run.
    expect(storedAtFirst).toBeGreaterThan(0);
    expect(storedAtFirst).toBeLessThan(2000);
    expect(seen.size).toBe(2000);
    for (let i = 0; i < 2000; i++) {
      const res = seen.get(`bulk-${i}`)!;
      // (A worker too starved to renew its 30 s lock may lose a job to another, which then
      // only collects it: `recovered` may be true under load; the script still ran once, below.)
      // `why` is in the comparison so that a failure prints the job's error and evidence.
      const why = res.ok ? undefined : { state: res.state, error: res.error, sessionGone: res.sessionGone, recovered: res.recovered };
      expect({ ok: res.ok, host: res.host, output: outputOf(res), why }).toEqual({ ok: true, host: jobs[i]!.host, output: [`job-${i}`], why: undefined });
    }
    // Every worker took part; the throttle is theirs (16 each).
    expect(new Set([...seen.values()].map((x) => x.worker))).toEqual(new Set(['bulk-1', 'bulk-2', 'bulk-3', 'bulk-4']));
    // Each script ran once, on its own host.
    hosts.forEach((h, k) => {
      const want = Array.from({ length: 2000 / HOSTS }, (_, j) => `job-${j * HOSTS + k}`);
      expect(lines(h.dir, 'bulk.txt').sort()).toEqual(want.sort());
    });
    // Nothing left claimed, no session left on a host.
    expect(await r.hlen(fleetKeys(queue).claims)).toBe(0);
    // No job carried a secret through Redis.
    expect((await r.hgetall(fleetKeys(queue).results)).toString()).not.toContain(FLEET_PASSWORD);
    await Promise.all(ws.map((w) => w.stop()));
  }, 600_000);

  test('a SIGKILLed worker: no script runs twice; its jobs finish with full output through the stored handles', async () => {
    const queue = 'crash';
    // A short lock (2 s), so that the dead worker's jobs are taken over soon.
    const a = await startWorker(redis.url, queue, 'crash-a', 20, 2);
    const b = await startWorker(redis.url, queue, 'crash-b', 20, 2);
    workers.push(a, b);
    const N = 40;
    const jobs = Array.from({ length: N }, (_, i) => ({
      host: hosts[i % HOSTS]!.url,
      script: `Add-Content -Path crash.txt -Value run-${i}; Start-Sleep -Milliseconds 6000; Write-Output first-${i}; Write-Output second-${i}`,
    }));
    const results: FleetResult[] = [];
    let killedWith: FleetClaim[] = [];
    const killer = (async () => {
      // Kill A once it holds running pipelines whose handles are stored.
      for (;;) {
        const claims = Object.values(await r.hgetall(fleetKeys(queue).claims)).map((v) => JSON.parse(v) as FleetClaim);
        const mine = claims.filter((c) => c.owner === 'crash-a' && c.phase === 'running');
        if (mine.length >= 5) {
          a.child.kill('SIGKILL');
          killedWith = mine;
          return;
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    for await (const res of runOnFleet(jobs, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }, queueName: queue, runId: 'crash', sweepMs: 500 })) results.push(res);
    await killer;
    expect(killedWith.length).toBeGreaterThanOrEqual(5);
    expect(results.length).toBe(N);
    for (const res of results) {
      const i = Number(res.jobId.split('-')[1]);
      const why = res.ok ? undefined : { state: res.state, error: res.error, sessionGone: res.sessionGone, recovered: res.recovered, worker: res.worker };
      expect({ ok: res.ok, output: outputOf(res), why }).toEqual({ ok: true, output: [`first-${i}`, `second-${i}`], why: undefined });
    }
    // The killed worker's running jobs were collected by B, through their handles.
    for (const c of killedWith) {
      const res = results.find((x) => x.jobId === c.jobId)!;
      // (previousOwners may go on with crash-b if B, starved, lost its own 2 s lock and took the job back.)
      expect({ worker: res.worker, recovered: res.recovered, from: res.previousOwners[0] }).toEqual({ worker: 'crash-b', recovered: true, from: 'crash-a' });
    }
    // Each script ran exactly once: one line per job over all hosts.
    const all = hosts.flatMap((h) => lines(h.dir, 'crash.txt'));
    expect(all.sort()).toEqual(Array.from({ length: N }, (_, i) => `run-${i}`).sort());
    await b.stop();
  }, 300_000);

  test('psremote invoke --queue --hosts-file streams each host\'s result in invoke\'s formats', async () => {
    const queue = 'cli';
    const w = await startWorker(redis.url, queue, 'cli-1', 8);
    workers.push(w);
    const dir = hosts[0]!.dir;
    writeFileSync(join(dir, 'hosts.txt'), `# the fleet\n${hosts.map((h) => h.url).join('\n')}\n`);
    writeFileSync(join(dir, 'script.ps1'), 'Add-Content -Path cli.txt -Value ran; Write-Output hello; Write-Warning careful');
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'invoke', '--queue', redis.url, '--queue-name', queue, '--hosts-file', 'hosts.txt', '-f', 'script.ps1', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(out.code).toBe(0);
    const got = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { host: string; value: unknown });
    expect(got.map((g) => g.host).sort()).toEqual(hosts.map((h) => h.url).sort());
    expect(new Set(got.map((g) => g.value))).toEqual(new Set(['hello']));
    expect(out.stderr.trim().split('\n').sort()).toEqual(hosts.map((h) => `[${h.url}] WARNING: careful`).sort());
    for (const h of hosts) expect(lines(h.dir, 'cli.txt')).toEqual(['ran']);
    await w.stop();
  }, 300_000);
});
