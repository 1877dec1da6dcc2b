// Runspace-pool calls through the public API against real recordings:
// RESET_RUNSPACE_STATE answered by RUNSPACE_AVAILABILITY (Windows PowerShell 5.1).
import { afterEach, expect, test } from 'vitest';
import { startReplayServer, recordingIds, type ReplayServer } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import { MessageDecoder } from '../../src/psrp/decode.js';
import { recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** The call id pypsrp used in its first pool-level Send (it counts from 0; we from 1). */
function recordedCallId(file: string): bigint {
  const send = recording(file).exchanges.find((x) => x.operation === 'Send' && !x.commandId)!;
  const data = Buffer.from(/<(?:\w+:)?Stream[^>]*>([^<]+)</.exec(send.request)![1]!, 'base64');
  const m = new MessageDecoder().receive(data)[0]!;
  return (m.body as { ci: bigint }).ci;
}

test('test_psrp_reset_runspace_state: a pipeline, a reset accepted, another pipeline', async () => {
  const file = 'test_psrp_reset_runspace_state.yml';
  const rec = recording(file);
  const ids = recordingIds(rec);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 100 });
  const pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId!, firstCallId: recordedCallId(file) });
  expect((await pool.invoke('$a = 1', { pipelineId: ids.pipelineIds[0]! }).result()).state).toBe('Completed');
  expect(await pool.resetRunspaceState()).toBe(true);
  expect((await pool.invoke('$a', { pipelineId: ids.pipelineIds[1]! }).result()).state).toBe('Completed');
  await pool.close();
  expect(server.unmatched).toEqual([]);
  expect(server.served.filter((x) => x.operation !== 'Receive').map((x) => x.operation)).toEqual(['Create', 'Command', 'Send', 'Command', 'Delete']);
});

test('test_psrp_reset_runspace_state_fail: the server refuses the reset', async () => {
  const file = 'test_psrp_reset_runspace_state_fail.yml';
  const rec = recording(file);
  const ids = recordingIds(rec);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 100 });
  const pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId!, firstCallId: recordedCallId(file) });
  expect(await pool.resetRunspaceState()).toBe(false);
  await pool.close();
  expect(server.unmatched).toEqual([]);
});
