// Connect-PSSession from another client against PowerShell's own engine behind
// the WinRM endpoint: client A opens a session, starts a pipeline and goes away
// (Disconnect); client B finds the session, connects (connectXml →
// the engine's ExecuteConnect through the test host's side channel), attaches
// the pipeline and receives the rest of its output, then uses the pool.
import { afterEach, expect, it } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { connectSession, openSession } from '../../src/session/open.js';
import { getRemoteSessions } from '../../src/session/remote-sessions.js';
import { describeWithRealEngine } from '../helpers/peers.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithRealEngine('Connect from another client with the real engine', (host) => {
  it('B connects to the pool A left, attaches the running pipeline, gets the rest exactly once, then runs pipelines and closes', async () => {
    ep = await startEndpoint({ realEngine: [host] });
    const a = await openSession(ep.url, { signal: AbortSignal.timeout(60_000), closeOnExit: false });
    await a.invoke("$global:fromA = 'set by A'").result();
    const inv = a.invoke('1..10 | ForEach-Object { $_; Start-Sleep -Milliseconds 200 }');
    const seenA: unknown[] = [];
    const readA = (async () => {
      for await (const x of inv) seenA.push(x);
    })().catch(() => undefined);
    while (seenA.length < 3) await sleep(20);
    await a.disconnect({ idleTimeoutMs: 120_000 });
    await Promise.race([readA, sleep(200)]);
    const shellId = a.runspacePoolId.toUpperCase();

    const listed = await getRemoteSessions({ endpoint: ep.url });
    expect(listed.map((s) => [s.shellId, s.state])).toEqual([[shellId, 'Disconnected']]);
    // (the first pipeline may still be listed: its Signal terminate is sent without waiting)
    expect(listed[0]!.commands.map((c) => c.commandId)).toContain(inv.pipelineId.toUpperCase());

    const b = await connectSession(ep.url, shellId, { signal: AbortSignal.timeout(60_000), closeOnExit: false });
    try {
      expect(b.runspacePoolId).toBe(a.runspacePoolId);
      expect(ep.shells()[0]?.state).toBe('Connected');
      const rest = await b.receive(inv.pipelineId);
      const seenB: unknown[] = [];
      for await (const x of rest) seenB.push(x);
      expect((await rest.result()).state).toBe('Completed');
      // Every value exactly once, across the two clients.
      expect([...seenA, ...seenB]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

      expect((await b.invoke('1..3 | ForEach-Object { $_ * 2 }').result()).output).toEqual([2, 4, 6]);
      expect((await b.invoke('$global:fromA').result()).output).toEqual(['set by A']); // the same runspace
      expect(await b.getAvailableRunspaces()).toBe(1);
    } finally {
      await b.close(AbortSignal.timeout(30_000));
    }
    expect(ep.stats.openShells).toBe(0);
    expect(ep.log.filter((l) => l.operation === 'engine')).toEqual([]);
    expect(ep.log.filter((l) => l.operation === 'Connect').map((l) => l.status)).toEqual([200, 200]); // pool, then the pipeline
  });

  it('a second Connect after B disconnected works too (each Connect is the engine\'s own ExecuteConnect)', async () => {
    ep = await startEndpoint({ realEngine: [host] });
    const a = await openSession(ep.url, { signal: AbortSignal.timeout(60_000), closeOnExit: false });
    expect((await a.invoke('$global:kept = 42').result()).state).toBe('Completed');
    await a.disconnect();
    const shellId = a.runspacePoolId.toUpperCase();
    for (let i = 0; i < 2; i++) {
      const b = await connectSession(ep.url, shellId, { signal: AbortSignal.timeout(60_000), closeOnExit: false });
      expect((await b.invoke('$global:kept').result()).output).toEqual([42]);
      if (i === 0) await b.disconnect();
      else await b.close(AbortSignal.timeout(30_000));
    }
    expect(ep.stats.openShells).toBe(0);
  });

  it('the engine refuses a Connect naming another pool with its own message, and the session lives on', async () => {
    ep = await startEndpoint({ realEngine: [host] });
    const a = await openSession(ep.url, { signal: AbortSignal.timeout(60_000), closeOnExit: false });
    await a.disconnect();
    const shellId = a.runspacePoolId.toUpperCase();
    const err = await connectSession(ep.url, shellId, {
      signal: AbortSignal.timeout(60_000),
      closeOnExit: false,
      runspacePoolId: '0b0b0b0b-0000-4000-8000-000000000001',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PSR_WSMAN_FAULT' });
    // SMA's ServerConnectFailedOnInputValidation: the pool id in CONNECT_RUNSPACEPOOL is not this pool's.
    expect((err as Error).message).toMatch(/refused Connect: The server that is running PowerShell cannot process the connect operation because .*Connect RunspacePool information/);
    expect(ep.shells().map((s) => s.shellId)).toEqual([shellId]);
    const b = await connectSession(ep.url, shellId, { signal: AbortSignal.timeout(60_000), closeOnExit: false });
    expect((await b.invoke('"still here"').result()).output).toEqual(['still here']);
    await b.close(AbortSignal.timeout(30_000));
  });

  it('an engine without the connect hook (as pwsh -s) gives a clear fault at once, and its session survives', async () => {
    ep = await startEndpoint({ realEngine: [host, '--no-connect-hook'] });
    const a = await openSession(ep.url, { signal: AbortSignal.timeout(60_000), closeOnExit: false });
    await a.disconnect();
    const shellId = a.runspacePoolId.toUpperCase();
    const err = await connectSession(ep.url, shellId, { signal: AbortSignal.timeout(60_000), closeOnExit: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PSR_WSMAN_FAULT' });
    expect((err as Error).message).toMatch(/Connect from another client is not supported by this engine/);
    expect((err as Error).message).not.toMatch(/did not answer/); // the engine's answer, not the connect timeout
    // Nothing broke: the client that disconnected reconnects and goes on.
    await a.reconnect();
    expect((await a.invoke('"alive"').result()).output).toEqual(['alive']);
    await a.close(AbortSignal.timeout(30_000));
    expect(ep.log.filter((l) => l.operation === 'engine')).toEqual([]);
  });
});
