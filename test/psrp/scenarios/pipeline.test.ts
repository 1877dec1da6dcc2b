import { describe, expect, test } from 'vitest';
import {
  ClientGetCommandMetadata,
  ClientPowerShell,
  PSInvocationState as I,
  PipelineResultTypes,
} from '../../../src/psrp/index.js';
import { InvalidStateError, UsageError } from '../../../src/errors.js';
import { PID1, PID2, openPair, types } from '../helpers/pool-pair.js';

describe('a pipeline writing every stream', () => {
  test('output, error, debug, verbose, warning, progress, information and the final state', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 });
    ps.addCommand('Get-Item').addParameter('Path', 'C:\\').addArgument('x').addParameter('Force');
    expect(ps.state).toBe(I.NotStarted);
    ps.start();
    expect(ps.state).toBe(I.Running);
    expect(() => ps.addCommand('more')).toThrow(InvalidStateError);
    const se = pair.toServer();
    expect(types(se)).toEqual(['CreatePipeline']);
    expect(se[0]).toMatchObject({ pipelineId: PID1, noInput: true, isNested: false, addToHistory: false });
    // CREATE_PIPELINE travels as pipeline data (WSMan Command Arguments).
    expect(pair.sentByClient.at(-1)!.pipelineId).toBe(PID1);
    const create = se[0]!;
    if (create.type !== 'CreatePipeline') throw new Error('unreachable');
    expect(create.pipeline.statements).toHaveLength(1);
    expect(create.pipeline.statements[0]).toMatchObject([
      { command: 'Get-Item', isScript: false, useLocalScope: null, parameters: [{ name: 'Path', value: 'C:\\' }, { name: null, value: 'x' }, { name: 'Force', value: true }] },
    ]);
    const sp = pair.server.pipelines.get(PID1)!;
    expect(sp.request.kind).toBe('CreatePipeline');
    sp.start();
    sp.writeOutput('out1');
    sp.writeOutput(42);
    sp.writeRecord('error', 'err');
    sp.writeRecord('debug', 'dbg');
    sp.writeRecord('verbose', 'vrb');
    sp.writeRecord('warning', 'wrn');
    sp.writeRecord('progress', 'prg');
    sp.writeRecord('information', 'inf');
    sp.complete();
    expect(pair.server.pipelines.has(PID1)).toBe(false);
    const ce = pair.toClient();
    expect(types(ce)).toEqual([
      'PipelineOutput', 'PipelineOutput', 'ErrorRecord', 'DebugRecord', 'VerboseRecord', 'WarningRecord',
      'ProgressRecord', 'InformationRecord', 'PipelineState',
    ]);
    expect(ce.every((e) => e.pipelineId === PID1 && e.runspacePoolId === pair.client.runspacePoolId)).toBe(true);
    expect(ce[0]).toMatchObject({ value: 'out1' });
    expect(ce[1]).toMatchObject({ value: 42 });
    expect(ce[2]).toMatchObject({ record: 'err' });
    expect(ce[8]).toMatchObject({ state: I.Completed });
    expect(ps.state).toBe(I.Completed);
    // Everything went in one payload for the pipeline.
    expect(pair.sentByServer.at(-1)!.pipelineId).toBe(PID1);
    ps.close();
    expect(pair.client.pipelines.size).toBe(0);
  });

  test('information records are refused at protocol 2.2', () => {
    const pair = openPair({ client: { protocolVersion: '2.2' } });
    new ClientPowerShell(pair.client, { pipelineId: PID1 }).addScript('1').start();
    pair.toServer();
    const sp = pair.server.pipelines.get(PID1)!;
    sp.start();
    expect(() => sp.writeRecord('information', 'x')).toThrow(/InformationStream/);
  });

  test('failure carries the ErrorRecord', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('Get-Nothing');
    ps.start();
    pair.toServer();
    pair.server.pipelines.get(PID1)!.fail('boom');
    expect(pair.toClient()).toMatchObject([{ type: 'PipelineState', state: I.Failed, error: 'boom' }]);
    expect(ps.state).toBe(I.Failed);
    expect(ps.error).toBe('boom');
  });
});

describe('statements, scripts and merges', () => {
  test('several statements travel as ExtraCmds and come back as statements', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1, addToHistory: true, history: 'h' });
    ps.addScript('$a = 1', { useLocalScope: true }).mergeToOutput('Error').mergePreviousResults();
    ps.addStatement();
    ps.addCommand('Write-Output').addArgument('a').mergeToOutput('All');
    ps.addCommand('Out-String');
    ps.start();
    const [e] = pair.toServer();
    if (e?.type !== 'CreatePipeline') throw new Error(`got ${e?.type}`);
    expect(e.addToHistory).toBe(true);
    expect(e.pipeline.history).toBe('h');
    expect(e.pipeline.statements.map((s) => s.map((c) => c.command))).toEqual([['$a = 1'], ['Write-Output', 'Out-String']]);
    expect(e.pipeline.statements[0]![0]).toMatchObject({
      isScript: true,
      useLocalScope: true,
      mergeMyResult: PipelineResultTypes.Error,
      mergeToResult: PipelineResultTypes.Output,
      mergePreviousResults: 3,
      mergeError: 1,
      mergeWarning: 0,
      mergeInformation: 0,
    });
    expect(e.pipeline.statements[1]![0]).toMatchObject({ mergeError: 1, mergeWarning: 1, mergeVerbose: 1, mergeDebug: 1, mergeInformation: 1 });
  });

  test('MergeInformation is not sent below 2.3', () => {
    const pair = openPair({ server: { protocolVersion: '2.2' } });
    new ClientPowerShell(pair.client, { pipelineId: PID1 }).addScript('1').mergeToOutput('All').start();
    const [e] = pair.toServer();
    if (e?.type !== 'CreatePipeline') throw new Error('unreachable');
    expect(e.pipeline.statements[0]![0]!.mergeInformation).toBeUndefined();
  });

  test('usage errors while building', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 });
    expect(() => ps.addParameter('x', 1)).toThrow(UsageError);
    expect(() => ps.start()).toThrow(/no commands/);
    expect(() => new ClientPowerShell(pair.client, { pipelineId: PID1 })).toThrow(/already exists/);
    expect(() => new ClientPowerShell(pair.client, { pipelineId: 'nope' })).toThrow(/not a GUID/);
  });
});

describe('input streaming', () => {
  test('PIPELINE_INPUT objects then END_OF_PIPELINE_INPUT, in order, across small payloads', () => {
    const pair = openPair({ clientBudget: 100 });
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1, noInput: false }).addCommand('Measure-Object');
    ps.start();
    for (let i = 0; i < 5; i++) ps.sendInput(`item ${i} ${'x'.repeat(i * 30)}`);
    ps.sendEnd();
    const se = pair.toServer();
    expect(types(se)).toEqual(['CreatePipeline', 'PipelineInput', 'PipelineInput', 'PipelineInput', 'PipelineInput', 'PipelineInput', 'EndOfPipelineInput']);
    expect(se.slice(1, 6).map((e) => (e as { value: unknown }).value)).toEqual([0, 1, 2, 3, 4].map((i) => `item ${i} ${'x'.repeat(i * 30)}`));
    expect(pair.server.pipelines.get(PID1)!.inputEnded).toBe(true);
    expect(pair.sentByClient.filter((p) => p.pipelineId === PID1).length).toBeGreaterThan(5);
  });

  test('input is refused for a NoInput pipeline, locally and at the server', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('x');
    expect(() => ps.sendInput(1)).toThrow(InvalidStateError);
    ps.start();
    expect(() => ps.sendInput(1)).toThrow(/noInput: true/);
    expect(() => ps.sendEnd()).toThrow(/noInput: true/);
  });

  test('pool and pipeline messages never share a payload', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1, noInput: false }).addCommand('x');
    const ps2 = new ClientPowerShell(pair.client, { pipelineId: PID2 }).addCommand('y');
    pair.client.getAvailableRunspaces();
    ps.start();
    ps2.start();
    ps.sendInput('a');
    pair.client.getAvailableRunspaces();
    const order = [];
    for (let p = pair.client.dataToSend(100000); p !== undefined; p = pair.client.dataToSend(100000)) order.push(p.pipelineId ?? 'pool');
    // Payloads come out in the order of their first message, one target each.
    expect(order).toEqual(['pool', PID1, PID2]);
  });
});

describe('stop', () => {
  test('beginStop is a state change; the server reports Stopped', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addScript('while ($true) {}');
    ps.start();
    pair.toServer();
    const sp = pair.server.pipelines.get(PID1)!;
    sp.start();
    sp.writeOutput('partial');
    ps.beginStop();
    expect(ps.state).toBe(I.Stopping);
    expect(pair.client.dataToSend(1000)).toBeUndefined(); // the signal is the transport's job
    sp.beginStop();
    sp.stop('stopped');
    const ce = pair.toClient();
    expect(ce).toMatchObject([{ type: 'PipelineOutput', value: 'partial' }, { type: 'PipelineState', state: I.Stopped, error: 'stopped' }]);
    expect(ps.state).toBe(I.Stopped);
    expect(() => ps.beginStop()).toThrow(InvalidStateError);
    ps.close();
  });
});

describe('GET_COMMAND_METADATA', () => {
  test('the request and its answers', () => {
    const pair = openPair();
    const gcm = new ClientGetCommandMetadata(pair.client, { pipelineId: PID1, name: ['Get-*'], namespace: [] });
    gcm.start();
    const se = pair.toServer();
    expect(se).toMatchObject([{ type: 'GetCommandMetadata', name: ['Get-*'], commandType: 15, namespace: [], argumentList: null, pipelineId: PID1 }]);
    const sp = pair.server.pipelines.get(PID1)!;
    expect(sp.request).toMatchObject({ kind: 'GetCommandMetadata', name: ['Get-*'] });
    sp.start();
    sp.writeOutput(1);
    sp.writeOutput('Get-Item');
    sp.complete();
    expect(types(pair.toClient())).toEqual(['PipelineOutput', 'PipelineOutput', 'PipelineState']);
    expect(gcm.state).toBe(I.Completed);
  });
});
