// Session lifecycle against the local endpoint: a pipeline keeps running while
// its session is disconnected, another client finds the session, connects to it
// and receives the rest of the output, each line exactly once.
import { afterEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { connectSession, openSession } from '../../src/session/open.js';
import { getRemoteSessions } from '../../src/session/remote-sessions.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

test('disconnect, list from another client, connect, receive the rest exactly once, remove', async () => {
  ep = await startEndpoint({
    handler: async (ctx) => {
      for (let i = 1; i <= 20; i++) {
        ctx.output(i);
        await new Promise((r) => setTimeout(r, 15));
      }
    },
  });
  // Client A starts a long pipeline, reads a little, disconnects and goes away.
  const a = await openSession(ep.url, { operationTimeoutMs: 200 });
  const inv = a.invoke('1..20 | % { $_; Start-Sleep -Milliseconds 15 }');
  const seenByA: unknown[] = [];
  for await (const o of inv) {
    seenByA.push(o);
    if (seenByA.length === 3) break;
  }
  await a.disconnect({ idleTimeoutMs: 600_000 });
  expect(a.state).toBe('Disconnected');
  await new Promise((r) => setTimeout(r, 100)); // the pipeline keeps running on the server

  // Client B: Get-PSSession -ComputerName
  const sessions = await getRemoteSessions(ep.url);
  expect(sessions).toHaveLength(1);
  expect(sessions[0]).toMatchObject({ shellId: a.runspacePoolId.toUpperCase(), state: 'Disconnected', configurationName: 'Microsoft.PowerShell' });
  expect(sessions[0]!.commands.map((c) => c.commandId)).toEqual([inv.pipelineId.toUpperCase()]);

  // Connect-PSSession + Receive-PSSession
  const b = await connectSession(ep.url, sessions[0]!.shellId);
  expect(b.state).toBe('Opened');
  const rest = await b.receive(sessions[0]!.commands[0]!.commandId);
  const seenByB: unknown[] = [];
  for await (const o of rest) seenByB.push(o);
  expect((await rest.result()).state).toBe('Completed');
  // Every line exactly once across the two clients (A's buffered-but-unread lines are A's).
  const all = [...inv.output.items, ...seenByB];
  expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(seenByA).toEqual([1, 2, 3]);

  // Remove-PSSession
  await b.close();
  expect(await getRemoteSessions(ep.url)).toEqual([]);
});

test('a refused Connect leaves the session on the server: the client that failed to connect sends no Delete', async () => {
  ep = await startEndpoint();
  const a = await openSession(ep.url, { closeOnExit: false });
  await a.disconnect();
  const shellId = a.runspacePoolId.toUpperCase();
  ep.faults.add({ operation: 'Connect', action: { type: 'status', status: 500, body: 'refused', contentType: 'text/plain' } });
  await expect(connectSession(ep.url, shellId, { closeOnExit: false, networkRetryMs: 0 })).rejects.toMatchObject({ code: expect.stringMatching(/^PSR_/) });
  expect(ep.log.filter((l) => l.operation === 'Delete')).toEqual([]);
  expect(ep.shells().map((s) => [s.shellId, s.state])).toEqual([[shellId, 'Disconnected']]);
  const b = await connectSession(ep.url, shellId, { closeOnExit: false });
  await b.close();
  expect(ep.shells()).toEqual([]);
});
