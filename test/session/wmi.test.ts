// WMI over WSMan. No public recording has a successful WMI Enumerate, so the
// successful responses here are hand-written in the shape the Windows WMI
// plug-in uses (class element in the class resource namespace, xsi:nil,
// cim:Datetime, repeated elements for arrays, wsman:Items + EndOfSequence).
// The fault is WinRb's recorded CannotProcessFilter answer.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { wmiGet, wmiInvoke, wmiQuery, wmiRecord } from '../../src/winrm/wmi.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { WSManFaultError } from '../../src/wsman/index.js';
import { parseXml } from '../../src/util/xml.js';
import { startServer, type TestServer } from '../transport/http/helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const HEAD = `xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common"`;
const SVC = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service';
const service = (name: string, state: string) =>
  `<p:Win32_Service xmlns:p="${SVC}" xsi:type="p:Win32_Service_Type"><p:Name>${name}</p:Name><p:State>${state}</p:State><p:Description xsi:nil="true"/><p:InstallDate><cim:Datetime>2024-01-02T03:04:05Z</cim:Datetime></p:InstallDate></p:Win32_Service>`;
const envelope = (mid: string, body: string) => `<s:Envelope ${HEAD}><s:Header><a:RelatesTo>${mid}</a:RelatesTo></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
const mid = (body: string) => /<(?:\w+:)?MessageID>([^<]*)</.exec(body)![1]!;

function reply(res: import('node:http').ServerResponse, xml: string, status = 200) {
  res.writeHead(status, { 'content-type': 'application/soap+xml;charset=UTF-8' }).end(xml);
}

test('wmiQuery: Enumerate then Pull until EndOfSequence, records in order', async () => {
  server = await startServer((r, res) => {
    if (r.body.includes('/Enumerate<')) {
      reply(res, envelope(mid(r.body), `<n:EnumerateResponse><n:EnumerationContext>uuid:CTX-1</n:EnumerationContext><w:Items>${service('WinRM', 'Running')}${service('Spooler', 'Stopped')}</w:Items></n:EnumerateResponse>`));
    } else {
      const ctx = /<wsen:EnumerationContext>([^<]*)</.exec(r.body)![1];
      if (ctx === 'uuid:CTX-1') reply(res, envelope(mid(r.body), `<n:PullResponse><n:EnumerationContext>uuid:CTX-2</n:EnumerationContext><n:Items>${service('W32Time', 'Running')}</n:Items></n:PullResponse>`));
      else reply(res, envelope(mid(r.body), `<n:PullResponse><n:Items>${service('BITS', 'Stopped')}</n:Items><n:EndOfSequence/></n:PullResponse>`));
    }
  });
  const c = new WSManClient(new HttpTransport({ endpoint: server.url }));
  const got = [];
  for await (const rec of wmiQuery(c, "SELECT * FROM Win32_Service WHERE StartMode='Auto'", { maxElements: 2 })) got.push(rec);
  expect(got.map((r) => [r.className, r.properties.Name, r.properties.State])).toEqual([
    ['Win32_Service', 'WinRM', 'Running'],
    ['Win32_Service', 'Spooler', 'Stopped'],
    ['Win32_Service', 'W32Time', 'Running'],
    ['Win32_Service', 'BITS', 'Stopped'],
  ]);
  expect(got[0]!.properties.Description).toBeNull();
  expect(got[0]!.properties.InstallDate).toBe('2024-01-02T03:04:05Z');
  const enumReq = server.requests[0]!.body;
  expect(enumReq).toContain('<wsman:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*</wsman:ResourceURI>');
  expect(enumReq).toContain('Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL"');
  expect(enumReq).toContain('StartMode=&apos;Auto&apos;'.replace(/&apos;/g, "'"));
  expect(server.requests.map((r) => /<wsa:Action[^>]*>([^<]*)</.exec(r.body)![1]!.split('/').pop())).toEqual(['Enumerate', 'Pull', 'Pull']);
  await c.close();
});

test('wmiQuery: the recorded CannotProcessFilter fault (unknown class) is a WSManFaultError', async () => {
  const recorded = readFileSync('fixtures/upstream/WinRb-WinRM/tests/spec/stubs/responses/soap_fault_v1.xml', 'utf8');
  server = await startServer((r, res) => reply(res, recorded.replace(/(<a:RelatesTo>)[^<]*(<)/, `$1${mid(r.body)}$2`), 500));
  const it = wmiQuery(server.url, 'SELECT * FROM Win32_NoSuchClass', { namespace: 'root\\cimv2' });
  const e = await it.next().catch((x: unknown) => x);
  expect(e).toBeInstanceOf(WSManFaultError);
  expect((e as WSManFaultError).kind).toBe('CannotProcessFilter');
  expect((e as WSManFaultError).faultMessage).toMatch(/class does not exist/);
  expect((e as WSManFaultError).operation).toBe('Enumerate');
});

test('wmiGet selects by key; wmiInvoke sends <Method>_INPUT and returns the output properties', async () => {
  server = await startServer((r, res) => {
    if (r.body.includes('transfer/Get<')) reply(res, envelope(mid(r.body), service('WinRM', 'Running')));
    else
      reply(
        res,
        envelope(mid(r.body), `<p:Create_OUTPUT xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process"><p:ProcessId>4242</p:ProcessId><p:ReturnValue>0</p:ReturnValue></p:Create_OUTPUT>`),
      );
  });
  const c = new WSManClient(new HttpTransport({ endpoint: server.url }));
  const svc = await wmiGet(c, 'Win32_Service', { Name: 'WinRM' });
  expect(svc.properties.State).toBe('Running');
  expect(server.requests[0]!.body).toContain('<wsman:Selector Name="Name">WinRM</wsman:Selector>');
  expect(server.requests[0]!.body).toContain(`${SVC}</wsman:ResourceURI>`);
  const out = await wmiInvoke(c, 'Win32_Process', 'Create', {}, { CommandLine: 'notepad.exe & <x>' });
  expect(out).toEqual({ ProcessId: '4242', ReturnValue: '0' });
  const inv = server.requests[1]!.body;
  expect(inv).toContain('<wsa:Action s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process/Create</wsa:Action>');
  expect(inv).toContain('<p:Create_INPUT xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process"><p:CommandLine>notepad.exe &amp; &lt;x&gt;</p:CommandLine></p:Create_INPUT>');
  await expect(wmiInvoke(c, 'Win32_Process', 'Bad Name', {})).rejects.toMatchObject({ code: 'PSR_USAGE' });
  await c.close();
});

describe('wmiRecord', () => {
  test('repeated elements become arrays, embedded instances nested objects', () => {
    const el = parseXml(
      `<p:Win32_NetworkAdapterConfiguration xmlns:p="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><p:IPAddress>10.0.0.5</p:IPAddress><p:IPAddress>fe80::1</p:IPAddress><p:Index>7</p:Index><p:Emb><p:A>1</p:A><p:B xsi:nil="true"/></p:Emb></p:Win32_NetworkAdapterConfiguration>`,
    );
    expect(wmiRecord(el)).toEqual({
      className: 'Win32_NetworkAdapterConfiguration',
      properties: { IPAddress: ['10.0.0.5', 'fe80::1'], Index: '7', Emb: { A: '1', B: null } },
    });
  });

  test('a record nested past the depth limit is server data over a limit (PSR_LIMIT), not a usage error', () => {
    const el = parseXml(`<p:R xmlns:p="urn:x">${'<p:E>'.repeat(40)}x${'</p:E>'.repeat(40)}</p:R>`);
    expect(() => wmiRecord(el)).toThrow(expect.objectContaining({ code: 'PSR_LIMIT', limit: 'WMI record nesting depth', max: 32 }));
  });
});
