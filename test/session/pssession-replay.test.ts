// Real PowerShell recordings (Windows Server 2012 R2 … 2019, Windows PowerShell
// 4.0/5.1) replayed through the public session API over HTTP against the replay
// server. The client is seeded with the recording's ids (recordingIds), since the
// PSRP payloads are not rewritten.
import { afterEach, describe, expect, test } from 'vitest';
import { startReplayServer, recordingIds, type ReplayServer } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import { PipelineFailedError } from '../../src/session/powershell.js';
import type { RunspacePool } from '../../src/session/runspace-pool.js';
import { recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
let pool: RunspacePool | undefined;
afterEach(async () => {
  await pool?.close().catch(() => undefined);
  await server?.close();
  pool = undefined;
  server = undefined;
});

async function replay(file: string) {
  const rec = recording(file);
  const ids = recordingIds(rec);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 200 });
  pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId!, operationTimeoutMs: 20_000 });
  return { rec, ids, server, pool };
}

const commandReceives = (s: ReplayServer) => s.served.filter((x) => x.operation === 'Receive' && x.commandId).length;

describe('PowerShell recordings through the public API', () => {
  test('test_client_execute_ps: a pool opens and a pipeline returns its 8 outputs', async () => {
    const { ids, server, pool } = await replay('test_client_execute_ps.yml');
    expect(pool.state).toBe('Opened');
    expect(pool.serverProtocolVersion).toBe('2.3');
    const r = await pool.invoke('Get-Service winrm', { pipelineId: ids.pipelineIds[0]! }).result();
    expect(r.state).toBe('Completed');
    expect(r.output).toHaveLength(8);
    expect(r.output[0]).toBe('winrm');
    expect(r.output[1]).toBe('Running');
    await pool.close();
    expect(server.unmatched).toEqual([]);
    // Round trips: Create, the pool Receives the server needed to open, Command, one command Receive, Delete.
    expect(server.stats.Create).toBe(1);
    expect(server.stats.Command).toBe(1);
    expect(server.stats.Delete).toBe(1);
    expect(server.stats.Signal ?? 0).toBe(0);
    expect(commandReceives(server)).toBe(1);
  });

  test('test_psrp_stream_no_output_invocation: every stream lands in its place', async () => {
    const { ids, pool, server } = await replay('test_psrp_stream_no_output_invocation.yml');
    const r = await pool.invoke('streams', { pipelineId: ids.pipelineIds[0]! }).result();
    expect(r.output).toEqual(['output stream']);
    expect(r.error).toHaveLength(1);
    expect(r.warning).toHaveLength(1);
    expect(r.verbose).toHaveLength(1);
    expect(r.debug).toHaveLength(1);
    expect(r.information).toHaveLength(1);
    expect(r.hadErrors).toBe(true);
    expect(server.unmatched).toEqual([]);
  });

  test('test_psrp_long_running_cmdlet: Receive timeouts renew the long-poll until output arrives', async () => {
    const { ids, pool, server } = await replay('test_psrp_long_running_cmdlet.yml');
    const r = await pool.invoke('Start-Sleep 30; "hi"', { pipelineId: ids.pipelineIds[0]! }).result();
    expect(r.output).toEqual(['hi']);
    expect(commandReceives(server)).toBe(3);
    expect(server.unmatched).toEqual([]);
  });

  test('test_client_execute_ps_failure: a failed pipeline rejects with its error record', async () => {
    const { ids, pool } = await replay('test_client_execute_ps_failure.yml');
    const err = await pool.invoke('Get-Bogus', { pipelineId: ids.pipelineIds[0]! }).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect((err as Error).message).toMatch(/The term/);
  });

  test('test_psrp_with_history: two pipelines in a row on one pool', async () => {
    const { ids, pool, server } = await replay('test_psrp_with_history.yml');
    const first = await pool.invoke('Write-Output 1; Write-Output 2', { pipelineId: ids.pipelineIds[0]!, addToHistory: true }).result();
    expect(first.output).toEqual([1, 2]);
    const second = await pool.invoke('Get-History', { pipelineId: ids.pipelineIds[1]! }).result();
    expect(second.output).toHaveLength(1);
    expect(server.stats.Command).toBe(2);
    expect(server.unmatched).toEqual([]);
  });
});
