import { describe, expect, test } from 'vitest';
import { InvalidProtocolVersionError, RunspacePoolState as S } from '../../../src/psrp/index.js';
import { makePair, openPair, types } from '../helpers/pool-pair.js';

describe('set/get runspaces', () => {
  test('before open only the local values change', () => {
    const pair = makePair();
    expect(pair.client.setMaxRunspaces(4)).toBeUndefined();
    expect(pair.client.setMinRunspaces(2)).toBeUndefined();
    expect(pair.client.dataToSend(1000)).toBeUndefined();
    pair.client.open();
    pair.toServer();
    expect([pair.server.minRunspaces, pair.server.maxRunspaces]).toEqual([2, 4]);
    expect(() => makePair().client.setMinRunspaces(0)).toThrow(/positive/);
    expect(() => makePair().client.setMaxRunspaces(0)).toThrow(/positive/);
    expect(() => makePair({ client: { minRunspaces: 2, maxRunspaces: 2 } }).client.setMaxRunspaces(1)).toThrow(/below MinRunspaces/);
  });

  test('SET_MAX, SET_MIN and GET_AVAILABLE with call ids and RUNSPACE_AVAILABILITY answers', () => {
    const pair = openPair();
    const { client, server } = pair;
    const c1 = client.setMaxRunspaces(5)!;
    const c2 = client.setMinRunspaces(2)!;
    const c3 = client.setMinRunspaces(9)!; // above max: refused
    const c4 = client.getAvailableRunspaces();
    expect([c1, c2, c3, c4]).toEqual([1n, 2n, 3n, 4n]);
    expect([...client.pendingCalls.keys()]).toEqual([1n, 2n, 3n, 4n]);
    const se = pair.toServer();
    expect(se).toMatchObject([
      { type: 'SetMaxRunspaces', ci: 1n, maxRunspaces: 5 },
      { type: 'SetMinRunspaces', ci: 2n, minRunspaces: 2 },
      { type: 'SetMinRunspaces', ci: 3n, minRunspaces: 9 },
      { type: 'GetAvailableRunspaces', ci: 4n },
    ]);
    // Pool messages share one payload.
    expect(pair.sentByClient.length).toBe(2);
    server.runspaceAvailability(4n, 3n);
    expect(() => server.runspaceAvailability(4n, 3n)).toThrow(/no request with ci 4/);
    const ce = pair.toClient();
    expect(ce).toMatchObject([
      { type: 'RunspaceAvailability', ci: 1n, response: true },
      { type: 'RunspaceAvailability', ci: 2n, response: true },
      { type: 'RunspaceAvailability', ci: 3n, response: false },
      { type: 'RunspaceAvailability', ci: 4n, response: 3n },
    ]);
    expect([client.minRunspaces, client.maxRunspaces]).toEqual([2, 5]);
    expect([server.minRunspaces, server.maxRunspaces]).toEqual([2, 5]);
    expect(client.pendingCalls.size).toBe(0);
  });

  test('an answer for an unknown call id breaks the pool', () => {
    const pair = openPair();
    pair.client.getAvailableRunspaces();
    pair.toServer();
    pair.server.runspaceAvailability(1n, 1n);
    // A second pool with the same id that never asked anything receives the answer.
    const stray = openPair();
    const p = pair.server.dataToSend(10000)!;
    stray.client.receiveData(p.data);
    expect(() => stray.client.nextEvent()).toThrow(/RUNSPACE_AVAILABILITY for unknown ci 1/);
    expect(stray.client.state).toBe(S.Broken);
  });
});

describe('reset runspace state', () => {
  test('2.3: RESET_RUNSPACE_STATE answered with RUNSPACE_AVAILABILITY', () => {
    const pair = openPair();
    const ci = pair.client.resetRunspaceState();
    expect(types(pair.toServer())).toEqual(['ResetRunspaceState']);
    pair.server.runspaceAvailability(ci, true);
    expect(pair.toClient()).toMatchObject([{ type: 'RunspaceAvailability', ci, response: true }]);
    expect(() => pair.server.runspaceAvailability(99n, true)).toThrow(/no request/);
  });

  test('2.2: refused locally with InvalidProtocolVersionError', () => {
    const pair = openPair({ server: { protocolVersion: '2.2' } });
    expect(() => pair.client.resetRunspaceState()).toThrow(InvalidProtocolVersionError);
    try {
      pair.client.resetRunspaceState();
    } catch (e) {
      expect(e).toMatchObject({ code: 'PSR_PSRP_VERSION', feature: 'ResetRunspaceState', currentVersion: '2.2' });
    }
  });
});

describe('user events', () => {
  test('USER_EVENT reaches the client pool', () => {
    const pair = openPair();
    pair.server.userEvent({
      eventIdentifier: 1,
      sourceIdentifier: 'src',
      timeGenerated: null,
      sender: 'sender',
      sourceArgs: null,
      messageData: 'hello',
      computerName: null,
      runspaceId: 'fb9c87e8-1190-40a7-a681-6fc9b9f84a17',
    });
    expect(pair.toClient()).toMatchObject([
      { type: 'UserEvent', eventIdentifier: 1, sourceIdentifier: 'src', messageData: 'hello', computerName: null, runspaceId: 'fb9c87e8-1190-40a7-a681-6fc9b9f84a17', pipelineId: undefined },
    ]);
  });
});
