// Users of one endpoint are isolated as on Windows: a shell is its creator's;
// another user gets the AccessDenied fault (HTTP 500, WSManFault code 5) on
// every operation that names it and does not see it in Enumerate; an
// administrator lists and removes everyone's shells. Client-chosen ids are
// GUIDs and never replace a shell or command in use. The AccessDenied and
// AlreadyExists faults are modelled on Windows' (no recording has them); the
// clients are psremote's WSManClient, and raw SOAP where the test needs a
// request no client sends.
import { afterEach, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { openSession } from '../../src/session/open.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { basicAuth } from '../../src/transport/http/auth.js';
import { ntlmAuth } from '../../src/transport/http/ntlm-auth.js';
import { RESOURCE, SIGNAL } from '../../src/wsman/namespaces.js';
import { WSManFaultError, parseEnvelope } from '../../src/wsman/index.js';
import { attribute, childElement, childElements, textContent } from '../../src/util/xml.js';
import { NS } from '../../src/wsman/namespaces.js';

let ep: LocalEndpoint | undefined;
const clients: WSManClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await ep?.close();
  ep = undefined;
});

const USERS = { alice: 'a-pw', bob: 'b-pw', carol: { password: 'c-pw', admin: true } } as const;
const PASSWORDS: Record<string, string> = { alice: 'a-pw', bob: 'b-pw', carol: 'c-pw', ALICE: 'a-pw', 'CORP\\Alice': 'a-pw', 'alice@corp.example': 'a-pw' };

function as(user: string, scheme: 'basic' | 'ntlm' = 'basic'): WSManClient {
  const auth = scheme === 'basic' ? basicAuth(user, PASSWORDS[user]!) : ntlmAuth({ username: user, password: PASSWORDS[user]! });
  const c = new WSManClient(new HttpTransport({ endpoint: ep!.url, auth, allowUnencrypted: true }), { operationTimeoutMs: 2_000 });
  clients.push(c);
  return c;
}

async function fault(p: Promise<unknown>): Promise<WSManFaultError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(WSManFaultError);
  return e as WSManFaultError;
}

const shellIds = async (c: WSManClient) =>
  (await c.enumerate(RESOURCE.shell)).items.map((s) => textContent(childElement(s, NS.shell, 'ShellId')!)).sort();

describe('two users on one endpoint', () => {
  test('bob neither sees nor touches alice\'s shell: AccessDenied on every operation; alice is not disturbed', async () => {
    ep = await startEndpoint({ users: USERS, allowUnencrypted: true });
    const alice = as('alice');
    const bob = as('bob');
    const shell = await alice.create(RESOURCE.cmdShell, { environment: { SECRET_OF_ALICE: 'pw-in-env' } });
    const cid = await alice.command(RESOURCE.cmdShell, shell.shellId, { command: 'cat' });
    const mine = await bob.create(RESOURCE.cmdShell, {});

    expect(await shellIds(bob)).toEqual([mine.shellId]);
    const listing = (await bob.enumerate(RESOURCE.shell)).items.map((s) => JSON.stringify(s));
    expect(listing.join('')).not.toContain('pw-in-env');
    const theirs = await alice.enumerate(RESOURCE.shellCommand, { selectorFilter: [{ name: 'ShellId', value: shell.shellId }] });
    expect(theirs.items).toHaveLength(1);
    expect((await bob.enumerate(RESOURCE.shellCommand, { selectorFilter: [{ name: 'ShellId', value: shell.shellId }] })).items).toEqual([]);

    const id = shell.shellId;
    const attempts: [string, () => Promise<unknown>][] = [
      ['Receive', () => bob.receive(RESOURCE.cmdShell, id, { commandId: cid })],
      ['Send', () => bob.send(RESOURCE.cmdShell, id, [{ name: 'stdin', commandId: cid, data: Buffer.from('bob was here\n') }])],
      ['Command', () => bob.command(RESOURCE.cmdShell, id, { command: 'echo', args: ['pwned'] })],
      ['Signal', () => bob.signal(RESOURCE.cmdShell, id, SIGNAL.terminate, { commandId: cid })],
      ['Disconnect', () => bob.disconnect(RESOURCE.cmdShell, id)],
      ['Reconnect', () => bob.reconnect(RESOURCE.cmdShell, id)],
      ['Connect', () => bob.connect(RESOURCE.cmdShell, id, { connectXml: Buffer.from('x') })],
      ['Get', () => bob.get(RESOURCE.cmdShell, [{ name: 'ShellId', value: id }])],
      ['Delete', () => bob.delete(RESOURCE.cmdShell, id)],
    ];
    for (const [op, p] of attempts) {
      const f = await fault(p());
      expect([op, f.kind, f.subcode, f.wsmanCode, f.httpStatus]).toEqual([op, 'AccessDenied', 'w:AccessDenied', 5, 500]);
    }
    expect(ep.log.filter((l) => l.user === 'bob' && l.shellId === id).map((l) => [l.operation, l.status])).toEqual(attempts.map(([op]) => [op, 500]));

    // Alice's shell and command are as she left them: her stdin alone reaches cat.
    expect(ep.shells().find((s) => s.shellId === id)).toMatchObject({ owner: 'alice', state: 'Connected', commands: [cid] });
    await alice.send(RESOURCE.cmdShell, id, [{ name: 'stdin', commandId: cid, data: Buffer.from('from alice\n'), end: true }]);
    let out = '';
    for (let i = 0; i < 20 && !out.includes('from alice'); i++) {
      const r = await alice.receive(RESOURCE.cmdShell, id, { commandId: cid });
      if (r.type !== 'timeout') out += r.streams.map((s) => Buffer.from(s.data).toString()).join('');
    }
    expect(out).toBe('from alice\n');
    await alice.delete(RESOURCE.cmdShell, id);
  });

  test('one owner whatever the spelling: ALICE (Basic) and CORP\\Alice, alice@corp.example (NTLM) reach the shell alice created', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['basic', 'ntlm'], allowUnencrypted: true });
    const shell = await as('alice').create(RESOURCE.cmdShell, {});
    for (const [user, scheme] of [['ALICE', 'basic'], ['CORP\\Alice', 'ntlm'], ['alice@corp.example', 'ntlm']] as const) {
      expect(await shellIds(as(user, scheme))).toEqual([shell.shellId]);
    }
    expect(ep.shells()[0]!.owner).toBe('alice');
    await as('CORP\\Alice', 'ntlm').delete(RESOURCE.cmdShell, shell.shellId);
    expect(ep.stats.openShells).toBe(0);
  });

  test('an administrator lists and removes everyone\'s shells, including a PowerShell session', async () => {
    ep = await startEndpoint({ users: USERS, allowUnencrypted: true });
    const a = await as('alice').create(RESOURCE.cmdShell, {});
    const b = await as('bob').create(RESOURCE.cmdShell, {});
    const pool = await openSession({ endpoint: ep.url, auth: basicAuth('alice', 'a-pw'), allowUnencrypted: true }, { closeOnExit: false });
    const carol = as('carol');
    expect(await shellIds(carol)).toEqual([a.shellId, b.shellId, pool.runspacePoolId.toUpperCase()].sort());
    expect(await shellIds(as('alice'))).toEqual([a.shellId, pool.runspacePoolId.toUpperCase()].sort());
    // The administrator may remove, not drive, another user's shell.
    expect((await fault(carol.command(RESOURCE.cmdShell, a.shellId, { command: 'echo' }))).kind).toBe('AccessDenied');
    for (const id of [a.shellId, b.shellId]) await carol.delete(RESOURCE.cmdShell, id);
    await carol.delete('http://schemas.microsoft.com/powershell/Microsoft.PowerShell', pool.runspacePoolId.toUpperCase());
    expect(ep.stats.openShells).toBe(0);
    await pool.close().catch(() => undefined);
  });
});

describe('client-chosen ids', () => {
  test('a Create with a ShellId in use and a Command with a CommandId in use fault and replace nothing', async () => {
    ep = await startEndpoint({ users: USERS, allowUnencrypted: true });
    const alice = as('alice');
    const id = '0A1B2C3D-0000-4000-8000-00000000A11C';
    const shell = await alice.create(RESOURCE.cmdShell, { shellId: id, environment: { WHO: 'first' } });
    expect(shell.shellId).toBe(id);
    const again = await fault(as('bob').create(RESOURCE.cmdShell, { shellId: id.toLowerCase(), environment: { WHO: 'second' } }));
    expect([again.subcode, again.wsmanCode, again.httpStatus]).toEqual(['w:AlreadyExists', 183, 500]);
    expect((await fault(alice.create(RESOURCE.cmdShell, { shellId: id }))).subcode).toBe('w:AlreadyExists');
    expect(ep.shells()).toEqual([expect.objectContaining({ shellId: id, owner: 'alice' })]);

    const cid = '11111111-2222-4333-8444-555555555555';
    expect(await alice.command(RESOURCE.cmdShell, id, { commandId: cid, command: 'echo $WHO' })).toBe(cid);
    expect((await fault(alice.command(RESOURCE.cmdShell, id, { commandId: cid, command: 'echo replaced' }))).subcode).toBe('w:AlreadyExists');
    let out = '';
    for (let i = 0; i < 20; i++) {
      const r = await alice.receive(RESOURCE.cmdShell, id, { commandId: cid });
      if (r.type === 'timeout') continue;
      out += r.streams.map((s) => Buffer.from(s.data).toString()).join('');
      if (r.commandState?.state === 'Done') break;
    }
    expect(out).toBe('first\n');
  });

  test('a ShellId `X&Y<Z` is refused (InvalidParameter), nothing is stored, and Enumerate stays parseable', async () => {
    ep = await startEndpoint();
    const body = (shellAttr: string, env: string) =>
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">` +
      `<s:Header><a:To>${ep!.url}</a:To><w:ResourceURI s:mustUnderstand="true">${RESOURCE.cmdShell}</w:ResourceURI><a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
      `<a:Action s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/Create</a:Action><a:MessageID>uuid:5D4B2A5E-0000-4000-8000-000000000001</a:MessageID></s:Header>` +
      `<s:Body><rsp:Shell${shellAttr}><rsp:Environment><rsp:Variable Name="A&amp;&quot;B">x&lt;/rsp:Variable&gt;]]&gt;</rsp:Variable></rsp:Environment><rsp:InputStreams>${env}</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell></s:Body></s:Envelope>`;
    const post = async (b: string) => {
      const r = await fetch(ep!.url, { method: 'POST', body: b, headers: { 'content-type': 'application/soap+xml;charset=UTF-8' } });
      return { status: r.status, text: await r.text() };
    };
    const bad = await post(body(' ShellId="X&amp;Y&lt;Z"', 'stdin'));
    expect(bad.status).toBe(500);
    const f = parseEnvelope(bad.text).fault!;
    expect([f.subcode, f.wsmanCode]).toEqual(['w:InvalidParameter', 87]);
    expect(f.message).toContain('ShellId must be a GUID');
    expect(ep.shells()).toEqual([]);
    // A shell whose names and values are full of markup: echoed escaped, read back exactly.
    const ok = await post(body('', 'stdin&amp;&lt;x'));
    expect(ok.status).toBe(200);
    const listing = await as2().enumerate(RESOURCE.shell);
    const s = listing.items[0]!;
    const v = childElements(childElement(s, NS.shell, 'Environment')!, NS.shell, 'Variable')[0]!;
    expect([attribute(v, 'Name'), textContent(v)]).toEqual(['A&"B', 'x</rsp:Variable>]]>']);
    expect(textContent(childElement(s, NS.shell, 'InputStreams')!)).toBe('stdin&<x');
  });
});

function as2(): WSManClient {
  const c = new WSManClient(new HttpTransport({ endpoint: ep!.url }));
  clients.push(c);
  return c;
}

describe('Basic over http', () => {
  test('refused by default (AllowUnencrypted=false): a 401 without Basic offered, credentials not even checked', async () => {
    ep = await startEndpoint({ users: USERS });
    const r = await fetch(ep.url, {
      method: 'POST',
      body: '<s:Envelope/>',
      headers: { 'content-type': 'application/soap+xml;charset=UTF-8', authorization: `Basic ${Buffer.from('alice:a-pw').toString('base64')}` },
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBeNull();
    expect(ep.log).toEqual([expect.objectContaining({ operation: 'auth', status: 401, reason: expect.stringContaining('AllowUnencrypted=false') })]);
    expect(ep.stats.requests).toEqual({});
  });
});
