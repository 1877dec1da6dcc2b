// Robust connections: when the network fails under an open session, Receives
// are retried quietly for a window; within it nothing is lost, and past it the
// session is Disconnected on the client (not Broken), kept by the server, and
// reconnect() resumes it with every output object exactly once. The network is
// a TCP proxy the test cuts and refuses (test/helpers/tcp-proxy.ts); the
// server is psremote's local endpoint with a scripted pipeline whose second
// half waits for the test. The retry window and the pauses between retries run
// on a ManualClock given to the carrier: the test moves time, the sockets are real.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession, wsmanCarrier, type SessionOptions } from '../../src/session/open.js';
import type { ScriptContext } from '../../src/server/scripted-engine.js';
import { RunspacePool } from '../../src/session/runspace-pool.js';
import type { WSManCarrier } from '../../src/session/carriers/wsman-carrier.js';
import { ManualClock } from '../../src/util/clock.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/until.js';

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

/** A session whose carrier the test can see (its Receive count) and whose retry timing runs on `clock`. */
async function openWithClock(target: string, options: SessionOptions & { clock: ManualClock }): Promise<{ pool: RunspacePool; carrier: WSManCarrier }> {
  const carrier = wsmanCarrier(target, options);
  return { pool: await RunspacePool.open(carrier, options), carrier };
}

test('a short outage is retried quietly: interrupted, resumed, nothing lost or repeated', async () => {
  const clock = new ManualClock();
  const opened = await openWithClock(proxy.url(endpoint.url), { networkRetryMs: 20_000, retryDelayMs: 50, clock });
  pool = opened.pool;
  const receives = () => opened.carrier.requestCounts.Receive ?? 0;
  const events: string[] = [];
  pool.on('networkInterrupted', (e) => events.push(`interrupted:${(e as { code?: string }).code}`));
  pool.on('networkResumed', () => events.push('resumed'));
  const inv = pool.invoke('gated');
  const output = collect(inv);
  await inv.started;
  await firstHalfSent;
  await until(() => inv.output.items.length === 3);
  await proxy.down();
  await until(() => events.length > 0 && clock.pending === 2, 'both Receive loops pausing');
  // The pool's and the pipeline's loops each pause 50, 100, 200 ms between refused tries: nothing before.
  for (const pause of [50, 100, 200]) {
    const before = receives();
    await clock.advance(pause - 1);
    expect(receives()).toBe(before);
    await clock.advance(1);
    await until(() => receives() === before + 2 && clock.pending === 2, `the retries after ${pause} ms`);
  }
  expect(events).toEqual(['interrupted:PSR_TRANSPORT']); // quiet: one interruption, however many tries
  await proxy.up();
  await clock.advance(400);
  release();
  expect(await output).toEqual([1, 2, 3, 4, 5, 6]);
  expect(events).toEqual(['interrupted:PSR_TRANSPORT', 'resumed']);
  expect(pool.state).toBe('Opened');
  // The session still works after the outage.
  expect(await collect(pool.invoke('echo still here'))).toEqual(['still here']);
});

test('an outage longer than the window leaves the session Disconnected; reconnect() resumes it exactly once', async () => {
  const clock = new ManualClock();
  const opened = await openWithClock(proxy.url(endpoint.url), { networkRetryMs: 600, retryDelayMs: 50, clock });
  pool = opened.pool;
  const receives = () => opened.carrier.requestCounts.Receive ?? 0;
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
  // Tries at 0, 50, 150 and 350 ms are inside the 600 ms window; the one at 750 ms is past it.
  const started = clock.now();
  while (!events.includes('disconnected')) {
    await until(() => clock.pending > 0 || events.includes('disconnected'), 'a retry pause or the disconnect');
    if (clock.pending > 0) await clock.advance(clock.nextDue()! - clock.now());
  }
  expect(clock.now() - started).toBe(750);
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
  // No more retries once disconnected: no pause is pending, and a minute later no Receive went out.
  expect(clock.pending).toBe(0);
  const before = receives();
  await clock.advance(60_000);
  expect(receives()).toBe(before);

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
  // The rest of the output is made and buffered by the server, and no Receive fetches it while disconnected.
  await until(() => endpoint.stats.bufferedBytes > 0, 'the output buffered on the server');
  expect(endpoint.stats.pendingReceives).toBe(0);
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
  const clock = new ManualClock();
  pool = (await openWithClock(endpoint.url, { retryDelayMs: 20, clock })).pool;
  const events: string[] = [];
  pool.on('networkInterrupted', () => events.push('interrupted'));
  pool.on('networkResumed', () => events.push('resumed'));
  const inv = pool.invoke('gated', { pipelineId });
  const output = collect(inv);
  await firstHalfSent;
  await until(() => endpoint.faults.fired.length === 1);
  await until(() => events.includes('interrupted') && clock.pending === 1, 'the cut Receive pausing');
  await clock.advance(20);
  release();
  expect(await output).toEqual([1, 2, 3, 4, 5, 6]);
  expect(endpoint.faults.fired).toEqual([{ operation: 'Receive', action: 'cut' }]);
  expect(events[0]).toBe('interrupted');
  expect(pool.state).toBe('Opened');
});
