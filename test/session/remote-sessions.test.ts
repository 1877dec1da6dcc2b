// Get-PSSession -ComputerName against a real recorded enumeration (Windows
// Server 2016, two disconnected PowerShell shells), replayed.
import { afterEach, expect, test } from 'vitest';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { getRemoteSessions } from '../../src/session/remote-sessions.js';
import type { Recording } from '../../src/server/recording.js';
import { recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('test_psrp_disconnect_runspaces: two disconnected PowerShell sessions with their state and timeouts', async () => {
  const full = recording('test_psrp_disconnect_runspaces.yml');
  // Only the enumeration part of the conversation is served.
  const rec: Recording = { ...full, exchanges: full.exchanges.filter((x) => x.operation === 'Enumerate') };
  expect(rec.exchanges).toHaveLength(3);
  server = await startReplayServer({ recording: rec });
  const sessions = await getRemoteSessions(server.url);
  expect(sessions.map((s) => [s.shellId, s.configurationName, s.state])).toEqual([
    ['B6631D8E-65A0-49F2-9053-A1B156C95777', 'Microsoft.PowerShell', 'Disconnected'],
    ['01AA3E43-9E21-424B-A7FC-BC16AA34F4CE', 'Microsoft.PowerShell', 'Disconnected'],
  ]);
  expect(sessions[0]).toMatchObject({ owner: 'WIN-NNMU24VVKJ0\\vagrant', idleTimeoutMs: 7_200_000, maxIdleTimeoutMs: 2_147_483_647, bufferMode: 'Block', commands: [] });
  expect(sessions[0]!.expiresInMs).toBe(7_200_000 - sessions[0]!.shellInactivityMs!);
  // Enumerate shells, then each shell's commands with a ShellId selector filter: 3 requests.
  expect(server.stats.Enumerate).toBe(3);
  expect(server.unmatched).toEqual([]);
});
