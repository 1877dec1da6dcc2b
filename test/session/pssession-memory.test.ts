// The public session API over the in-memory carrier (psremote's own PSRP server
// with scripted pipelines). The same scenarios run over WSMan against recordings
// and the real engine in their own suites.
import { describe, expect, test } from 'vitest';
import { MemoryCarrier, type ScriptHandler } from '../../src/server/memory-carrier.js';
import { RunspacePool } from '../../src/session/runspace-pool.js';
import { PipelineFailedError } from '../../src/session/powershell.js';
import { invokeCommand, invokeOnHosts } from '../../src/session/invoke.js';
import type { PSHost } from '../../src/session/host/host.js';
import type { PSValue } from '../../src/psrp/index.js';

const echo: ScriptHandler = async (ctx) => {
  if (ctx.commandText === 'streams') {
    ctx.output('o1');
    ctx.error('e1');
    ctx.warning('w1');
    ctx.verbose('v1');
    ctx.debug('d1');
    ctx.information('i1');
    ctx.progress('p1');
    ctx.output(2);
    return;
  }
  if (ctx.commandText === 'double-input') {
    for await (const x of ctx.input) ctx.output((x as number) * 2);
    return;
  }
  if (ctx.commandText === 'read-host') {
    const answer = await ctx.hostCall(11, 'ReadLine');
    ctx.output(`you said ${String(answer)}`);
    return;
  }
  if (ctx.commandText === 'sleep') {
    ctx.output('started');
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    return;
  }
  if (ctx.commandText === 'fail') throw new Error('boom from the server');
  if (ctx.commandText === 'Get-Thing') {
    ctx.output(ctx.parameters.map((p) => `${p.name ?? '-'}=${String(p.value)}`).join(','));
    return;
  }
  ctx.output(ctx.commandText);
};

async function openPool(handler: ScriptHandler = echo, host?: PSHost) {
  const carrier = new MemoryCarrier({ handler });
  const pool = await RunspacePool.open(carrier, { ...(host ? { host } : {}), maxRunspaces: 4 });
  return { carrier, pool };
}

describe('RunspacePool over the in-memory carrier', () => {
  test('open reports the server version, invoke returns output, close deletes', async () => {
    const { carrier, pool } = await openPool();
    expect(pool.state).toBe('Opened');
    expect(pool.serverProtocolVersion).toBe('2.3');
    const r = await pool.invoke('hello').result();
    expect(r).toMatchObject({ output: ['hello'], error: [], hadErrors: false, state: 'Completed' });
    await pool.close();
    expect(carrier.requestCounts).toEqual({ Create: 1, Command: 1, Delete: 1 });
    expect(() => pool.invoke('again')).toThrow(/Closed/);
  });

  test('every stream arrives in its own place, output streams while running', async () => {
    const { pool } = await openPool();
    const inv = pool.invoke('streams');
    const seen: PSValue[] = [];
    for await (const o of inv) seen.push(o);
    expect(seen).toEqual(['o1', 2]);
    const r = await inv.result();
    expect(r.error).toEqual(['e1']);
    expect(r.warning).toEqual(['w1']);
    expect(r.verbose).toEqual(['v1']);
    expect(r.debug).toEqual(['d1']);
    expect(r.information).toEqual(['i1']);
    expect(r.progress).toEqual(['p1']);
    expect(r.hadErrors).toBe(true);
    const warnings: PSValue[] = [];
    for await (const w of inv.streams.warning) warnings.push(w);
    expect(warnings).toEqual(['w1']);
    await pool.close();
  });

  test('a command with parameters and arguments', async () => {
    const { pool } = await openPool();
    const r = await pool.invoke({ command: 'Get-Thing', parameters: { Name: 'x', Count: 3 }, arguments: ['pos'] }).result();
    expect(r.output).toEqual(['Name=x,Count=3,-=pos']);
    await pool.close();
  });

  test('input streams from an async iterable', async () => {
    const { pool } = await openPool();
    async function* numbers() {
      for (let i = 1; i <= 5; i++) {
        await new Promise((r) => setImmediate(r));
        yield i;
      }
    }
    const r = await pool.invoke('double-input', { input: numbers() }).result();
    expect(r.output).toEqual([2, 4, 6, 8, 10]);
    await pool.close();
  });

  test('an array of input goes with its end in one payload after CREATE_PIPELINE, as PowerShell\'s client sends it', async () => {
    const { carrier, pool } = await openPool();
    const sendsBefore = carrier.requestCounts.Send ?? 0;
    const r = await pool.invoke('double-input', { input: [1, 2, 3] }).result();
    expect(r.output).toEqual([2, 4, 6]);
    // One Send: three PIPELINE_INPUT and END_OF_PIPELINE_INPUT together (golden trace "input").
    expect((carrier.requestCounts.Send ?? 0) - sendsBefore).toBe(1);
    await pool.close();
  });

  test('a host call is answered by the application host', async () => {
    const calls: string[] = [];
    const host: PSHost = {
      call(c) {
        calls.push(c.method);
        return 'forty-two';
      },
    };
    const { pool } = await openPool(echo, host);
    const r = await pool.invoke('read-host').result();
    expect(r.output).toEqual(['you said forty-two']);
    expect(calls).toEqual(['ReadLine']);
    await pool.close();
  });

  test('the default host answers ReadLine with a clear error instead of hanging', async () => {
    const { pool } = await openPool();
    const inv = pool.invoke('read-host');
    const err = await inv.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect((err as PipelineFailedError).code).toBe('PSR_PIPELINE_FAILED');
    expect((err as Error).message).toMatch(/non-interactive and cannot answer ReadLine/);
    await pool.close();
  });

  test('stop ends a running pipeline as Stopped', async () => {
    const { carrier, pool } = await openPool();
    const inv = pool.invoke('sleep');
    const it = inv[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('started');
    await inv.stop();
    expect(inv.state).toBe('Stopped');
    expect((await inv.result()).state).toBe('Stopped');
    expect(carrier.requestCounts.Signal).toBe(1);
    await pool.close();
  });

  test('a failed pipeline rejects with PipelineFailedError carrying the error and its ids', async () => {
    const { pool } = await openPool();
    const inv = pool.invoke('fail');
    await expect(inv.result()).rejects.toMatchObject({ code: 'PSR_PIPELINE_FAILED', errorRecord: 'boom from the server', pipelineId: inv.pipelineId, shellId: pool.runspacePoolId.toUpperCase() });
    await expect(
      (async () => {
        for await (const _ of inv) void _;
      })(),
    ).rejects.toBeInstanceOf(PipelineFailedError);
    // the pool is still usable
    expect((await pool.invoke('next').result()).output).toEqual(['next']);
    await pool.close();
  });

  test('several pipelines at once on one pool', async () => {
    const { pool } = await openPool();
    const invs = ['a', 'b', 'c', 'd'].map((s) => pool.invoke(s));
    const results = await Promise.all(invs.map((i) => i.result()));
    expect(results.map((r) => r.output)).toEqual([['a'], ['b'], ['c'], ['d']]);
    await pool.close();
  });

  test('runspace-pool calls: set max, available runspaces, reset', async () => {
    const { pool } = await openPool();
    expect(await pool.setMaxRunspaces(6)).toBe(true);
    await expect(pool.setMaxRunspaces(0)).rejects.toMatchObject({ code: 'PSR_USAGE' }); // checked before sending
    expect(await pool.getAvailableRunspaces()).toBe(6);
    expect(await pool.resetRunspaceState()).toBe(true);
    await pool.close();
  });

  test('await using closes the pool', async () => {
    const carrier = new MemoryCarrier({ handler: echo });
    {
      await using pool = await RunspacePool.open(carrier);
      expect((await pool.invoke('x').result()).output).toEqual(['x']);
    }
    expect(carrier.requestCounts.Delete).toBe(1);
  });

  test('invokeCommand opens, runs and closes', async () => {
    const carrier = new MemoryCarrier({ handler: echo });
    const r = await invokeCommand('memory', 'one-shot', { connect: () => carrier });
    expect(r.output).toEqual(['one-shot']);
    expect(carrier.requestCounts).toEqual({ Create: 1, Command: 1, Delete: 1 });
  });

  test('an abort signal stops the pipeline', async () => {
    const { pool } = await openPool();
    const ac = new AbortController();
    const inv = pool.invoke('sleep', { signal: ac.signal });
    const it = inv[Symbol.asyncIterator]();
    await it.next();
    ac.abort();
    const r = await inv.result();
    expect(r.state).toBe('Stopped');
    await pool.close();
  });
});

describe('fan-out over many hosts', () => {
  test('200 hosts with throttle 32: every result, one failing host reported', async () => {
    let active = 0;
    let maxActive = 0;
    const hosts = Array.from({ length: 200 }, (_, i) => `host${i}`);
    const results = [];
    for await (const r of invokeOnHosts(hosts, 'hostname', {
      throttleLimit: 32,
      connect: (h) => {
        if (h === 'host13') return new MemoryCarrier({ handler: echo, openError: new Error('host13 is unreachable') });
        return new MemoryCarrier({
          handler: async (ctx) => {
            active++;
            maxActive = Math.max(maxActive, active);
            await new Promise((r) => setTimeout(r, 2));
            ctx.output(h as string);
            active--;
          },
        });
      },
    })) {
      results.push(r);
    }
    expect(results).toHaveLength(200);
    const ok = results.filter((r) => r.ok);
    const failed = results.filter((r) => !r.ok);
    expect(failed).toMatchObject([{ host: 'host13', ok: false, error: { message: 'host13 is unreachable' } }]);
    expect(new Set(ok.map((r) => (r.ok ? r.result.output[0] : undefined)))).toEqual(new Set(hosts.filter((h) => h !== 'host13')));
    expect(maxActive).toBeLessThanOrEqual(32);
    expect(maxActive).toBeGreaterThan(1);
  });
});
