// Robust connections: when the network fails under an open session, Receives
// are retried quietly for a window; within it nothing is lost, and past it the
// session is Disconnected on the client (not Broken), kept by the server, and
// reconnect() resumes it with every output object exactly once. The network is
// a TCP proxy the test cuts and refuses (test/helpers/tcp-proxy.ts); the
// server is psremote's local endpoint with a scripted pipeline whose second
// half waits for the test.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import type { ScriptContext } from '../../src/server/scripted-engine.js';
import type { RunspacePool } from '../../src/session/runspace-pool.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let endpoint: LocalEndpoint;
let proxy: TcpProxy;
let pool: RunspacePool | undefined;
let release: () => void;
let firstHalfSent: Promise<void>;
let markFirstHalf: () => void;

async function handler(ctx: ScriptContext): Promise<void> {
  if (ctx.commandText.startsWith('echo ')) return ctx.output(ctx.commandText.slice(5));
  if (ctx.commandText !== 'gated') throw new Error(`unexpected script ${ctx.commandText}`);
  for (const n of [1, 2, 3]) ctx.output(n);
  markFirstHalf();
  await new Promise<void>((r) => (release = r));
  for (const n of [4, 5, 6]) ctx.output(n);
}

beforeEach(async () => {
  firstHalfSent = new Promise((r) => (markFirstHalf = r));
  endpoint = await startEndpoint({ handler });
  proxy = await startTcpProxy(Number(new URL(endpoint.url).port));
});
afterEach(async () => {
  await pool?.close().catch(() => undefined);
  pool = undefined;
  await proxy.close();
  await endpoint.close();
});

async function collect(inv: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of inv) out.push(x);
  return out;
}

const until = (what: () => boolean, ms = 10_000) =>
  new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => (what() ? resolve() : Date.now() - t0 > ms ? reject(new Error('condition not reached')) : setTimeout(tick, 20));
    tick();
  });

test('a short outage is retried quietly: interrupted, resumed, nothing lost or repeated', async () => {
  pool = await openSession(proxy.url(endpoint.url), { networkRetryMs: 20_000, retryDelayMs: 50 });
  const events: string[] = [];
  pool.on('networkInterrupted', (e) => events.push(`interrupted:${(e as { code?: string }).code}`));
  pool.on('networkResumed', () => events.push('resumed'));
  const inv = pool.invoke('gated');
  const output = collect(inv);
  await inv.started;
  await firstHalfSent;
  await until(() => inv.output.items.length === 3);
  await proxy.down();
  await until(() => events.length > 0);
  await new Promise((r) => setTimeout(r, 300)); // several refused retries
  await proxy.up();
  release();
  expect(await output).toEqual([1, 2, 3, 4, 5, 6]);
  expect(events).toEqual(['interrupted:PSR_TRANSPORT', 'resumed']);
  expect(pool.state).toBe('Opened');
  // The session still works after the outage.
  expect(await collect(pool.invoke('echo still here'))).toEqual(['still here']);
});

test('an outage longer than the window leaves the session Disconnected; reconnect() resumes it exactly once', async () => {
  pool = await openSession(proxy.url(endpoint.url), { networkRetryMs: 600, retryDelayMs: 50 });
  const events: string[] = [];
  let reason: Error | undefined;
  pool.on('networkInterrupted', () => events.push('interrupted'));
  pool.on('networkResumed', () => events.push('resumed'));
  pool.on('disconnected', (e) => {
    events.push('disconnected');
    reason = e;
  });
  const inv = pool.invoke('gated');
  const output = collect(inv);
  await inv.started;
  await firstHalfSent;
  await until(() => inv.output.items.length === 3);
  await proxy.down();
  await until(() => events.includes('disconnected'));
  expect(events).toEqual(['interrupted', 'disconnected']);
  expect(pool.state).toBe('Disconnected');
  expect(inv.state).toBe('Disconnected');
  expect((reason as { code?: string }).code).toBe('PSR_SESSION_DISCONNECTED');
  expect(reason!.message).toMatch(/failed for 1 s .*reconnect it when the network is back/);
  expect(pool.disconnectReason).toBe(reason);
  // A disconnected session takes no new work, and says why.
  expect(() => pool!.invoke('echo x')).toThrow(expect.objectContaining({ code: 'PSR_INVALID_STATE' }));

  // The pipeline goes on on the server meanwhile; its output waits there.
  release();
  await new Promise((r) => setTimeout(r, 200));
  const before = endpoint.stats.requests.Receive ?? 0;
  await new Promise((r) => setTimeout(r, 300));
  expect(endpoint.stats.requests.Receive ?? 0).toBe(before); // no more retries once disconnected

  await proxy.up();
  await pool.reconnect();
  expect(pool.state).toBe('Opened');
  expect(pool.disconnectReason).toBeUndefined();
  expect(await output).toEqual([1, 2, 3, 4, 5, 6]);
  // Shell Reconnect, then the command's own Reconnect (MS-PSRP 3.1.5.3.18).
  const reconnects = endpoint.log.filter((l) => l.operation === 'Reconnect');
  expect(reconnects.map((l) => l.commandId)).toEqual([undefined, inv.pipelineId.toUpperCase()]);
  expect(await collect(pool.invoke('echo after'))).toEqual(['after']);
});

test('Disconnect-PSSession with a running pipeline, then Connect-PSSession in the same process: output resumes exactly once', async () => {
  pool = await openSession(endpoint.url);
  const inv = pool.invoke('gated');
  const output = collect(inv);
  await firstHalfSent;
  await until(() => inv.output.items.length === 3);
  await pool.disconnect({ idleTimeoutMs: 60_000, bufferMode: 'Block' });
  expect(pool.state).toBe('Disconnected');
  release();
  await new Promise((r) => setTimeout(r, 200));
  expect(inv.output.items).toEqual([1, 2, 3]);
  await pool.reconnect();
  expect(await output).toEqual([1, 2, 3, 4, 5, 6]);
  expect((await inv.result()).state).toBe('Completed');
});

test('with retrying off, the first network error breaks the session with a transport error', async () => {
  pool = await openSession(proxy.url(endpoint.url), { networkRetryMs: 0 });
  const inv = pool.invoke('gated');
  await inv.started;
  await firstHalfSent;
  await proxy.down();
  const err = await inv.result().catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PSR_TRANSPORT' });
  expect(() => pool!.invoke('echo x')).toThrow(expect.objectContaining({ code: 'PSR_TRANSPORT' }));
});

test("a drop in the middle of a held Receive (the endpoint's fault injection) is survived: every output once", async () => {
  // The pipeline's second Receive is cut 150 ms into its long poll, while the
  // server still waits for the rest of the output.
  const pipelineId = randomUUID();
  endpoint.faults.add({ operation: 'Receive', commandId: pipelineId, nth: 2, times: 1, action: { type: 'cut', ms: 150 } });
  pool = await openSession(endpoint.url, { retryDelayMs: 20 });
  const events: string[] = [];
  pool.on('networkInterrupted', () => events.push('interrupted'));
  pool.on('networkResumed', () => events.push('resumed'));
  const inv = pool.invoke('gated', { pipelineId });
  const output = collect(inv);
  await firstHalfSent;
  await until(() => endpoint.faults.fired.length === 1);
  await new Promise((r) => setTimeout(r, 300));
  release();
  expect(await output).toEqual([1, 2, 3, 4, 5, 6]);
  expect(endpoint.faults.fired).toEqual([{ operation: 'Receive', action: 'cut' }]);
  expect(events[0]).toBe('interrupted');
  expect(pool.state).toBe('Opened');
});
