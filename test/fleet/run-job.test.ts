// runFleetJob with the caller's own stores (here a Map behind the SessionStore
// interface), against the local endpoint in this process: a job runs once and
// its result is kept once; a second delivery of a finished job returns the
// stored result without touching the host; a job whose session is gone (the
// host "rebooted": a new endpoint on the same port) is reported SessionGone
// with the evidence, and nothing is run again.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runFleetJob, type FleetClaim, type FleetResult, type JobContext } from '../../src/fleet/index.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { canonicalJson, type SessionStore } from '../../src/session/handle.js';
import { openSession } from '../../src/session/open.js';

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
