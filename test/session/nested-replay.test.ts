// A nested pipeline (IsNested) through the public API, replayed from a real
// Windows conversation (pypsrp's test_psrp_nested_command): a busy loop runs in
// the runspace, a nested Get-Variable reads its counter meanwhile, and closing the
// pool stops the loop (Signal) before the Delete.
import { afterEach, expect, test } from 'vitest';
import { recordingIds, startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import { toPlain } from '../../src/clixml/plain.js';
import { EnvelopeDecoder } from '../../src/wsman/decode.js';
import { recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('test_psrp_nested_command: Get-Variable as a nested pipeline while a loop runs', async () => {
  const rec = recording('test_psrp_nested_command.yml');
  const ids = recordingIds(rec);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 100 });
  const pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId! });
  const loop = pool.invoke('$i = 0; while ($true) { $i++ }', { pipelineId: ids.pipelineIds[0]!, inDisconnectedSession: true });
  await loop.started;
  const r = await pool.invoke({ command: 'Get-Variable', parameters: { Name: 'i' } }, { pipelineId: ids.pipelineIds[1]!, nested: true }).result();
  expect(toPlain(r.output[0])).toMatchObject({ Name: 'i', Value: 376241, Visibility: 'Public' });
  await pool.close();
  expect(server.unmatched).toEqual([]);
  expect(server.served.map((x) => x.operation)).toEqual(rec.exchanges.map((x) => x.operation));
  const d = new EnvelopeDecoder();
  const sent = server.served.flatMap((x) => d.decode(x.request).psrp).filter((m) => m.type === 'CREATE_PIPELINE');
  expect(sent.map((m) => (m.data as { PowerShell: { IsNested: boolean } }).PowerShell.IsNested)).toEqual([false, true]);
});
