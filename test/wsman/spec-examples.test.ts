// The MS-WSMV section 4 examples (fixtures/upstream/spec-MS-WSMV): every clean
// example parses, the responses give the values they carry, and for the shell
// operations our builders, given the same inputs, produce the same body and
// every header the example carries, with the same values.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  build,
  parseCommandResponse,
  parseCreateResponse,
  parseDuration,
  parseEnumeration,
  parseEnvelope,
  parseReceiveResponse,
  SIGNAL,
  type ShellRequest,
} from '../../src/wsman/index.js';
import { XMLNS_NAMESPACE, attribute, childElement, childElements, parseXml, textContent, type XmlElement } from '../../src/util/xml.js';
import { describeRequest } from '../../src/server/recording.js';

interface Example {
  section: string;
  label: string;
  title: string;
  xml: string;
  well_formed: boolean;
  lossy_conversion: boolean;
}
const ALL = (JSON.parse(readFileSync('fixtures/upstream/spec-MS-WSMV/ms-wsmv-section4-examples.json', 'utf8')) as { examples: Example[] }).examples;
const CLEAN = ALL.filter((e) => e.well_formed && !e.lossy_conversion);
const find = (section: string, label: RegExp) => CLEAN.find((e) => e.section === section && label.test(e.label))!;

type Norm = [string, Record<string, string>, string, Norm[]];
// SequenceId is optional (MS-WSMV 2.2.4.26) and we do not send it; "* //optional" is
// an annotation the spec writers left inside one example body.
function norm(el: XmlElement): Norm {
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) if (a.ns !== XMLNS_NAMESPACE && a.local !== 'SequenceId') attrs[`{${a.ns}}${a.local}`] = a.value;
  let text = '';
  const kids: Norm[] = [];
  for (const c of el.children) {
    if (c.type === 'text') text += c.text;
    else kids.push(norm(c));
  }
  return [`{${el.ns}}${el.local}`, attrs, canonical(text.replace('* //optional', '').trim()), kids];
}
// xs:duration has many spellings (PT60S, PT60.000S): compare the value.
function canonical(text: string): string {
  const ms = /^P/.test(text) ? parseDuration(text) : undefined;
  return ms === undefined ? text : `${ms}ms`;
}
const bodyOf = (xml: string) => norm(childElement(parseXml(xml), 'http://www.w3.org/2003/05/soap-envelope', 'Body')!);
function headers(xml: string): Map<string, string> {
  const h = childElement(parseXml(xml), 'http://www.w3.org/2003/05/soap-envelope', 'Header')!;
  return new Map(childElements(h).map((e) => [`{${e.ns}}${e.local}`, textContent(e).trim()]));
}

function requestFrom(xml: string): ShellRequest & { shellId: string | undefined } {
  const h = headers(xml);
  const w = (l: string) => h.get(`{http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd}${l}`);
  const info = describeRequest(xml);
  return {
    to: h.get('{http://schemas.xmlsoap.org/ws/2004/08/addressing}To')!,
    resourceUri: info.resourceUri!,
    messageId: info.messageId!,
    ...(h.get('{http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd}SessionId') ? { sessionId: h.get('{http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd}SessionId')!.replace(/^uuid:/, '') } : {}),
    operationTimeoutMs: parseDuration(w('OperationTimeout')!)!,
    maxEnvelopeSize: Number(w('MaxEnvelopeSize')),
    shellId: info.shellId,
  };
}

/** Our envelope carries every header of the example, with the same value (MessageID and SessionId case aside). */
function expectHeadersCovered(ours: string, theirs: string): void {
  const a = headers(ours);
  for (const [k, v] of headers(theirs)) {
    expect(a.has(k), `header ${k}`).toBe(true);
    if (k.endsWith('}OptionSet') || k.endsWith('}ReplyTo')) continue;
    expect(canonical(a.get(k)!).toUpperCase(), `header ${k}`).toBe(canonical(v).toUpperCase());
  }
}

describe('MS-WSMV section 4 examples', () => {
  test(`${CLEAN.length} of ${ALL.length} examples are clean, and every one parses as a SOAP envelope`, () => {
    expect(CLEAN.length).toBe(46);
    for (const e of CLEAN) expect(parseEnvelope(e.xml).root.local, `${e.section} ${e.label}`).toBe('Envelope');
  });

  test('4.7.1 Create: same body, headers covered; the response gives the ShellId', () => {
    const req = find('4.7.1', /Request/).xml;
    const r = requestFrom(req);
    const ours = build.create(r, { environment: { test: '1' }, workingDirectory: 'd:\\windows', lifetimeMs: 1_000_000, inputStreams: 'stdin', outputStreams: 'stdout stderr' }, [
      { name: 'WINRS_NOPROFILE', value: 'TRUE' },
      { name: 'WINRS_CODEPAGE', value: '437' },
    ]);
    expect(bodyOf(ours)).toEqual(bodyOf(req));
    expectHeadersCovered(ours, req);
    const shell = parseCreateResponse(parseEnvelope(find('4.7.1', /Response/).xml));
    expect(shell.shellId).toMatch(/[0-9A-F-]{36}/);
  });

  test('4.7.2 Command, 4.7.3 Receive, 4.7.4 Send, 4.7.5 Signal, 4.7.8 Delete, 4.7.9 Disconnect, 4.7.10 Reconnect: same bodies', () => {
    const cases: [string, (r: ShellRequest, shellId: string, xml: string) => string][] = [
      ['4.7.2', (r, s, xml) => {
        const cl = childElement(childElement(parseXml(xml), 'http://www.w3.org/2003/05/soap-envelope', 'Body')!, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell', 'CommandLine')!;
        const args = childElements(cl, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell', 'Arguments').map((a) => textContent(a));
        const command = textContent(childElement(cl, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell', 'Command')!);
        return build.command(r, s, { command, args }, [
          { name: 'WINRS_CONSOLEMODE_STDIN', value: 'TRUE' },
          { name: 'WINRS_SKIP_CMD_SHELL', value: 'FALSE' },
        ]);
      }],
      ['4.7.3', (r, s, xml) => build.receive(r, s, { commandId: describeRequest(xml).commandId!, streams: 'stdout stderr', keepAlive: false })],
      ['4.7.4', (r, s, xml) => {
        const st = childElement(childElement(childElement(parseXml(xml), 'http://www.w3.org/2003/05/soap-envelope', 'Body')!, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell', 'Send')!, 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell', 'Stream')!;
        return build.send(r, s, [{ name: attribute(st, 'Name')!, commandId: attribute(st, 'CommandId')!, data: Buffer.from(textContent(st), 'base64'), ...(attribute(st, 'End') === 'true' ? { end: true } : {}) }]);
      }],
      ['4.7.5', (r, s, xml) => build.signal(r, s, SIGNAL.ctrlC, describeRequest(xml).commandId!)], // the spec's "terminate operation" example sends ctrl_c
      ['4.7.8', (r, s) => build.delete(r, s)],
      ['4.7.9', (r, s) => build.disconnect(r, s, { idleTimeoutMs: 180_000 })],
      ['4.7.10', (r, s) => build.reconnect(r, s)],
    ];
    for (const [section, make] of cases) {
      const req = find(section, /Request/).xml;
      const r = requestFrom(req);
      const ours = make(r, r.shellId!, req);
      expect(bodyOf(ours), section).toEqual(bodyOf(req));
      expectHeadersCovered(ours, req);
    }
  });

  test('responses give the values they carry: 4.7.2 CommandId, 4.7.3 streams and state, 4.7.6 enumeration, 4.10 fault', () => {
    expect(parseCommandResponse(parseEnvelope(find('4.7.2', /Response/).xml))).toMatch(/^[0-9a-fA-F-]{36}$/);
    const recv = parseReceiveResponse(find('4.7.3', /Response/).xml);
    if (recv.type !== 'data') throw new Error('expected data');
    expect(recv.streams.map((s) => s.name)).toContain('stdout');
    // The spec's example shows a command still Running (a prompt awaiting stdin).
    expect(recv.commandState?.state).toBe('Running');
    expect(recv.commandState?.commandId).toBe('77df7bb6-b5a0-4777-abd9-9823c0774074');
    expect(recv.streams[0]!.data.toString()).toBe('d:\\temp\\out.txt, Delete (Y/N)? ');
    const en = parseEnumeration(parseEnvelope(find('4.7.6', /Enumerate Response/).xml));
    expect(en.context).toBeTruthy();
    const pull = parseEnumeration(parseEnvelope(find('4.7.6', /Pull Response/).xml), { operation: 'Pull' });
    expect(pull.items.length).toBeGreaterThan(0);
    const fault = parseEnvelope(find('4.10', /Fault/).xml).fault!;
    expect(fault.subcode).toMatch(/DestinationUnreachable/);
    expect(fault.kind).toBe('DestinationUnreachable');
  });
});
