import { describe, expect, test } from 'vitest';
import { RunspacePoolState as S } from '../../../src/psrp/index.js';
import { InvalidStateError } from '../../../src/errors.js';
import { makePair, openPair, types } from '../helpers/pool-pair.js';

describe('open', () => {
  test('SESSION_CAPABILITY + INIT_RUNSPACEPOOL, then capability, private data and Opened', () => {
    const pair = makePair({ client: { minRunspaces: 1, maxRunspaces: 3 }, server: { applicationPrivateData: null } });
    const { client, server } = pair;
    expect(client.state).toBe(S.BeforeOpen);
    client.open();
    expect(client.state).toBe(S.NegotiationSent);
    const se = pair.toServer();
    expect(types(se)).toEqual(['SessionCapability', 'InitRunspacePool']);
    // Both messages travel in one payload (what WSMan creationXml needs).
    expect(pair.sentByClient.length).toBe(1);
    expect(pair.sentByClient[0]!.pipelineId).toBeUndefined();
    expect(server.state).toBe(S.NegotiationSucceeded);
    expect(server.runspacePoolId).toBe(client.runspacePoolId);
    expect([server.minRunspaces, server.maxRunspaces]).toEqual([1, 3]);
    expect(server.hostInfo?.isHostNull).toBe(true);
    server.open();
    expect(server.state).toBe(S.Opened);
    const ce = pair.toClient();
    expect(types(ce)).toEqual(['SessionCapability', 'ApplicationPrivateData', 'RunspacePoolState']);
    expect(client.state).toBe(S.Opened);
    expect(client.theirCapability).toMatchObject({ protocolVersion: '2.3', psVersion: '2.0', serializationVersion: '1.1.0.1' });
    expect(client.protocolVersion).toBe('2.3');
  });

  test('with a 60-byte budget every message spans many payloads and nothing is early', () => {
    const pair = makePair({ clientBudget: 60, serverBudget: 60 });
    pair.client.open();
    let sent = 0;
    const events: string[] = [];
    for (let p = pair.client.dataToSend(60); p !== undefined; p = pair.client.dataToSend(60)) {
      sent++;
      pair.server.receiveData(p.data);
      for (let e = pair.server.nextEvent(); e !== undefined; e = pair.server.nextEvent()) events.push(`${sent}:${e.type}`);
    }
    expect(sent).toBeGreaterThan(10);
    // SESSION_CAPABILITY completes somewhere in the middle, INIT_RUNSPACEPOOL only with the last payload.
    expect(events.length).toBe(2);
    expect(events[1]).toBe(`${sent}:InitRunspacePool`);
    pair.server.open();
    expect(types(pair.toClient())).toEqual(['SessionCapability', 'ApplicationPrivateData', 'RunspacePoolState']);
    expect(pair.sentByServer.every((p) => p.data.byteLength <= 60)).toBe(true);
    expect(pair.client.state).toBe(S.Opened);
  });

  test('open twice and other actions in the wrong state raise InvalidStateError', () => {
    const pair = openPair();
    expect(() => pair.client.open()).toThrow(InvalidStateError);
    try {
      pair.client.open();
    } catch (e) {
      expect(e).toMatchObject({ code: 'PSR_INVALID_STATE', action: 'open', currentState: 'Opened', expectedStates: ['BeforeOpen'] });
    }
    const fresh = makePair();
    expect(() => fresh.client.getAvailableRunspaces()).toThrow(InvalidStateError);
    expect(() => fresh.server.open()).toThrow(InvalidStateError);
  });
});

describe('protocol negotiation', () => {
  for (const [ours, theirs, expected] of [
    ['2.3', '2.3', '2.3'],
    ['2.3', '2.2', '2.2'],
    ['2.2', '2.3', '2.2'],
    ['2.3', '2.1', '2.1'],
    ['2.4', '2.4', '2.4'],
    ['2.3', '2.4', '2.3'],
  ] as const) {
    test(`client ${ours} with server ${theirs} speaks ${expected}`, () => {
      const pair = openPair({ client: { protocolVersion: ours }, server: { protocolVersion: theirs } });
      expect(pair.client.state).toBe(S.Opened);
      expect(pair.client.protocolVersion).toBe(expected);
      expect(pair.server.protocolVersion).toBe(expected);
      expect(pair.client.theirProtocolVersion).toBe(theirs);
    });
  }

  test('the client refuses a server with another PSVersion major protocol', () => {
    const pair = makePair({ server: { protocolVersion: '2.3' } });
    // Force a bad capability: tamper with what the server advertises.
    (pair.server.ourCapability as { protocolVersion: string }).protocolVersion = '3.0';
    pair.client.open();
    pair.toServer();
    pair.server.open();
    let err: unknown;
    try {
      pair.toClient();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'PSR_PSRP_NEGOTIATION' });
    expect(pair.client.state).toBe(S.Broken);
    // The pool stays broken: later input rethrows the same error.
    expect(() => pair.client.nextEvent()).toThrow(/protocol version 3.0/);
  });

  test('an invalid protocolVersion option is a usage error', () => {
    expect(() => makePair({ client: { protocolVersion: '3' } })).toThrow(/protocolVersion/);
  });
});

describe('close', () => {
  test('client close is a state change; the transport confirms it', () => {
    const pair = openPair();
    pair.client.close();
    expect(pair.client.state).toBe(S.Closing);
    expect(pair.client.dataToSend(1000)).toBeUndefined();
    pair.client.markClosed();
    expect(pair.client.state).toBe(S.Closed);
  });

  test('server close sends RUNSPACEPOOL_STATE Closed (OutOfProc)', () => {
    const pair = openPair();
    pair.server.close();
    const ev = pair.toClient();
    expect(ev).toMatchObject([{ type: 'RunspacePoolState', state: S.Closed }]);
    expect(pair.client.state).toBe(S.Closed);
    // Ignored once closed (3.1.5.4.9).
    expect(pair.server.state).toBe(S.Closed);
  });

  test('server setBroken carries the state to the client', () => {
    const pair = openPair();
    pair.server.setBroken('reason');
    const ev = pair.toClient();
    expect(ev).toMatchObject([{ type: 'RunspacePoolState', state: S.Broken, error: 'reason' }]);
    expect(pair.client.state).toBe(S.Broken);
  });
});
