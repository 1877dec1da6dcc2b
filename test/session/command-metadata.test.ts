// GET_COMMAND_METADATA through the public API, replayed from a real Windows 10
// (PowerShell 5.1) conversation recorded by pypsrp: three Get-Command calls,
// each answered with a count and CommandMetadata objects.
import { afterEach, expect, test } from 'vitest';
import { recordingIds, startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import { readCommandMetadata } from '../../src/session/command-metadata.js';
import { makeObject } from '../../src/psrp/clixml-bridge.js';
import { EnvelopeDecoder } from '../../src/wsman/decode.js';
import { recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('three Get-Command calls return the recorded commands with their parameters', async () => {
  const rec = recording('test_psrp_get_command_metadata.yml');
  const ids = recordingIds(rec);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 100 });
  const pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId! });
  const a = await pool.getCommandMetadata({ name: ['new-pssession*'], commandType: 511, pipelineId: ids.pipelineIds[0]! });
  expect(a.map((c) => [c.name, c.namespace, c.commandType])).toEqual([
    ['New-PSSession', 'Microsoft.PowerShell.Core', 8],
    ['New-PSSessionConfigurationFile', 'Microsoft.PowerShell.Core', 8],
    ['New-PSSessionOption', 'Microsoft.PowerShell.Core', 8],
  ]);
  expect(a[0]!.outputType).toEqual(['System.Management.Automation.Runspaces.PSSession']);
  expect(a[0]!.helpUri).toBe('https://go.microsoft.com/fwlink/?LinkID=135237');
  expect(a[0]!.parameters.ComputerName).toMatchObject({ name: 'ComputerName', parameterType: 'System.String[]', isDynamic: false });
  const b = await pool.getCommandMetadata({ name: ['new-*'], commandType: 2, pipelineId: ids.pipelineIds[1]! });
  expect(b.map((c) => c.name)).toEqual(['New-Guid', 'New-TemporaryFile']);
  expect(b[1]!.parameters.Verbose?.parameterType).toBe('System.Management.Automation.SwitchParameter');
  const c = await pool.getCommandMetadata({ name: ['Get-*'], commandType: 511, namespace: ['Microsoft.WSMan.Management'], pipelineId: ids.pipelineIds[2]! });
  expect(c.map((x) => x.name)).toEqual(['Get-WSManCredSSP', 'Get-WSManInstance']);
  await pool.close();
  expect(server.unmatched).toEqual([]);

  // What we sent is what pypsrp sent: the same GET_COMMAND_METADATA bodies.
  const sent = new EnvelopeDecoder();
  const ours = server.served.flatMap((x) => sent.decode(x.request).psrp).filter((m) => m.type === 'GET_COMMAND_METADATA').map((m) => m.data);
  const theirs = new EnvelopeDecoder();
  const recorded = rec.exchanges.flatMap((x) => theirs.decode(x.request).psrp).filter((m) => m.type === 'GET_COMMAND_METADATA').map((m) => m.data);
  expect(ours).toEqual(recorded);
});

test('a count that does not match the objects sent is a protocol error', () => {
  expect(() => readCommandMetadata([makeObject([['Count', 2]])], 'test')).toThrow(/announced 2 commands and sent 0/);
  expect(() => readCommandMetadata([], 'test')).toThrow(/no count/);
  expect(() => readCommandMetadata(['nonsense'], 'test')).toThrow(/instead of a count/);
});
