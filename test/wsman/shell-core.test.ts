// The client and server shell cores (src/wsman/client-shell.ts, server-shell.ts)
// driven against each other in memory, as test/psrp does for pools: every
// request the client core builds is read by the one reader and fed to the
// server core, whose answer is read and fed back. The server's "application"
// here is a few lines of script standing in for a command; the envelopes are
// the cores' own (their shapes are checked against Windows recordings
// elsewhere: test/server/endpoint-conformance.test.ts).

import { describe, expect, test } from 'vitest';
import {
  ACTION,
  ClientEnumeration,
  ClientShell,
  RESOURCE,
  SHELL_TRANSITIONS,
  SIGNAL,
  ServerEnumeration,
  ServerShell,
  WSManFaultError,
  readEnvelope,
  type ClientShellEvent,
  type OutgoingRequest,
  type ShellAction,
  type ShellState,
} from '../../src/wsman/index.js';
import { envelope, faultEnvelope, type OutStream } from '../../src/wsman/server-envelopes.js';
import { InvalidStateError, RemoteProtocolError } from '../../src/errors.js';
import { textContent, type XmlElement } from '../../src/util/xml.js';

const SHELL_ID = '11111111-2222-3333-4444-555555555555';
const TIMED_OUT = { code: 'Receiver', subcode: 'w:TimedOut', reason: 'timed out', wsmanCode: 2150858793 } as const;
const INVALID = { code: 'Sender', subcode: 'w:InvalidParameter', reason: 'The parameter is incorrect. ', wsmanCode: 87 } as const;

/** A command as the in-memory server runs it: output queued, then Done with an exit code. */
interface Script {
  output: OutStream[];
  exitCode?: number;
  stdin: string;
}

function pair(resourceUri: string = RESOURCE.cmdShell) {
  let n = 0;
  const newId = () => `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`;
  const request = (t?: number) => ({ to: 'http://127.0.0.1/wsman', resourceUri, messageId: newId(), operationTimeoutMs: t ?? 20_000 });
  const client = new ClientShell({ resourceUri, request });
  const server: { shell?: ServerShell } = {};
  const scripts = new Map<string, Script>();
  const log: string[] = [];
  const refusals: string[] = [];
  let nextCommand = 0;
  let scriptFor: (id: string) => Script = () => ({ output: [], exitCode: 0, stdin: '' });
  const enumeration = new ServerEnumeration({ newMessageId: newId });

  function serve(xml: string | Uint8Array): string {
    const m = readEnvelope(xml, { role: 'request' });
    log.push(`${m.operation}${m.commandId ? ` ${m.commandId.slice(-2)}` : ''}${m.signalCode ? ` ${m.signalCode.slice(m.signalCode.lastIndexOf('/') + 1)}` : ''}`);
    if (m.operation === 'Create') {
      server.shell = new ServerShell(SHELL_ID, { newMessageId: newId });
      const body = `<x:ResourceCreated><a:Address>http://127.0.0.1/wsman</a:Address><a:ReferenceParameters><w:ResourceURI>${resourceUri}</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">${SHELL_ID}</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>`;
      return envelope(ACTION.CreateResponse, m.envelope.messageId, body, newId());
    }
    const shell = server.shell!;
    let req;
    try {
      req = shell.accept(m);
    } catch (e) {
      refusals.push((e as Error).message);
      return shell.fault(m, INVALID);
    }
    switch (req.operation) {
      case 'Command': {
        const id = `AAAAAAAA-0000-0000-0000-0000000000${String(++nextCommand).padStart(2, '0')}`;
        scripts.set(id, scriptFor(id));
        return shell.commandStarted(req, id);
      }
      case 'Send':
        for (const s of req.streams) scripts.get(s.commandId!.toUpperCase())!.stdin += Buffer.from(s.text, 'base64').toString();
        return shell.answer(req);
      case 'Receive': {
        const sc = scripts.get(req.commandId!.toUpperCase())!;
        if (sc.output.length === 0 && sc.exitCode === undefined) return shell.fault(req, TIMED_OUT);
        const out = sc.output.splice(0);
        return shell.received(req, out, sc.exitCode === undefined ? undefined : { exitCode: sc.exitCode });
      }
      case 'Signal':
        if (req.code === SIGNAL.ctrlC) scripts.get(req.commandId.toUpperCase())!.exitCode ??= 130;
        return shell.answer(req);
      case 'Connect':
        return shell.answer(req, '<rsp:ConnectResponse/>');
      default:
        return shell.answer(req);
    }
  }

  /** Posts a request the client core built and feeds the answer back. */
  function roundTrip(c: ClientShell, req: OutgoingRequest): ClientShellEvent[] {
    return c.handle(req, readEnvelope(serve(req.xml)));
  }

  return {
    client,
    server,
    scripts,
    log,
    refusals,
    serve,
    newId,
    request,
    enumeration,
    rt: (req: OutgoingRequest) => roundTrip(client, req),
    roundTrip,
    script(f: (id: string) => Script) {
      scriptFor = f;
    },
  };
}

function opened(resourceUri?: string) {
  const p = pair(resourceUri);
  p.rt(p.client.create());
  return p;
}

function started(p: ReturnType<typeof pair>): string {
  const [ev] = p.rt(p.client.startCommand({ command: 'cmd' }));
  if (ev?.type !== 'CommandStarted') throw new Error('no CommandStarted');
  return ev.commandId;
}

describe('client and server shell cores against each other', () => {
  test('normal cycle: Create, Command, Receive to Done, Signal terminate, Delete', () => {
    const p = pair();
    p.script(() => ({ output: [{ name: 'stdout', data: Buffer.from('hello\r\n') }, { name: 'stderr', data: Buffer.from('warn') }], exitCode: 3, stdin: '' }));
    const created = p.rt(p.client.create({}, []));
    expect(created).toEqual([{ type: 'Created', shell: { shellId: SHELL_ID } }]);
    expect(p.client.state).toBe('Connected');
    const id = started(p);
    expect(p.client.command(id)).toEqual({ phase: 'Running', input: 'Open', receive: 'Idle' });
    expect(p.server.shell!.command(id)).toEqual({ phase: 'Running', input: 'Open', receive: 'Idle' });
    const rcv = p.client.receive(id, { sequenceId: 0 });
    expect(p.client.command(id)?.receive).toBe('Outstanding');
    const events = p.rt(rcv);
    expect(events.map((e) => (e.type === 'Output' ? `${e.stream}:${e.data.toString()}` : e.type))).toEqual(['stdout:hello\r\n', 'stderr:warn', 'CommandDone']);
    expect(events.at(-1)).toEqual({ type: 'CommandDone', commandId: id, exitCode: 3 });
    expect(p.client.command(id)).toEqual({ phase: 'Done', input: 'Open', receive: 'Idle' });
    expect(p.server.shell!.command(id)?.phase).toBe('Done');
    expect(p.rt(p.client.signal(id, SIGNAL.terminate))).toEqual([{ type: 'Signalled', commandId: id, code: SIGNAL.terminate }]);
    expect(p.client.command(id)).toBeUndefined();
    expect(p.server.shell!.command(id)).toBeUndefined();
    expect(p.rt(p.client.delete())).toEqual([{ type: 'Deleted' }]);
    expect([p.client.state, p.server.shell!.state]).toEqual(['Deleted', 'Deleted']);
    expect(p.log).toEqual(['Create', 'Command', 'Receive 01', 'Signal 01 terminate', 'Delete']);
    expect(p.client.outstanding).toBe(0);
    expect(p.refusals).toEqual([]);
  });

  test('stdin: Sends until one with End; after it the client and the server refuse more', () => {
    const p = opened();
    p.script(() => ({ output: [], stdin: '' }));
    const id = started(p);
    expect(p.rt(p.client.send(id, [{ name: 'stdin', data: Buffer.from('abc') }]))).toEqual([{ type: 'InputAccepted', commandId: id, end: false }]);
    expect(p.rt(p.client.send(id, [{ name: 'stdin', data: Buffer.from('def'), end: true }]))).toEqual([{ type: 'InputAccepted', commandId: id, end: true }]);
    expect(p.scripts.get(id)!.stdin).toBe('abcdef');
    expect(p.server.shell!.command(id)?.input).toBe('Ended');
    expect(() => p.client.send(id, [{ name: 'stdin', data: Buffer.from('x') }])).toThrow(
      new InvalidStateError(`Send command ${id}`, 'Running (input Ended, Receive Idle)', ['Running (input Open)']),
    );
    // A client that does not keep the rule is refused by the server.
    const rogue = p.serve(forcedOpen(p.client, id).send(id, [{ name: 'stdin', data: Buffer.from('x') }]).xml);
    expect(readEnvelope(rogue).envelope.fault?.wsmanCode).toBe(87);
    expect(p.refusals).toEqual([`cannot Send command ${id} in state Running (input Ended, Receive Idle); expected Running (input Open)`]);
  });

  test('Signal ctrl_c: the command stays Running until a Receive brings its Done', () => {
    const p = opened();
    p.script(() => ({ output: [], stdin: '' }));
    const id = started(p);
    expect(p.rt(p.client.receive(id))).toEqual([{ type: 'ReceiveTimedOut', commandId: id }]);
    expect(p.client.command(id)?.receive).toBe('Idle');
    expect(p.rt(p.client.signal(id, SIGNAL.ctrlC))).toEqual([{ type: 'Signalled', commandId: id, code: SIGNAL.ctrlC }]);
    expect(p.client.command(id)?.phase).toBe('Running');
    expect(p.rt(p.client.receive(id))).toEqual([{ type: 'CommandDone', commandId: id, exitCode: 130 }]);
    expect(p.log).toEqual(['Create', 'Command', 'Receive 01', 'Signal 01 ctrl_c', 'Receive 01']);
  });

  test('Disconnect, Reconnect, and Connect from another client', () => {
    const p = opened(RESOURCE.powershell('Microsoft.PowerShell'));
    expect(p.rt(p.client.disconnect({ idleTimeoutMs: 60_000 }))).toEqual([{ type: 'Disconnected' }]);
    expect([p.client.state, p.server.shell!.state]).toEqual(['Disconnected', 'Disconnected']);
    expect(() => p.client.startCommand({ command: 'x' })).toThrow(`cannot Command shell ${SHELL_ID} in state Disconnected; expected Connected`);
    // The server refuses a Command on a disconnected shell, whoever sends it.
    const rogue = new ClientShell({ resourceUri: RESOURCE.powershell('Microsoft.PowerShell'), request: p.request, shellId: SHELL_ID });
    expect(() => p.roundTrip(rogue, forceConnected(rogue).startCommand({ command: 'x' }))).toThrow(WSManFaultError);
    expect(p.refusals).toEqual([`cannot Command shell ${SHELL_ID} in state Disconnected; expected Connected`]);
    expect(p.rt(p.client.reconnect())).toEqual([{ type: 'Reconnected' }]);
    expect([p.client.state, p.server.shell!.state]).toEqual(['Connected', 'Connected']);
    p.rt(p.client.disconnect());
    const second = new ClientShell({ resourceUri: RESOURCE.powershell('Microsoft.PowerShell'), request: p.request, shellId: SHELL_ID });
    expect(second.state).toBe('BeforeCreate');
    const req = second.connect({ connectXml: Buffer.from('x') });
    expect(second.state).toBe('Connecting');
    expect(p.roundTrip(second, req)).toEqual([{ type: 'Connected', connectResponseXml: undefined }]);
    expect([second.state, p.server.shell!.state]).toEqual(['Connected', 'Connected']);
    expect(p.log).toEqual(['Create', 'Disconnect', 'Command', 'Reconnect', 'Disconnect', 'Connect']);
  });

  test('Enumerate then Pull while the server has more; Pull after the end is refused on both sides', () => {
    const p = pair();
    const items = [1, 2, 3, 4, 5].map((i) => `<rsp:Shell xmlns:rsp="${RESOURCE.shell}"><rsp:ShellId>S${i}</rsp:ShellId></rsp:Shell>`);
    const en = new ClientEnumeration(RESOURCE.shell, () => p.request());
    const e1 = en.enumerate({ maxElements: 2 });
    expect(en.state).toBe('Enumerating');
    const got: string[] = [];
    const ids = (xs: readonly XmlElement[]) => xs.map((x) => textContent(x));
    got.push(...ids(en.handle(readEnvelope(p.enumeration.enumerate(readEnvelope(e1.xml), items, 2)))));
    expect(en.state).toBe('More');
    while (en.state === 'More') {
      const r = en.pull(2);
      const m = readEnvelope(r.xml);
      const ctx = /<wsen:EnumerationContext>([^<]*)</.exec(r.xml)![1]!;
      got.push(...ids(en.handle(readEnvelope(p.enumeration.pull(m, ctx, 2)))));
    }
    expect(got).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    expect(en.state).toBe('Ended');
    expect(p.enumeration.open).toBe(0);
    expect(() => en.pull()).toThrow('cannot Pull the enumeration in state Ended; expected More');
    expect(() => p.enumeration.pull(readEnvelope(en.enumerate().xml.replace(ACTION.Enumerate, ACTION.Pull)), 'enumeration-1')).toThrow(
      'cannot Pull enumeration context "enumeration-1" in state unknown; expected More',
    );
  });

  test('a fault puts the client back where it was and is thrown typed', () => {
    const p = pair();
    const req = p.client.create();
    expect(p.client.state).toBe('Creating');
    const answer = faultEnvelope(INVALID, readEnvelope(req.xml).envelope.messageId, p.newId());
    expect(() => p.client.handle(req, readEnvelope(answer))).toThrow(WSManFaultError);
    expect(p.client.state).toBe('BeforeCreate');
    expect(p.client.outstanding).toBe(0);
  });

  test('an answer that relates to another request, or to none outstanding, is refused', () => {
    const p = opened();
    const a = p.client.delete();
    const wrong = envelope(ACTION.DeleteResponse, 'FFFFFFFF-0000-0000-0000-000000000000', '', p.newId());
    expect(() => p.client.handle(a, readEnvelope(wrong))).toThrow(RemoteProtocolError);
    expect(() => p.client.handle(a, readEnvelope(wrong))).toThrow(/which is not outstanding/);
  });
});

/** Every shell action refused in every state the table does not allow it in, with its text. */
describe('command Reconnect and Connect, ids the client chose, input for the shell, a lost shell', () => {
  const PS = RESOURCE.powershell('Microsoft.PowerShell');
  const UNKNOWN = 'BBBBBBBB-0000-0000-0000-000000000000';
  const answerTo = (req: OutgoingRequest, action: string, body = '') => readEnvelope(envelope(action, readEnvelope(req.xml).envelope.messageId, body, 'ABCD'));
  const faultTo = (req: OutgoingRequest, spec: Parameters<typeof faultEnvelope>[0]) => readEnvelope(faultEnvelope(spec, readEnvelope(req.xml).envelope.messageId, 'ABCD'));

  test("a command's Reconnect follows the shell's; Connect takes up a command left running (Receive-PSSession)", () => {
    const p = opened(PS);
    p.script(() => ({ output: [], stdin: '' }));
    const id = started(p);
    p.rt(p.client.disconnect());
    expect(() => p.client.reconnectCommand(id)).toThrow(`cannot Reconnect a command of shell ${SHELL_ID} in state Disconnected; expected Connected`);
    expect(p.rt(p.client.reconnect())).toEqual([{ type: 'Reconnected' }]);
    const req = p.client.reconnectCommand(id);
    expect(readEnvelope(req.xml).commandId).toBe(id);
    expect(p.rt(req)).toEqual([{ type: 'CommandReconnected', commandId: id }]);
    expect([p.client.state, p.server.shell!.state, p.client.command(id)]).toEqual(['Connected', 'Connected', { phase: 'Running', input: 'Open', receive: 'Idle' }]);
    // A command with a Receive on the wire is not reconnected (its output would go two ways).
    const r = p.client.receive(id);
    expect(() => p.client.reconnectCommand(id)).toThrow(`cannot Reconnect command ${id} in state Running (input Open, Receive Outstanding); expected Running (Receive Idle)`);
    p.client.abandon(r);

    // Another client connects to the shell, then to the command it never started.
    p.rt(p.client.disconnect());
    const second = new ClientShell({ resourceUri: PS, request: p.request, shellId: SHELL_ID });
    expect(() => second.connectCommand(id)).toThrow(`cannot Connect a command of shell ${SHELL_ID} in state BeforeCreate; expected Connected`);
    p.roundTrip(second, second.connect({ connectXml: Buffer.from('x') }));
    expect(second.command(id)).toBeUndefined();
    expect(p.roundTrip(second, second.connectCommand(id))).toEqual([{ type: 'CommandConnected', commandId: id }]);
    expect(second.command(id)).toEqual({ phase: 'Running', input: 'Open', receive: 'Idle' });
    p.scripts.get(id)!.exitCode = 3;
    expect(p.roundTrip(second, second.receive(id))).toEqual([{ type: 'CommandDone', commandId: id, exitCode: 3 }]);

    // The server refuses a command it does not have; the client's shell stays Connected and learns no command.
    expect(() => p.roundTrip(second, second.connectCommand(UNKNOWN))).toThrow(WSManFaultError);
    expect(() => p.roundTrip(second, second.reconnectCommand(id))).toThrow(`cannot Reconnect command ${id} in state Done (input Open, Receive Idle); expected Running (Receive Idle)`);
    expect([second.state, second.command(UNKNOWN), second.outstanding]).toEqual(['Connected', undefined, 0]);
    expect(p.refusals).toEqual([`cannot Connect command ${UNKNOWN} in state unknown; expected Running or Done`]);
    expect(p.log).toEqual(['Create', 'Command', 'Disconnect', 'Reconnect', `Reconnect ${id.slice(-2)}`, 'Disconnect', 'Connect', `Connect ${id.slice(-2)}`, `Receive ${id.slice(-2)}`, 'Connect 00']);
  });

  test('AlreadyExists for a ShellId or CommandId the client chose is its own request twice; ShellNotFound for a Delete is a deleted shell', () => {
    const ALREADY = { code: 'Sender', subcode: 'w:AlreadyExists', reason: 'exists', wsmanCode: 0 } as const;
    const GONE = { code: 'Sender', subcode: 'w:InvalidSelectors', reason: 'gone', wsmanCode: 2150858843 } as const;
    const p = pair(PS);
    const anonymous = p.client.create();
    expect(() => p.client.handle(anonymous, faultTo(anonymous, ALREADY))).toThrow(WSManFaultError);
    expect(p.client.state).toBe('BeforeCreate');
    const create = p.client.create({ shellId: SHELL_ID });
    expect(p.client.handle(create, faultTo(create, ALREADY))).toEqual([{ type: 'Created', shell: { shellId: SHELL_ID } }]);
    expect([p.client.state, p.client.shellId]).toEqual(['Connected', SHELL_ID]);
    const cid = 'CCCCCCCC-0000-0000-0000-000000000001';
    const command = p.client.startCommand({ commandId: cid, command: '' });
    expect(p.client.handle(command, faultTo(command, ALREADY))).toEqual([{ type: 'CommandStarted', commandId: cid }]);
    expect(p.client.command(cid)?.phase).toBe('Running');
    const theirs = p.client.startCommand({ command: 'x' });
    expect(() => p.client.handle(theirs, faultTo(theirs, ALREADY))).toThrow(WSManFaultError);
    const del = p.client.delete();
    expect(p.client.handle(del, faultTo(del, GONE))).toEqual([{ type: 'Deleted', gone: true }]);
    expect([p.client.state, p.client.command(cid)]).toEqual(['Deleted', undefined]);
  });

  test("input for the shell itself (no CommandId), and a shell lost to the network is Disconnected, then reconnected", () => {
    const p = opened(PS);
    const req = p.client.send(undefined, [{ name: 'stdin', data: Buffer.from('pool') }]);
    const sent = readEnvelope(req.xml);
    expect(sent.streams.map((x) => [x.name, x.commandId, Buffer.from(x.text, 'base64').toString()])).toEqual([['stdin', undefined, 'pool']]);
    expect(p.client.handle(req, answerTo(req, ACTION.SendResponse, '<rsp:SendResponse/>'))).toEqual([{ type: 'InputAccepted', commandId: undefined, end: false }]);
    p.client.lost();
    expect(p.client.state).toBe('Disconnected');
    expect(() => p.client.lost()).toThrow(`cannot lose shell ${SHELL_ID} in state Disconnected; expected Connected`);
    expect(p.rt(p.client.reconnect())).toEqual([{ type: 'Reconnected' }]);
    expect(p.client.state).toBe('Connected');
  });
});

describe('refused transitions', () => {
  const ACTIONS = Object.keys(SHELL_TRANSITIONS) as ShellAction[];
  const STATES: ShellState[] = ['BeforeCreate', 'Creating', 'Connected', 'Disconnecting', 'Disconnected', 'Reconnecting', 'Connecting', 'Deleting', 'Deleted'];

  function inState(state: ShellState): { client: ClientShell; what: string; commandId: string } {
    const p = opened();
    const id = started(p);
    const c = p.client;
    switch (state) {
      case 'BeforeCreate':
      case 'Creating': {
        const fresh = new ClientShell({ resourceUri: RESOURCE.cmdShell, request: p.request });
        if (state === 'Creating') fresh.create();
        return { client: fresh, what: 'the shell', commandId: id };
      }
      case 'Connecting': {
        const other = new ClientShell({ resourceUri: RESOURCE.cmdShell, request: p.request, shellId: SHELL_ID });
        other.connect();
        return { client: other, what: `shell ${SHELL_ID}`, commandId: id };
      }
      case 'Connected':
        break;
      case 'Disconnecting':
        c.disconnect();
        break;
      case 'Disconnected':
        p.rt(c.disconnect());
        break;
      case 'Reconnecting':
        p.rt(c.disconnect());
        c.reconnect();
        break;
      case 'Deleting':
        c.delete();
        break;
      case 'Deleted':
        p.rt(c.delete());
        break;
    }
    return { client: c, what: `shell ${SHELL_ID}`, commandId: id };
  }

  function attempt(c: ClientShell, action: ShellAction, commandId: string): unknown {
    switch (action) {
      case 'Create':
        return c.create();
      case 'Command':
        return c.startCommand({ command: 'x' });
      case 'Send':
        return c.send(commandId, [{ name: 'stdin', data: Buffer.from('') }]);
      case 'Receive':
        return c.receive(commandId);
      case 'Signal':
        return c.signal(commandId, SIGNAL.terminate);
      case 'Delete':
        return c.delete();
      case 'Disconnect':
        return c.disconnect();
      case 'Reconnect':
        return c.reconnect();
      case 'Connect':
        return c.connect();
    }
  }

  const cases = STATES.flatMap((s) => ACTIONS.filter((a) => !SHELL_TRANSITIONS[a].from.includes(s)).map((a) => [a, s] as const));
  test('the table refuses something in every state', () => {
    expect(new Set(cases.map(([, s]) => s))).toEqual(new Set(STATES));
    expect(cases.length).toBe(9 * 9 - 12); // 12 allowed pairs in the table
  });
  test.each(cases)('%s in state %s', (action, state) => {
    const { client, what, commandId } = inState(state);
    const before = client.state;
    let err: unknown;
    try {
      attempt(client, action, commandId);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidStateError);
    expect((err as Error).message).toBe(`cannot ${action} ${what} in state ${state}; expected ${SHELL_TRANSITIONS[action].from.join(' or ')}`);
    expect(client.state).toBe(before);
  });

  test('command actions: unknown command, Receive twice, input after End, Receive after Done', () => {
    const p = opened();
    p.script(() => ({ output: [], stdin: '' }));
    const id = started(p);
    expect(() => p.client.receive('BBBBBBBB-0000-0000-0000-000000000000')).toThrow(
      'cannot Receive command BBBBBBBB-0000-0000-0000-000000000000 in state unknown; expected Running (Receive Idle)',
    );
    expect(() => p.client.signal('BBBBBBBB-0000-0000-0000-000000000000', SIGNAL.terminate)).toThrow(
      'cannot Signal command BBBBBBBB-0000-0000-0000-000000000000 in state unknown; expected Running or Done',
    );
    const r = p.client.receive(id);
    expect(() => p.client.receive(id)).toThrow(`cannot Receive command ${id} in state Running (input Open, Receive Outstanding); expected Running (Receive Idle)`);
    p.client.abandon(r);
    expect(p.client.command(id)?.receive).toBe('Idle');
    p.scripts.get(id)!.exitCode = 0;
    p.rt(p.client.receive(id));
    expect(() => p.client.receive(id)).toThrow(`cannot Receive command ${id} in state Done (input Open, Receive Idle); expected Running (Receive Idle)`);
    expect(() => p.client.send(id, [{ name: 'stdin', data: Buffer.from('x') }])).toThrow(
      `cannot Send command ${id} in state Done (input Open, Receive Idle); expected Running (input Open)`,
    );
    p.rt(p.client.signal(id, SIGNAL.terminate));
    expect(() => p.client.signal(id, SIGNAL.terminate)).toThrow(`cannot Signal command ${id} in state unknown; expected Running or Done`);
    // The server too: a Signal for the released command is refused.
    const other = new ClientShell({ resourceUri: RESOURCE.cmdShell, request: p.request, shellId: SHELL_ID });
    expect(() => p.roundTrip(other, forceCommand(forceConnected(other), id).signal(id, SIGNAL.terminate))).toThrow(WSManFaultError);
    expect(p.refusals).toEqual([`cannot Signal command ${id} in state unknown; expected Running or Done`]);
  });
});

// A client core pushed past its own rules, to see the server's. Only tests do this.
function forceConnected(c: ClientShell): ClientShell {
  const req = c.connect();
  c.handle(req, readEnvelope(envelope(ACTION.ConnectResponse, readEnvelope(req.xml).envelope.messageId, '<rsp:ConnectResponse/>', 'ABCD')));
  return c;
}
function forceCommand(c: ClientShell, id: string): ClientShell {
  const req = c.startCommand({ command: 'x' });
  c.handle(req, readEnvelope(envelope(ACTION.CommandResponse, readEnvelope(req.xml).envelope.messageId, `<rsp:CommandResponse><rsp:CommandId>${id}</rsp:CommandId></rsp:CommandResponse>`, 'ABCD')));
  return c;
}
function forcedOpen(c: ClientShell, id: string): ClientShell {
  const fresh = new ClientShell({ resourceUri: c.resourceUri, request: () => ({ to: 'http://127.0.0.1/wsman', resourceUri: c.resourceUri, messageId: 'CCCCCCCC-0000-0000-0000-000000000001' }), shellId: SHELL_ID });
  return forceCommand(forceConnected(fresh), id);
}

describe('refused transitions: enumerations and the server', () => {
  test('Enumerate and Pull outside their states', () => {
    const p = pair();
    const en = new ClientEnumeration(RESOURCE.shell, () => p.request());
    expect(() => en.pull()).toThrow('cannot Pull the enumeration in state Idle; expected More');
    const first = en.enumerate();
    expect(() => en.enumerate()).toThrow('cannot Enumerate the enumeration in state Enumerating; expected Idle or Ended');
    expect(() => en.pull()).toThrow('cannot Pull the enumeration in state Enumerating; expected More');
    en.handle(readEnvelope(p.enumeration.enumerate(readEnvelope(first.xml), ['<a/>', '<b/>'], 1)));
    expect(() => en.enumerate()).toThrow('cannot Enumerate the enumeration in state More; expected Idle or Ended');
    en.pull();
    expect(() => en.pull()).toThrow('cannot Pull the enumeration in state Pulling; expected More');
    expect(() => en.enumerate()).toThrow('cannot Enumerate the enumeration in state Pulling; expected Idle or Ended');
  });

  test('the server refuses every request to a deleted shell, and Command and Send to a disconnected one', () => {
    const p = opened();
    p.script(() => ({ output: [], stdin: '' }));
    const id = started(p);
    p.rt(p.client.disconnect());
    const rogue = forceCommand(forceConnected(new ClientShell({ resourceUri: RESOURCE.cmdShell, request: p.request, shellId: SHELL_ID })), id);
    p.serve(rogue.send(id, [{ name: 'stdin', data: Buffer.from('x') }]).xml);
    expect(p.refusals.splice(0)).toEqual([`cannot Send shell ${SHELL_ID} in state Disconnected; expected Connected`]);
    p.rt(p.client.delete());
    const builders: [string, () => OutgoingRequest][] = [
      ['Command', () => rogue.startCommand({ command: 'x' })],
      ['Send', () => rogue.send(id, [{ name: 'stdin', data: Buffer.from('x') }])],
      ['Receive', () => rogue.receive(id)],
      ['Signal', () => rogue.signal(id, SIGNAL.ctrlC)],
      ['Delete', () => rogue.delete()],
    ];
    for (const [op, build] of builders) {
      const req = build();
      expect(readEnvelope(p.serve(req.xml)).envelope.fault?.wsmanCode).toBe(87);
      rogue.abandon(req);
      const allowed = op === 'Command' || op === 'Send' ? 'Connected' : 'Connected or Disconnected';
      expect(p.refusals.splice(0)).toEqual([`cannot ${op} shell ${SHELL_ID} in state Deleted; expected ${allowed}`]);
    }
  });

  test('the server refuses a response, or a request for another shell', () => {
    const p = opened();
    const shell = p.server.shell!;
    expect(() => shell.accept(readEnvelope(envelope(ACTION.DeleteResponse, undefined, '', 'X')))).toThrow('cannot accept a response as a request in state Connected; expected a request');
    const other = new ClientShell({ resourceUri: RESOURCE.cmdShell, request: p.request, shellId: '99999999-0000-0000-0000-000000000000', created: true });
    expect(() => shell.accept(readEnvelope(other.delete().xml))).toThrow(
      `cannot Delete shell 99999999-0000-0000-0000-000000000000 in state not this shell; expected shell ${SHELL_ID}`,
    );
  });
});
