import { describe, expect, test } from 'vitest';
import { ClientRunspacePool, PSInvocationState as I, RunspacePoolState as S, ClientPowerShell } from '../../../src/psrp/index.js';
import { InvalidStateError } from '../../../src/errors.js';
import { RPID, PID1, openPair, types } from '../helpers/pool-pair.js';

describe('connect to an existing pool', () => {
  test('SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL in one payload -> SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA', () => {
    const pair = openPair({ client: { maxRunspaces: 2 } });
    // A second client (new process) attaches to the same pool.
    const second = new ClientRunspacePool({ runspacePoolId: RPID });
    second.connect();
    expect(second.state).toBe(S.Connecting);
    const p = second.dataToSend(100000)!;
    expect(second.dataToSend(100000)).toBeUndefined(); // everything fit in one payload (connectXml)
    pair.server.receiveData(p.data);
    const se = [pair.server.nextEvent(), pair.server.nextEvent(), pair.server.nextEvent()];
    expect(se.map((e) => e?.type)).toEqual(['SessionCapability', 'ConnectRunspacePool', undefined]);
    expect(se[1]).not.toHaveProperty('minRunspaces');
    expect(se[1]).not.toHaveProperty('maxRunspaces');
    pair.server.acceptConnect();
    for (let out = pair.server.dataToSend(100000); out !== undefined; out = pair.server.dataToSend(100000)) second.receiveData(out.data);
    const ce = [second.nextEvent(), second.nextEvent(), second.nextEvent()];
    expect(ce.map((e) => e?.type)).toEqual(['SessionCapability', 'RunspacePoolInitData', undefined]);
    expect(second.state).toBe(S.Opened);
    expect([second.minRunspaces, second.maxRunspaces]).toEqual([1, 2]);
  });

  test('a new client reattaches to a running pipeline and gets the rest of its output', () => {
    const pair = openPair();
    const first = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addScript('1..10');
    first.start();
    pair.toServer();
    const sp = pair.server.pipelines.get(PID1)!;
    sp.start();
    pair.client.markDisconnected();
    const second = new ClientRunspacePool({ runspacePoolId: RPID });
    second.connect();
    pair.server.receiveData(second.dataToSend(100000)!.data);
    while (pair.server.nextEvent() !== undefined);
    pair.server.acceptConnect();
    for (let p = pair.server.dataToSend(100000); p !== undefined; p = pair.server.dataToSend(100000)) second.receiveData(p.data);
    while (second.nextEvent() !== undefined);
    const attached = new ClientPowerShell(second, { pipelineId: PID1 });
    attached.connect();
    expect(second.dataToSend(100000)).toBeUndefined();
    expect(attached.state).toBe(I.Running);
    sp.writeOutput('late output');
    sp.complete();
    const events = [];
    for (let p = pair.server.dataToSend(100000); p !== undefined; p = pair.server.dataToSend(100000)) {
      second.receiveData(p.data);
      for (let e = second.nextEvent(); e !== undefined; e = second.nextEvent()) events.push(e);
    }
    expect(events).toMatchObject([{ type: 'PipelineOutput', value: 'late output', pipelineId: PID1 }, { type: 'PipelineState', state: I.Completed }]);
    expect(attached.state).toBe(I.Completed);
    expect(() => attached.connect()).toThrow(InvalidStateError);
  });

  test('connect with new counts', () => {
    const pair = openPair();
    const second = new ClientRunspacePool({ runspacePoolId: RPID });
    second.connect({ minRunspaces: 1, maxRunspaces: 5 });
    pair.server.receiveData(second.dataToSend(100000)!.data);
    expect([pair.server.nextEvent(), pair.server.nextEvent()]).toMatchObject([
      { type: 'SessionCapability' },
      { type: 'ConnectRunspacePool', minRunspaces: 1, maxRunspaces: 5 },
    ]);
    expect(pair.server.maxRunspaces).toBe(5);
  });

  test('connect needs protocol 2.2+', () => {
    const c = new ClientRunspacePool({ runspacePoolId: RPID, protocolVersion: '2.1' });
    expect(() => c.connect()).toThrow(/does not support Connect/);
  });
});

describe('disconnect and reconnect (transport driven)', () => {
  test('pool and running pipelines go Disconnected and come back', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addScript('Start-Sleep 60');
    ps.start();
    pair.toServer();
    pair.client.markDisconnected();
    expect(pair.client.state).toBe(S.Disconnected);
    expect(ps.state).toBe(I.Disconnected);
    expect(() => pair.client.getAvailableRunspaces()).toThrow(InvalidStateError);
    pair.client.markReconnected();
    expect(pair.client.state).toBe(S.Opened);
    expect(ps.state).toBe(I.Running);
    pair.server.pipelines.get(PID1)!.start();
    pair.server.pipelines.get(PID1)!.complete();
    expect(types(pair.toClient())).toEqual(['PipelineState']);
    expect(ps.state).toBe(I.Completed);
  });
});
