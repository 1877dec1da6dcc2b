// runFleetJob with the caller's own stores (here a Map behind the SessionStore
// interface), against the local endpoint in this process: a job runs once and
// its result is kept once; a second delivery of a finished job returns the
// stored result without touching the host; a job whose session is gone (the
// host "rebooted": a new endpoint on the same port) is reported SessionGone
// with the evidence, and nothing is run again. A take-over whose shell the dead
// worker's connection still holds retries its Connect on the job's clock until
// the host disconnects the shell, or gives up after connectWaitMs; a worker
// whose fresh shell the host disconnected before its Command connects to it
// again and sends the Command once more. All against the real endpoint code;
// time moves only on ManualClocks (the host's idle sweep, the job's waits).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runFleetJob, type FleetClaim, type FleetResult, type JobContext } from '../../src/fleet/index.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { canonicalJson, type SessionStore } from '../../src/session/handle.js';
import { openSession } from '../../src/session/open.js';
import { ManualClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';

class MapStore<T> implements SessionStore<T> {
  readonly map = new Map<string, string>();
  async get(k: string) {
    const v = this.map.get(k);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async put(k: string, v: T) {
    this.map.set(k, canonicalJson(v));
  }
  async delete(k: string) {
    return this.map.delete(k);
  }
  async list() {
    return [...this.map].map(([key, v]) => ({ key, value: JSON.parse(v) as T }));
  }
  async compareAndSet(k: string, expected: T | undefined, next: T | undefined) {
    if (this.map.get(k) !== (expected === undefined ? undefined : canonicalJson(expected))) return false;
    if (next === undefined) this.map.delete(k);
    else this.map.set(k, canonicalJson(next));
    return true;
  }
}

let ep: LocalEndpoint;
let runs: string[] = [];
const handler = async (ctx: { commandText: string; output(v: unknown): void }) => {
  runs.push(ctx.commandText);
  ctx.output(`ran ${ctx.commandText}`);
};
beforeAll(async () => {
  ep = await startEndpoint({ handler });
});
afterAll(async () => {
  await ep?.close();
});

const context = (claims = new MapStore<FleetClaim>(), results = new MapStore<FleetResult>()): JobContext & { claims: MapStore<FleetClaim>; results: MapStore<FleetResult> } => ({
  worker: 'w1',
  claims,
  results,
  sessionOptions: () => ({}),
  connectWaitMs: 2_000,
});

test('runs once, writes the result once; a second delivery returns it without a second run', async () => {
  runs = [];
  const ctx = context();
  const first = await runFleetJob('j1', { host: ep.url, script: 'a' }, ctx);
  expect({ ok: first.ok, output: first.output, recovered: first.recovered, worker: first.worker }).toEqual({ ok: true, output: ['<S>ran a</S>'], recovered: false, worker: 'w1' });
  expect(ctx.claims.map.size).toBe(0);
  const again = await runFleetJob('j1', { host: ep.url, script: 'a' }, { ...context(ctx.claims, ctx.results), worker: 'w2' });
  expect(again).toEqual(first);
  expect(runs).toEqual(['a']);
  expect(ep.stats.openShells).toBe(0);
});

test('the host lost the session (reboot): SessionGone with evidence, not run again', async () => {
  runs = [];
  const pool = await openSession(ep.url, { closeOnExit: false });
  const inv = pool.invoke('b', { inDisconnectedSession: true });
  await inv.started;
  await pool.disconnect();
  const handle = pool.handle();
  await pool.release();
  // The "reboot": the endpoint goes away and comes back on the same port, empty.
  const port = Number(new URL(ep.url).port);
  await ep.close();
  ep = await startEndpoint({ handler, port });
  const ctx = context();
  const claim: FleetClaim = { jobId: 'j2', host: ep.url, owner: 'dead', phase: 'running', runspacePoolId: handle.runspacePoolId, pipelineId: handle.pipelineIds[0]!, handle };
  await ctx.claims.put('j2', claim);
  const r = await runFleetJob('j2', { host: ep.url, script: 'b' }, ctx);
  expect({ ok: r.ok, state: r.state, recovered: r.recovered, previousOwners: r.previousOwners, shellId: r.sessionGone?.shellId }).toEqual({
    ok: false,
    state: 'SessionGone',
    recovered: true,
    previousOwners: ['dead'],
    shellId: handle.shellId,
  });
  expect(r.error?.code).toBe('PSR_SESSION_NOT_FOUND');
  expect(r.sessionGone?.evidence[0]).toContain(`Connect to ShellId ${handle.shellId}`);
  expect(r.sessionGone?.evidence[1]).toBe(`the host lists 0 PowerShell sessions for this user, none with ShellId ${handle.shellId}`);
  expect(runs).toEqual(['b']); // the first host ran it before the "reboot"; nobody ran it again
  expect(ctx.claims.map.size).toBe(0);
});

describe('shells the host still holds, or disconnected too early', () => {
  let host: LocalEndpoint | undefined;
  afterEach(async () => {
    await host?.close();
    host = undefined;
  });

  /** A worker that started job `jobId` and vanished while connected (its Receives stop; the host has not noticed yet). */
  async function vanishedWorker(jobId: string, script: string, hostClock: ManualClock): Promise<FleetClaim> {
    host = await startEndpoint({ handler, idleDisconnectMs: 5_000, clock: hostClock });
    const dead = await openSession(host.url, { networkRetryMs: 0, closeOnExit: false });
    await dead.invoke(script, { inDisconnectedSession: true }).started;
    const handle = dead.handle();
    const ep = host;
    ep.faults.add({ operation: 'Receive', times: Infinity, action: { type: 'drop' } });
    await hostClock.advance(20_000); // its held Receive times out (OperationTimeout 20 s); the next one is dropped
    await until(() => ep.faults.fired.length > 0 && ep.stats.pendingReceives === 0, 'the dead worker\'s last Receive');
    ep.faults.clear();
    return { jobId, host: ep.url, owner: 'dead', phase: 'running', runspacePoolId: handle.runspacePoolId, pipelineId: handle.pipelineIds[0]!, handle };
  }

  /** Runs the job; each time it sleeps before another Connect, records the wait and lets `beforeWake` act, then moves its clock on. */
  async function drive(job: Promise<FleetResult>, clock: ManualClock, beforeWake: (waits: number[]) => Promise<void> = async () => undefined) {
    let settled = false;
    void job.finally(() => (settled = true)).catch(() => undefined);
    const waits: number[] = [];
    for (;;) {
      await until(() => settled || clock.pending === 1, 'the job\'s next wait');
      if (settled) return { result: await job, waits };
      waits.push(clock.nextDue()! - clock.now());
      await beforeWake(waits);
      await clock.advance(waits.at(-1)!);
    }
  }

  const refusedConnects = () => host!.log.filter((l) => l.operation === 'Connect' && l.status === 500).length;

  test('"in use": the Connect is retried with backoff until the host disconnects the dead worker\'s shell, then collected once', async () => {
    runs = [];
    const hostClock = new ManualClock();
    const jobClock = new ManualClock();
    const claim = await vanishedWorker('j3', 'c', hostClock);
    const ctx = { ...context(), clock: jobClock, connectWaitMs: 30_000 };
    await ctx.claims.put('j3', claim);
    const { result, waits } = await drive(runFleetJob('j3', { host: host!.url, script: 'c' }, ctx), jobClock, async (w) => {
      expect(host!.shells()[0]?.state).toBe('Connected');
      // After the third refusal the host's idle time (5 s, swept every 1.25 s) runs out: the shell is Disconnected.
      if (w.length === 3) {
        await hostClock.advance(7_000);
        expect(host!.shells()[0]?.state).toBe('Disconnected');
      }
    });
    expect(waits).toEqual([250, 500, 1_000]);
    expect(refusedConnects()).toBe(3);
    expect({ ok: result.ok, output: result.output, recovered: result.recovered, previousOwners: result.previousOwners }).toEqual({ ok: true, output: ['<S>ran c</S>'], recovered: true, previousOwners: ['dead'] });
    expect(runs).toEqual(['c']);
    expect(ctx.claims.map.size).toBe(0);
    expect(host!.stats.openShells).toBe(0);
  });

  test('"in use" past connectWaitMs: the job fails with PSR_SESSION_IN_USE naming the shell and the wait; nothing is run again', async () => {
    runs = [];
    const jobClock = new ManualClock();
    const claim = await vanishedWorker('j4', 'd', new ManualClock());
    const ctx = { ...context(), clock: jobClock, connectWaitMs: 3_000 };
    await ctx.claims.put('j4', claim);
    const { result, waits } = await drive(runFleetJob('j4', { host: host!.url, script: 'd' }, ctx), jobClock);
    // 250 + 500 + 1000, then only what is left of the 3 s: the last try is at the bound.
    expect(waits).toEqual([250, 500, 1_000, 1_250]);
    expect(refusedConnects()).toBe(5);
    const shellId = claim.handle!.shellId;
    expect({ ok: result.ok, state: result.state, code: result.error?.code, recovered: result.recovered }).toEqual({ ok: false, state: 'Failed', code: 'PSR_SESSION_IN_USE', recovered: true });
    expect(result.error?.message).toBe(
      `job j4: the session ${shellId} on ${host!.url} was still in use by another client after 3.0 s (5 Connects refused): ` +
        `the host did not disconnect the previous worker's connection within the take-over wait (connectWaitMs); its pipeline may still run there and is not started again`,
    );
    expect(runs).toEqual(['d']);
    expect(ctx.claims.map.size).toBe(0);
    expect(await ctx.results.get('j4')).toEqual(result);
    expect(host!.shells()).toEqual([expect.objectContaining({ shellId, state: 'Connected' })]);
  });

  test('the host disconnected the fresh shell before its Command: connected again, the Command sent once more, the output once', async () => {
    runs = [];
    const clock = new ManualClock();
    host = await startEndpoint({ handler, idleDisconnectMs: 1_000, clock });
    // As the answer that opens the pool leaves, the host's idle time passes: a worker starved after its open.
    host.faults.add({ operation: 'Receive', nth: 1, action: { type: 'rewrite', response: (soap) => (void clock.advance(2_000), soap) } });
    const ctx = context();
    const result = await runFleetJob('j5', { host: host.url, script: 'e' }, ctx);
    expect(host.stats.idleDisconnects).toBe(1);
    const ops = host.log.filter((l) => ['Command', 'Connect', 'Disconnect'].includes(l.operation)).map((l) => `${l.operation} ${l.status}`);
    // Refused; ours again (Disconnect here, Connect); the Command once more; then the usual Disconnect and the collection's Connects.
    expect(ops.slice(0, 4)).toEqual(['Command 500', 'Disconnect 200', 'Connect 200', 'Command 200']);
    expect({ ok: result.ok, output: result.output, recovered: result.recovered }).toEqual({ ok: true, output: ['<S>ran e</S>'], recovered: false });
    expect(runs).toEqual(['e']);
    expect(ctx.claims.map.size).toBe(0);
    expect(host.stats.openShells).toBe(0);
  });

  test('a Command refused on a shell the host still lists Connected (a quota): not sent again, the job fails, nothing ran', async () => {
    runs = [];
    host = await startEndpoint({ handler, quotas: { maxCommandsPerShell: 0 } });
    const ctx = context();
    const result = await runFleetJob('j6', { host: host.url, script: 'f' }, ctx);
    expect({ ok: result.ok, state: result.state, code: result.error?.code }).toEqual({ ok: false, state: 'Failed', code: 'PSR_WSMAN_FAULT' });
    expect(host.log.filter((l) => ['Command', 'Connect'].includes(l.operation)).map((l) => `${l.operation} ${l.status}`)).toEqual(['Command 500']);
    expect(runs).toEqual([]);
    expect(ctx.claims.map.size).toBe(0);
    expect(host.stats.openShells).toBe(0);
  });
});
