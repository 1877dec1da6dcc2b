// Malformed input of every kind gives a typed error that names what and
// where, breaks the pool (MS-PSRP 3.1.7), and never crashes or hangs.

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  ClientPowerShell,
  Destination,
  MessageType,
  RunspacePoolState as S,
  encodeMessage,
  fragmentMessage,
  type PsrpEvent,
} from '../../src/psrp/index.js';
import { PsRemoteError } from '../../src/errors.js';
import { PID1, PID2, RPID, makePair, openPair } from './helpers/pool-pair.js';

const OTHER = 'dddddddd-0000-4000-8000-000000000009';
let nextObjectId = 1000n;

/** Hand-built server->client payload (bypasses our server, which would refuse to build it). */
function toClient(messageType: number, xml: string | Uint8Array, opts: { rpid?: string; pid?: string; destination?: 1 | 2 } = {}): Uint8Array {
  const msg = encodeMessage({
    destination: opts.destination ?? Destination.Client,
    messageType,
    runspacePoolId: opts.rpid ?? RPID,
    pipelineId: opts.pid,
    data: xml,
  });
  const [p] = fragmentMessage(msg, nextObjectId++, 1 << 20);
  return p!;
}

function feed(pool: { receiveData(b: Uint8Array): void; nextEvent(): PsrpEvent | undefined }, payload: Uint8Array): PsrpEvent[] {
  pool.receiveData(payload);
  const out: PsrpEvent[] = [];
  for (let e = pool.nextEvent(); e !== undefined; e = pool.nextEvent()) out.push(e);
  return out;
}

function expectError(fn: () => unknown, code: string, message: RegExp): PsRemoteError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PsRemoteError);
  expect((err as PsRemoteError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
  return err as PsRemoteError;
}

describe('malformed server output at the client', () => {
  const cases: { name: string; payload: () => Uint8Array; code: string; msg: RegExp }[] = [
    { name: 'truncated fragment', payload: () => toClient(MessageType.PipelineOutput, '<S>x</S>', { pid: PID1 }).subarray(0, 30), code: 'PSR_PSRP_FRAGMENT_INVALID', msg: /declares BlobLength/ },
    { name: 'message shorter than its header', payload: () => fragmentMessage(new Uint8Array(10), 77n, 1000)[0]!, code: 'PSR_PSRP_MESSAGE_INVALID', msg: /shorter than the 40-byte header/ },
    { name: 'message addressed to the server', payload: () => toClient(MessageType.PipelineOutput, '<S>x</S>', { pid: PID1, destination: 2 }), code: 'PSR_PSRP_MESSAGE_INVALID', msg: /addressed to the server arrived at the client/ },
    { name: 'message for another pool', payload: () => toClient(MessageType.RunspacePoolState, '<Obj RefId="0"><MS><I32 N="RunspaceState">2</I32></MS></Obj>', { rpid: OTHER }), code: 'PSR_PSRP_MESSAGE_INVALID', msg: /for RunspacePool dddddddd/ },
    { name: 'invalid UTF-8', payload: () => toClient(MessageType.PipelineOutput, new Uint8Array([0x3c, 0xff, 0xfe]), { pid: PID1 }), code: 'PSR_PSRP_MESSAGE_INVALID', msg: /not valid UTF-8/ },
    { name: 'broken XML', payload: () => toClient(MessageType.PipelineOutput, '<S>x</T>', { pid: PID1 }), code: 'PSR_XML_MALFORMED', msg: /./ },
    { name: 'unknown CLIXML element', payload: () => toClient(MessageType.PipelineOutput, '<Bogus />', { pid: PID1 }), code: 'PSR_CLIXML_INVALID', msg: /Bogus/ },
    { name: 'missing property', payload: () => toClient(MessageType.RunspacePoolState, '<Obj RefId="0"><MS /></Obj>'), code: 'PSR_PSRP_MESSAGE_INVALID', msg: /property RunspaceState is missing.*RUNSPACEPOOL_STATE/ },
    { name: 'property of the wrong type', payload: () => toClient(MessageType.PipelineState, '<Obj RefId="0"><MS><S N="PipelineState">x</S></MS></Obj>', { pid: PID1 }), code: 'PSR_PSRP_MESSAGE_INVALID', msg: /PipelineState is not an integer/ },
    { name: 'host call without ci', payload: () => toClient(MessageType.PipelineHostCall, '<Obj RefId="0"><MS><I32 N="mi">11</I32></MS></Obj>', { pid: PID1 }), code: 'PSR_PSRP_MESSAGE_INVALID', msg: /property ci is missing/ },
    { name: 'a client-to-server message type', payload: () => toClient(MessageType.CreatePipeline, '<Obj RefId="0"><MS><Obj N="PowerShell" RefId="1"><MS><Obj N="Cmds" RefId="2"><LST /></Obj></MS></Obj></MS></Obj>', { pid: PID1 }), code: 'PSR_PSRP_PROTOCOL', msg: /client-to-server/ },
    { name: 'unknown RunspacePoolState value', payload: () => toClient(MessageType.RunspacePoolState, '<Obj RefId="0"><MS><I32 N="RunspaceState">42</I32></MS></Obj>'), code: 'PSR_PSRP_PROTOCOL', msg: /unknown state 42/ },
    { name: 'unknown PSInvocationState value', payload: () => toClient(MessageType.PipelineState, '<Obj RefId="0"><MS><I32 N="PipelineState">-1</I32></MS></Obj>', { pid: PID1 }), code: 'PSR_PSRP_PROTOCOL', msg: /unknown state -1/ },
    { name: 'pipeline message without a pipeline id', payload: () => toClient(MessageType.PipelineOutput, '<S>x</S>'), code: 'PSR_PSRP_PROTOCOL', msg: /without a pipeline id/ },
    { name: 'second SESSION_CAPABILITY', payload: () => toClient(MessageType.SessionCapability, '<Obj RefId="0"><MS><Version N="protocolversion">2.3</Version><Version N="PSVersion">2.0</Version><Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>'), code: 'PSR_PSRP_PROTOCOL', msg: /SESSION_CAPABILITY in state Opened/ },
    { name: 'output for a pipeline that was never started', payload: () => toClient(MessageType.PipelineOutput, '<S>x</S>', { pid: PID2 }), code: 'PSR_PSRP_PROTOCOL', msg: /not started/ },
    { name: 'a 1 GB declared BlobLength', payload: () => { const b = Buffer.alloc(30); b.writeBigUInt64BE(5n, 0); b.writeUInt8(3, 16); b.writeUInt32BE(1 << 30, 17); return new Uint8Array(b); }, code: 'PSR_LIMIT', msg: /BlobLength limit exceeded/ },
    { name: 'END_OF_PIPELINE_INPUT with data (wrong direction too)', payload: () => toClient(MessageType.EndOfPipelineInput, 'x', { pid: PID1 }), code: 'PSR_PSRP_MESSAGE_INVALID', msg: /carries data/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const pair = openPair();
      new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('x').start();
      new ClientPowerShell(pair.client, { pipelineId: PID2 }).addCommand('x');
      const err = expectError(() => feed(pair.client, c.payload()), c.code, c.msg);
      expect(pair.client.state).toBe(S.Broken);
      // Broken for good: later calls rethrow the same error.
      expect(() => pair.client.nextEvent()).toThrow(err);
      expect(() => pair.client.receiveData(new Uint8Array(1))).toThrow(err);
    });
  }

  test('a message of unknown type is an event, not an error', () => {
    const pair = openPair();
    const ev = feed(pair.client, toClient(0x00099999, '<S>future</S>'));
    expect(ev).toEqual([{ type: 'UnknownMessage', runspacePoolId: RPID, pipelineId: undefined, messageType: 0x00099999, clixml: '<S>future</S>' }]);
    expect(pair.client.state).toBe(S.Opened);
  });

  test('messages for a pipeline closed locally are returned and change nothing', () => {
    const pair = openPair();
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('x');
    ps.close();
    expect(feed(pair.client, toClient(MessageType.PipelineOutput, '<S>late</S>', { pid: PID1 }))).toMatchObject([{ type: 'PipelineOutput', value: 'late' }]);
  });

  test('RUNSPACEPOOL_STATE Opened before SESSION_CAPABILITY', () => {
    const pair = makePair();
    pair.client.open();
    expectError(() => feed(pair.client, toClient(MessageType.RunspacePoolState, '<Obj RefId="0"><MS><I32 N="RunspaceState">2</I32></MS></Obj>')), 'PSR_PSRP_PROTOCOL', /before SESSION_CAPABILITY/);
  });

  test('RUNSPACEPOOL_INIT_DATA during an open (not a connect)', () => {
    const pair = makePair();
    pair.client.open();
    expectError(() => feed(pair.client, toClient(MessageType.RunspacePoolInitData, '<Obj RefId="0"><MS><I32 N="MinRunspaces">1</I32><I32 N="MaxRunspaces">1</I32></MS></Obj>')), 'PSR_PSRP_PROTOCOL', /RUNSPACEPOOL_INIT_DATA in state NegotiationSent/);
  });

  test('all-zero RPID is accepted (Windows sends it on SESSION_CAPABILITY)', () => {
    const pair = makePair();
    pair.client.open();
    const ev = feed(pair.client, toClient(MessageType.SessionCapability, '<Obj RefId="0"><MS><Version N="protocolversion">2.3</Version><Version N="PSVersion">2.0</Version><Version N="SerializationVersion">1.1.0.1</Version></MS></Obj>', { rpid: '00000000-0000-0000-0000-000000000000' }));
    expect(ev[0]).toMatchObject({ type: 'SessionCapability', runspacePoolId: RPID });
    expect(pair.client.state).toBe(S.NegotiationSucceeded);
  });
});

describe('malformed client input at the server', () => {
  test('INIT_RUNSPACEPOOL before SESSION_CAPABILITY', () => {
    const pair = makePair();
    pair.client.open();
    const p = pair.client.dataToSend(100000)!;
    // Drop the SESSION_CAPABILITY fragment: keep only the second fragment of the payload.
    const first = Buffer.from(p.data).readUInt32BE(17);
    expectError(() => feed(pair.server, p.data.subarray(21 + first)), 'PSR_PSRP_PROTOCOL', /INIT_RUNSPACEPOOL in state BeforeOpen/);
  });

  test('a server-to-client message type from the client', () => {
    const pair = openPair();
    const msg = encodeMessage({ destination: 2, messageType: MessageType.PipelineOutput, runspacePoolId: RPID, pipelineId: PID1, data: '<S>x</S>' });
    expectError(() => feed(pair.server, fragmentMessage(msg, 99n, 10000)[0]!), 'PSR_PSRP_PROTOCOL', /server-to-client/);
    expect(pair.server.state).toBe(S.Broken);
  });

  test('PIPELINE_INPUT for a NoInput pipeline', () => {
    const pair = openPair();
    new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('x').start();
    pair.toServer();
    const msg = encodeMessage({ destination: 2, messageType: MessageType.PipelineInput, runspacePoolId: RPID, pipelineId: PID1, data: '<S>x</S>' });
    expectError(() => feed(pair.server, fragmentMessage(msg, 99n, 10000)[0]!), 'PSR_PSRP_PROTOCOL', /NoInput/);
  });
});

describe('fuzz', () => {
  const ALLOWED = new Set(['PSR_PSRP_FRAGMENT_INVALID', 'PSR_PSRP_FRAGMENT_ORDER', 'PSR_PSRP_MESSAGE_INVALID', 'PSR_PSRP_PROTOCOL', 'PSR_PSRP_NEGOTIATION', 'PSR_CLIXML_INVALID', 'PSR_CLIXML_DEPTH_LIMIT', 'PSR_XML_MALFORMED', 'PSR_LIMIT', 'PSR_DATA_TRUNCATED', 'PSR_PSRP_CRYPTO']);

  test('random payloads into an opened client pool: only typed errors', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 4 }), (payloads) => {
        const pair = openPair();
        try {
          for (const p of payloads) feed(pair.client, p);
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
          expect(ALLOWED).toContain((e as PsRemoteError).code);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('random CLIXML-ish text in every message type: only typed errors', () => {
    const types = Object.values(MessageType);
    const xmlish = fc.stringMatching(/^(<(Obj|MS|S|I32|I64|B|Nil|LST|TN|T|Ref|Version|G)( N="(ci|mi|mp|Cmds|PowerShell|RunspaceState|PipelineState)")?( RefId="\d")? ?\/?>|<\/(Obj|MS|S|I32|LST)>|[a-z0-9 ]{0,5})*$/);
    fc.assert(
      fc.property(fc.constantFrom(...types), xmlish, (type, xml) => {
        const pair = openPair();
        new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('x').start();
        try {
          feed(pair.client, toClient(type, xml, { pid: type >= 0x41000 ? PID1 : undefined }));
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
          expect(ALLOWED).toContain((e as PsRemoteError).code);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('resource limits', () => {
  test('a server refuses more pipelines than maxPipelines', () => {
    const pair = openPair({ server: { maxPipelines: 1 } });
    new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('x').start();
    new ClientPowerShell(pair.client, { pipelineId: PID2 }).addCommand('y').start();
    expectError(() => pair.toServer(), 'PSR_LIMIT', /pipelines per RunspacePool limit exceeded: 2 > 1/);
    expect(pair.server.state).toBe(S.Broken);
  });
});
