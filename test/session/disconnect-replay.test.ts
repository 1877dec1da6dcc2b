// Disconnect, Reconnect and Connect from another client, replayed from a real
// Windows Server 2016 conversation (pypsrp's test_psrp_disconnect_runspaces):
// client A opens two pools, disconnects, reconnects and disconnects one, and
// disconnects the other; client B lists them (Get-PSSession -ComputerName),
// connects to both (Connect-PSSession) and removes them.
import { afterEach, expect, test } from 'vitest';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { connectSession, openSession } from '../../src/session/open.js';
import { getRemoteSessions } from '../../src/session/remote-sessions.js';
import { MessageDecoder } from '../../src/psrp/decode.js';
import { recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('test_psrp_disconnect_runspaces through the public API', async () => {
  const rec = recording('test_psrp_disconnect_runspaces.yml');
  // The RPIDs pypsrp put in its PSRP messages (big-endian GUIDs, see spec-notes).
  const rpids = rec.exchanges
    .filter((x) => x.operation === 'Create')
    .map((x) => new MessageDecoder().receive(Buffer.from(/<creationXml[^>]*>([^<]+)</.exec(x.request)![1]!, 'base64'))[0]!.message.runspacePoolId);
  const shells = rec.exchanges.filter((x) => x.operation === 'Create').map((x) => x.shellId!);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 100 });

  // Client A
  const a1 = await openSession(server.url, { runspacePoolId: rpids[0]!, shellId: shells[0]! });
  expect(a1.state).toBe('Opened');
  await a1.disconnect();
  expect(a1.state).toBe('Disconnected');
  await a1.reconnect();
  expect(a1.state).toBe('Opened');
  await a1.disconnect();
  const a2 = await openSession(server.url, { runspacePoolId: rpids[1]!, shellId: shells[1]! });
  await a2.disconnect();

  // Client B, as if in another process: find the sessions, connect to them, remove them.
  const found = await getRemoteSessions(server.url);
  expect(found.map((s) => [s.shellId, s.state])).toEqual([
    [shells[0], 'Disconnected'],
    [shells[1], 'Disconnected'],
  ]);
  const connected = [];
  for (const [i, s] of found.entries()) {
    const b = await connectSession(server.url, s.shellId, { runspacePoolId: rpids[i]! });
    expect(b.state).toBe('Opened');
    connected.push(b);
  }
  for (const b of connected) await b.close();

  expect(server.unmatched).toEqual([]);
  expect(server.served.filter((x) => x.operation !== 'Receive').map((x) => x.operation)).toEqual(
    rec.exchanges.filter((x) => x.operation !== 'Receive').map((x) => x.operation),
  );
});

test('the same with nothing seeded: each client picks its own ids, the replay maps them', async () => {
  const rec = recording('test_psrp_disconnect_runspaces.yml');
  server = await startReplayServer({ recording: rec, holdExhaustedReceiveMs: 100 });

  // Client A
  const a1 = await openSession(server.url);
  expect(a1.state).toBe('Opened');
  await a1.disconnect();
  expect(a1.state).toBe('Disconnected');
  await a1.reconnect();
  expect(a1.state).toBe('Opened');
  await a1.disconnect();
  const a2 = await openSession(server.url);
  await a2.disconnect();

  // Client B, as if in another process: find the sessions, connect to them, remove them.
  const found = await getRemoteSessions(server.url);
  // The recorded ShellIds come back as the ones these clients chose (psremote: the RunspacePool id).
  expect(found.map((s) => [s.shellId.toUpperCase(), s.state])).toEqual([
    [a1.runspacePoolId.toUpperCase(), 'Disconnected'],
    [a2.runspacePoolId.toUpperCase(), 'Disconnected'],
  ]);
  const connected = [];
  for (const s of found) {
    const b = await connectSession(server.url, s.shellId);
    expect(b.state).toBe('Opened');
    connected.push(b);
  }
  for (const b of connected) await b.close();

  expect(server.unmatched).toEqual([]);
  expect(server.served.filter((x) => x.operation !== 'Receive').map((x) => x.operation)).toEqual(
    rec.exchanges.filter((x) => x.operation !== 'Receive').map((x) => x.operation),
  );
});
