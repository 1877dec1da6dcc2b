import { describe, expect, test } from 'vitest';
import { ClientPowerShell, PSInvocationState as I } from '../../../src/psrp/index.js';
import { UsageError } from '../../../src/errors.js';
import { PID1, openPair, types } from '../helpers/pool-pair.js';
import { getProperty, readString } from '../../../src/psrp/clixml-bridge.js';

describe('host calls', () => {
  test('pipeline host call answered on the prompt-response stream', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('Read-Host');
    ps.start();
    pair.toServer();
    const sp = pair.server.pipelines.get(PID1)!;
    sp.start();
    const ci = sp.hostCall(11, 'ReadLine');
    const ci2 = sp.hostCall(23, 'Prompt', ['caption', 'message']);
    expect([ci, ci2]).toEqual([1n, 2n]);
    const ce = pair.toClient();
    expect(ce).toMatchObject([
      { type: 'PipelineHostCall', ci: 1n, methodId: 11, methodName: 'ReadLine', parameters: [], pipelineId: PID1 },
      { type: 'PipelineHostCall', ci: 2n, methodId: 23, methodName: 'Prompt', parameters: ['caption', 'message'] },
    ]);
    expect([...ps.pendingHostCalls.keys()]).toEqual([1n, 2n]);
    ps.hostResponse(1n, { result: 'typed line' });
    expect(() => ps.hostResponse(1n, { result: 'again' })).toThrow(UsageError);
    const out = pair.client.dataToSend(100000)!;
    expect(out.streamType).toBe('promptResponse');
    expect(out.pipelineId).toBe(PID1);
    pair.server.receiveData(out.data);
    expect(pair.server.nextEvent()).toMatchObject({ type: 'PipelineHostResponse', ci: 1n, methodId: 11, methodName: 'ReadLine', result: 'typed line' });
    expect(pair.server.nextEvent()).toBeUndefined();
    expect([...sp.pendingHostCalls.keys()]).toEqual([2n]);
    sp.complete();
    pair.toClient();
    expect(ps.state).toBe(I.Completed);
  });

  test('a host error is sent as "me"', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('Read-Host');
    ps.start();
    pair.toServer();
    const sp = pair.server.pipelines.get(PID1)!;
    sp.start();
    sp.hostCall(11, 'ReadLine');
    pair.toClient();
    ps.hostResponse(1n, { error: 'no console' });
    const [response] = pair.toServer() as { type: string; ci: bigint; error: unknown }[];
    expect(response).toMatchObject({ type: 'PipelineHostResponse', ci: 1n });
    // A message alone goes out as an ErrorRecord in its remoting form, which PowerShell
    // rebuilds with ErrorRecord.FromPSObjectForRemoting (a bare string hangs the real engine).
    expect(readString(getProperty(getProperty(response!.error, 'Exception'), 'Message'))).toBe('no console');
    expect(readString(getProperty(response!.error, 'FullyQualifiedErrorId'))).toBe('HostMethodFailed');
    expect(getProperty(response!.error, 'SerializeExtendedInfo')).toBe(false);
  });

  test('pool host call and response', () => {
    const pair = openPair();
    const ci = pair.server.hostCall(1, 'GetName');
    expect(pair.toClient()).toMatchObject([{ type: 'RunspacePoolHostCall', ci, methodId: 1, methodName: 'GetName', pipelineId: undefined }]);
    pair.client.hostResponse(ci, { result: 'psremote' });
    expect(pair.sentByClient.length).toBe(1);
    const se = pair.toServer();
    expect(se).toMatchObject([{ type: 'RunspacePoolHostResponse', ci, result: 'psremote' }]);
    expect(pair.sentByClient.at(-1)!.streamType).toBe('promptResponse');
    expect(pair.sentByClient.at(-1)!.pipelineId).toBeUndefined();
    expect(pair.server.pendingHostCalls.size).toBe(0);
    expect(types(se)).toEqual(['RunspacePoolHostResponse']);
  });
});

describe('void host methods', () => {
  test('WriteLine and friends carry ci -100 and take no response (as Windows does)', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('Write-Host');
    ps.start();
    pair.toServer();
    const sp = pair.server.pipelines.get(PID1)!;
    sp.start();
    expect(sp.hostCall(15, 'WriteLine2', ['hi'])).toBe(-100n);
    expect(sp.hostCall(11, 'ReadLine')).toBe(1n);
    expect(sp.pendingHostCalls.size).toBe(1);
    const ce = pair.toClient();
    expect(ce).toMatchObject([{ type: 'PipelineHostCall', ci: -100n, methodName: 'WriteLine2' }, { type: 'PipelineHostCall', ci: 1n }]);
    expect([...ps.pendingHostCalls.keys()]).toEqual([1n]);
    expect(() => ps.hostResponse(-100n, { result: null })).toThrow(/void methods take none/);
  });
});
