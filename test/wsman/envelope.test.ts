import { describe, expect, test } from 'vitest';
import {
  RESOURCE,
  SIGNAL,
  build,
  buildEnvelope,
  maxPayloadBytes,
  parseDuration,
  powerShellCreateOptions,
  toDuration,
  type ShellRequest,
} from '../../src/wsman/index.js';
import { XMLNS_NAMESPACE, parseXml, type XmlElement } from '../../src/util/xml.js';
import { describeRequest } from '../../src/server/recording.js';
import { recording } from '../helpers/recordings.js';

// A comparable form of an envelope: namespace URIs and local names (prefixes
// ignored), attributes without xmlns declarations, trimmed text; header
// children sorted (their order is free), MessageID dropped (always fresh).
type Norm = [string, Record<string, string>, string, Norm[]];
function norm(el: XmlElement, sortChildren = false): Norm {
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) if (a.ns !== XMLNS_NAMESPACE) attrs[`{${a.ns}}${a.local}`] = a.value;
  let text = '';
  const kids: Norm[] = [];
  for (const c of el.children) {
    if (c.type === 'text') text += c.text;
    else if (!(c.local === 'MessageID')) kids.push(norm(c, c.local === 'Header'));
  }
  if (sortChildren) kids.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return [`{${el.ns}}${el.local}`, attrs, text.trim(), kids];
}
const shape = (xml: string) => norm(parseXml(xml));

function requestOf(recorded: string): ShellRequest & { shellId: string | undefined } {
  const root = parseXml(recorded);
  const info = describeRequest(root);
  const text = (local: string) => {
    const m = new RegExp(`<(?:\\w+:)?${local}(?: [^>]*)?>([^<]*)<`).exec(recorded);
    return m?.[1];
  };
  const sid = text('SessionId')!.replace(/^uuid:/, '');
  return {
    to: text('To')!,
    resourceUri: info.resourceUri!,
    messageId: info.messageId!,
    sessionId: sid,
    operationTimeoutMs: parseDuration(text('OperationTimeout')!)!,
    maxEnvelopeSize: Number(text('MaxEnvelopeSize')),
    shellId: info.shellId,
  };
}

describe('builders produce what real clients sent (pypsrp recordings; ids taken from the recording)', () => {
  const rec = recording('test_winrs_standard.yml');
  const [create, command, receive, signal, del] = rec.exchanges.map((x) => x.request) as [string, string, string, string, string];

  test('WinRS Create', () => {
    const r = requestOf(create);
    expect(shape(build.create(r, { inputStreams: 'stdin', outputStreams: 'stdout stderr' }))).toEqual(shape(create));
  });
  test('WinRS Command', () => {
    const r = requestOf(command);
    const built = build.command(r, r.shellId!, { command: 'cmd.exe', args: ['/c', 'echo', 'hi'] }, [
      { name: 'WINRS_SKIP_CMD_SHELL', value: 'False' },
    ]);
    expect(shape(built)).toEqual(shape(command));
  });
  test('WinRS Receive, Signal and Delete', () => {
    const r = requestOf(receive);
    const cmdId = describeRequest(receive).commandId!;
    expect(shape(build.receive(r, r.shellId!, { commandId: cmdId }))).toEqual(shape(receive));
    expect(shape(build.signal(requestOf(signal), r.shellId!, SIGNAL.ctrlC, cmdId))).toEqual(shape(signal));
    expect(shape(build.delete(requestOf(del), r.shellId!))).toEqual(shape(del));
  });

  test('PowerShell Create with creationXml and protocolversion, and the pool Receive', () => {
    const ps = recording('test_psrp_open_runspace.yml').exchanges.map((x) => x.request);
    const r = requestOf(ps[0]!);
    const creationXml = Buffer.from(/<creationXml[^>]*>([^<]+)</.exec(ps[0]!)![1]!, 'base64');
    const built = build.create(r, { shellId: r.shellId!, inputStreams: 'stdin pr', outputStreams: 'stdout', creationXml }, powerShellCreateOptions('2.3'));
    expect(shape(built)).toEqual(shape(ps[0]!));
    const rr = requestOf(ps[1]!);
    expect(shape(build.receive(rr, rr.shellId!, { streams: 'stdout' }))).toEqual(shape(ps[1]!));
  });

  test('PowerShell Command with the CREATE_PIPELINE argument and Send on stdin', () => {
    const ps = recording('test_psrp_run_protocol_version_2.3.yml').exchanges;
    const cmd = ps.find((x) => x.operation === 'Command')!.request;
    const r = requestOf(cmd);
    const info = describeRequest(cmd);
    const args = Buffer.from(/<rsp:Arguments>([^<]+)</.exec(cmd)![1]!, 'base64');
    const hasSkip = cmd.includes('WINRS_SKIP_CMD_SHELL');
    const built = build.command(r, r.shellId!, { commandId: info.commandId!, command: '', argumentsData: args }, hasSkip ? [{ name: 'WINRS_SKIP_CMD_SHELL', value: 'False' }] : []);
    expect(shape(built)).toEqual(shape(cmd));
    const send = ps.find((x) => x.operation === 'Send')!.request;
    const rs = requestOf(send);
    const stream = /<rsp:Stream([^>]*)>([^<]+)</.exec(send)!;
    const end = /End="true"/.test(stream[1]!);
    const built2 = build.send(rs, rs.shellId!, [{ name: /Name="(\w+)"/.exec(stream[1]!)![1]!, commandId: describeRequest(send).commandId!, data: Buffer.from(stream[2]!, 'base64'), end }]);
    expect(shape(built2)).toEqual(shape(send));
  });
});

describe('durations and sizes', () => {
  test('xs:duration both ways', () => {
    expect(toDuration(20_000)).toBe('PT20S');
    expect(toDuration(500)).toBe('PT0.500S');
    expect(parseDuration('PT7200.000S')).toBe(7_200_000);
    expect(parseDuration('PT2147483.647S')).toBe(2_147_483_647);
    expect(parseDuration('P1DT1H1M1S')).toBe(90_061_000);
    expect(parseDuration('7200')).toBeUndefined();
    expect(() => toDuration(-1)).toThrow(/invalid duration/);
  });

  test('maxPayloadBytes leaves the envelope under MaxEnvelopeSize once base64 is added', () => {
    const r: ShellRequest = { to: 'http://h:5985/wsman', resourceUri: RESOURCE.powershell(), messageId: crypto.randomUUID(), sessionId: crypto.randomUUID(), maxEnvelopeSize: 153_600, operationTimeoutMs: 20_000 };
    const shellId = crypto.randomUUID().toUpperCase();
    const empty = build.send(r, shellId, [{ name: 'stdin', commandId: shellId, data: new Uint8Array() }]);
    const n = maxPayloadBytes(153_600, empty);
    const full = build.send(r, shellId, [{ name: 'stdin', commandId: shellId, data: new Uint8Array(n) }]);
    expect(Buffer.byteLength(full)).toBeLessThanOrEqual(153_600);
    expect(Buffer.byteLength(full)).toBeGreaterThan(153_600 - 1024);
    expect(() => maxPayloadBytes(500, empty)).toThrow(/leaves no room/);
  });

  test('every value is escaped', () => {
    const xml = buildEnvelope({ to: 'http://h/wsman?a=1&b=<2>', messageId: '1', resourceUri: 'x', selectors: [{ name: 'a"b', value: '<&>' }] });
    const root = parseXml(xml);
    expect(root.local).toBe('Envelope');
    expect(xml).toContain('http://h/wsman?a=1&amp;b=&lt;2&gt;');
  });
});
