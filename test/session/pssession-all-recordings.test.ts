// Every pypsrp PowerShell recording with one runspace pool, replayed through the
// public session API: the pool opens, each recorded pipeline is invoked with the
// recorded ids, and ends in the state the real server reported; nothing the
// client sends goes unmatched. Recordings left out are listed with the reason.
import { expect, test } from 'vitest';
import { startReplayServer, recordingIds } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import { EnvelopeDecoder } from '../../src/wsman/decode.js';
import { allRecordingFiles, recording } from '../helpers/recordings.js';

const LEFT_OUT: Record<string, string> = {
  'test_psrp_is_alive_http_error.yml': 'a pool liveness probe (Get on the shell) answered by a dropped connection: not a session flow',
  'test_psrp_is_alive_state_disconnected.yml': 'a pool liveness probe (Get on the shell resource): not a session flow',
  'test_psrp_is_alive_other_wsman_error.yml': 'a pool liveness probe (Get on the shell resource): not a session flow',
  'test_psrp_nested_command.yml': 'a nested pipeline beside a running one: replayed in nested-replay.test.ts',
  'test_psrp_reset_runspace_state.yml': 'a reset between pipelines: replayed in pool-calls-replay.test.ts',
  'test_psrp_reset_runspace_state_fail.yml': 'a refused reset: replayed in pool-calls-replay.test.ts',
  'test_psrp_pshost_ui_mocked_methods.yml': 'needs the recorded RSA key and a host: replayed in securestring-replay.test.ts',
  'test_psrp_disconnect_runspaces.yml': 'two pools; replayed in disconnect-replay.test.ts',
  'test_psrp_get_command_metadata.yml': 'GET_COMMAND_METADATA, not CREATE_PIPELINE (the replay server checks the PSRP message types): replayed in command-metadata.test.ts',
  'test_client_copy_expand_vars.yml': 'pypsrp opened two pools, one per step, with input streamed by Send; the single-pool driver here cannot follow it',
  'test_client_copy_file.yml': 'pypsrp opened two pools, one per step, with input streamed by Send; the single-pool driver here cannot follow it',
  'test_psrp_receive_failure.yml': 'a Receive for a CommandId that was never created (pypsrp provoking ShellNotFound); no session API call sends that',
};

const STATE_NAMES = ['NotStarted', 'Running', 'Stopping', 'Stopped', 'Completed', 'Failed', 'Disconnected'];

const files = allRecordingFiles().filter((f) => f.includes('pypsrp') && recording(f).exchanges.some((x) => x.resourceUri?.startsWith('http://schemas.microsoft.com/powershell/')));

test('the list of recordings left out names only real files', () => {
  const names = files.map((f) => f.split('/').pop());
  for (const n of Object.keys(LEFT_OUT)) expect(names).toContain(n);
  expect(files.length - Object.keys(LEFT_OUT).length).toBeGreaterThanOrEqual(25);
});

test.each(files.filter((f) => !LEFT_OUT[f.split('/').pop()!]))('%s', async (file) => {
  const rec = recording(file);
  const ids = recordingIds(rec);
  // The final state of each pipeline, as the server reported it.
  const d = new EnvelopeDecoder();
  const recorded: string[] = [];
  for (const x of rec.exchanges) {
    d.decode(x.request);
    for (const m of d.decode(x.response.body).psrp) {
      if (m.type === 'PIPELINE_STATE') recorded.push(STATE_NAMES[(m.data as { PipelineState: number }).PipelineState]!);
    }
  }
  const server = await startReplayServer({ recording: rec, match: 'lenient', holdExhaustedReceiveMs: 100 });
  try {
    const configurationName = rec.exchanges[0]!.resourceUri!.split('/').pop()!;
    const pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId!, configurationName });
    expect(pool.state).toBe('Opened');
    const states: string[] = [];
    for (const pid of ids.pipelineIds) {
      const inv = pool.invoke('replayed', { pipelineId: pid });
      await inv.result().catch(() => undefined);
      states.push(inv.state);
    }
    await pool.close();
    expect(states).toEqual(recorded);
    expect(server.unmatched).toEqual([]);
  } finally {
    await server.close();
  }
});
