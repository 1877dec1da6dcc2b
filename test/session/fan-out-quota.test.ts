// invokeOnHosts over 1,000 hosts at throttle 1,000 against an endpoint whose
// MaxShellsPerUser (30) refuses most Creates: every host is reported, each
// refusal at once as a QuotaLimit fault naming the quota (one Create per host:
// no quiet retry), no shell is left on the server, and the process doing it
// exits by itself (a failed open releases its transport, sockets and timers).
// The hosts are one loopback endpoint's URL repeated: the quota is per user.
import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';

let ep: LocalEndpoint;
beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  ep = await startEndpoint({ quotas: { maxShellsPerUser: 30 }, handler: async (ctx) => ctx.output('ok') });
}, 120_000);
afterAll(async () => {
  await ep?.close();
});

interface ChildResult {
  readonly i: number;
  readonly ok: boolean;
  readonly output?: unknown[];
  readonly code?: string;
  readonly kind?: string;
  readonly quota?: string;
  readonly operation?: string;
  readonly message?: string;
}

function runChild(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['test/session/helpers/fan-out-child.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 100_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('1,000 hosts at throttle 1,000, quota 30: every host reported, QuotaLimit (MaxShellsPerUser) at once, and the process exits by itself', async () => {
  const r = await runChild([ep.url, '1000']);
  // Killed by the spawn timeout would be signal SIGTERM and code null.
  expect(r.signal).toBeNull();
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const results = JSON.parse(r.stdout) as ChildResult[];
  expect(results).toHaveLength(1000);
  expect(new Set(results.map((x) => x.i)).size).toBe(1000);
  const ok = results.filter((x) => x.ok);
  const failed = results.filter((x) => !x.ok);
  expect(ok.length).toBeGreaterThanOrEqual(30);
  for (const x of ok) expect(x.output).toEqual(['ok']);
  expect(failed.length).toBe(1000 - ok.length);
  for (const f of failed) {
    expect(f).toMatchObject({ code: 'PSR_WSMAN_FAULT', kind: 'QuotaLimit', quota: 'MaxShellsPerUser', operation: 'Create' });
    expect(f.message).toMatch(/^Create on 127\.0\.0\.1:\d+: QuotaLimit \(MaxShellsPerUser\) \[2150859180\]: .*maximum number of 30 concurrent shells/);
  }
  // One Create per host: a refused Create is not tried again quietly.
  expect(ep.stats.requests.Create).toBe(1000);
  expect(ep.stats.openShells).toBe(0);
  expect(ep.shells()).toEqual([]);
}, 120_000);

test('every failure path of open, invoke and close releases what it holds: the process exits by itself', async () => {
  const dead = await startEndpoint({});
  const deadUrl = dead.url;
  await dead.close(); // refuses connections
  const create500 = await startEndpoint({});
  create500.faults.add({ operation: 'Create', action: { type: 'status', status: 500 } });
  const receive500 = await startEndpoint({});
  receive500.faults.add({ operation: 'Receive', anyCommand: true, action: { type: 'status', status: 500 } });
  const delete500 = await startEndpoint({ handler: async (ctx) => ctx.output('ok') });
  delete500.faults.add({ operation: 'Delete', times: Infinity, action: { type: 'status', status: 500 } });
  try {
    const r = await runChild([JSON.stringify([deadUrl, create500.url, receive500.url, delete500.url])]);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const results = (JSON.parse(r.stdout) as ChildResult[]).sort((a, b) => a.i - b.i);
    expect(results.map((x) => [x.i, x.ok, x.code])).toEqual([
      [0, false, 'PSR_TRANSPORT'],
      [1, false, 'PSR_TRANSPORT_HTTP_STATUS'],
      [2, false, 'PSR_TRANSPORT_HTTP_STATUS'],
      // The result was in when close failed: invokeCommand reports the result, close's failure does not hide it.
      [3, true, undefined],
    ]);
    expect(receive500.shells()).toEqual([]);
  } finally {
    await Promise.all([create500.close(), receive500.close(), delete500.close()]);
  }
}, 120_000);
