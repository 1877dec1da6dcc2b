// psremote's Kerberos client against psremote's endpoint (`serve --auth
// kerberos`), with tickets from the throw-away MIT realm: cmd and PowerShell
// over http with message encryption (checked on the wire: sealed with the
// Kerberos protocol name, never plain SOAP) and over https with channel
// bindings, SPNEGO in `Negotiate` and the bare `Kerberos` scheme, delegation,
// curl --negotiate (Debian's curl over MIT's GSS-API), and the failures: an
// unknown SPN, an expired ticket, a bare IP.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { parseKeytab } from '../../src/auth/kerberos/keytab.js';
import { startEndpoint, type EndpointOptions, type LocalEndpoint } from '../../src/server/endpoint.js';
import { delegatedCcachePath } from '../../src/server/kerberos-delegation.js';
import { openSession } from '../../src/session/open.js';
import { runCommand } from '../../src/winrm/winrs.js';
import { kerberosAuth, type KerberosAuthOptions } from '../../src/transport/http/kerberos-auth.js';
import { closeIdleConnections } from '../../src/transport/http/connection-reuse.js';
import { ccacheTicketSource, kdcTicketSource } from '../../src/transport/http/kerberos-tickets.js';
import { ntlmAuth } from '../../src/transport/http/ntlm-auth.js';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const run = (file: string, args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<string>((resolve, reject) =>
    execFile(file, args, { env, encoding: 'utf8', timeout: 30_000 }, (e, out, err) => (e ? reject(new Error(`${e.message}\n${out}${err}`)) : resolve(out + err))),
  );

describeWithPeers('endpoint with Kerberos (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let keytab: string;
  let ccache: string;
  let pki: Pki;
  let ep: LocalEndpoint | undefined;
  let proxy: TcpProxy | undefined;

  beforeAll(async () => {
    realm = await startKdc();
    await realm.addUser('alice', 'Secret-1');
    keytab = await realm.addService('HTTP/localhost', { keytab: `${realm.dir}/http.keytab` });
    ccache = await realm.kinit('alice', { password: 'Secret-1' });
    await run('/usr/bin/kvno', ['-c', `FILE:${ccache}`, 'HTTP/localhost'], realm.env);
    pki = makePki();
  });
  afterAll(async () => {
    await realm?.stop();
  });
  afterEach(async () => {
    await proxy?.close();
    await ep?.close();
    ep = proxy = undefined;
  });

  const keys = () => parseKeytab(new Uint8Array(readFileSync(keytab))).entries;
  async function endpoint(o: EndpointOptions = {}): Promise<LocalEndpoint> {
    ep = await startEndpoint({ auth: ['kerberos'], keytab: keys(), delegationDir: realm.dir, ...o });
    return ep;
  }
  const byName = (url: string) => url.replace('127.0.0.1', 'localhost');
  const conn = (o: Partial<KerberosAuthOptions> = {}) => ({ auth: kerberosAuth({ tickets: ccacheTicketSource(ccache), ...o }) });

  it.each(['negotiate', 'kerberos'] as const)('cmd over http, %s scheme: every SOAP body sealed with the Kerberos session', async (scheme) => {
    await endpoint();
    proxy = await startTcpProxy(Number(new URL(ep!.url).port));
    const r = await runCommand(`http://localhost:${proxy.port}/wsman`, 'echo', ['hello', 'kerberos'], conn({ scheme }));
    expect(r.exitCode).toBe(0);
    expect(Buffer.from(r.stdout).toString()).toMatch(/hello kerberos/);
    const up = proxy.perConnection.map((c) => Buffer.concat(c).toString('latin1')).join('');
    const protocol = scheme === 'kerberos' ? 'application/HTTP-Kerberos-session-encrypted' : 'application/HTTP-SPNEGO-session-encrypted';
    expect(up).toContain(`protocol="${protocol}"`);
    expect(up).toMatch(new RegExp(`authorization: ${scheme === 'kerberos' ? 'Kerberos' : 'Negotiate'} YI`, 'i'));
    expect(up).not.toContain('<s:Envelope');
    expect(up).not.toContain('hello kerberos');
    expect(ep!.log.find((l) => l.operation === 'Create')?.user).toBe('alice@PSREMOTE.TEST');
  });

  it.each(['password', 'keytab', 'kinit ccache'] as const)('tickets from the KDC with a %s: cmd and PowerShell over http with encryption', async (kind) => {
    await endpoint();
    const base = { principal: 'alice@PSREMOTE.TEST', krb5Config: realm.krb5Conf, env: realm.env };
    let opts;
    if (kind === 'password') opts = { ...base, password: 'Secret-1' };
    else if (kind === 'keytab') opts = { ...base, keytab: await realm.exportKeytab('alice', `${realm.dir}/alice.keytab`) };
    else opts = { ...base, ccache: await realm.kinit('alice', { password: 'Secret-1' }) };
    const auth = () => ({ auth: kerberosAuth({ tickets: kdcTicketSource(opts), scheme: 'negotiate' }) });
    const r = await runCommand(byName(ep!.url), 'echo', ['via', kind.replace(' ', '-')], auth());
    expect(Buffer.from(r.stdout).toString()).toMatch(new RegExp(`via ${kind.replace(' ', '-')}`));
    const pool = await openSession(byName(ep!.url), { ...auth(), operationTimeoutMs: 5_000 });
    expect((await pool.invoke('Write-Output 42').result()).output).toEqual([42]);
    await pool.close();
  });

  it('a second session with the same ticket source takes the first one\'s authenticated connection: no AP-REQ; another source sends one', async () => {
    await endpoint();
    proxy = await startTcpProxy(Number(new URL(ep!.url).port));
    const url = `http://localhost:${proxy.port}/wsman`;
    const tickets = ccacheTicketSource(ccache);
    const same = () => ({ auth: kerberosAuth({ tickets }) });
    // AP-REQs on the wire (the Kerberos scheme's tokens start with the GSS header 0x60, base64 "YI").
    const apReqs = () => (Buffer.concat(proxy!.upstream).toString('latin1').match(/\r\nauthorization: Kerberos YI/gi) ?? []).length;
    expect((await runCommand(url, 'echo', ['one'], { ...same(), awaitClose: true })).exitCode).toBe(0);
    const first = apReqs();
    expect(first).toBeGreaterThanOrEqual(1);
    const sockets = proxy.connections();
    expect((await runCommand(url, 'echo', ['two'], { ...same(), awaitClose: true })).exitCode).toBe(0);
    expect(apReqs()).toBe(first);
    expect(proxy.connections()).toBe(sockets); // not even a new TCP connection
    // A source of its own (even for the same ccache) is another identity: it authenticates.
    expect((await runCommand(url, 'echo', ['three'], { ...conn(), awaitClose: true })).exitCode).toBe(0);
    expect(apReqs()).toBeGreaterThan(first);
    expect(ep!.log.filter((l) => l.operation === 'Create').map((l) => l.user)).toEqual(['alice@PSREMOTE.TEST', 'alice@PSREMOTE.TEST', 'alice@PSREMOTE.TEST']);
    await closeIdleConnections();
  });

  it('an SPN the KDC does not know is a typed error naming it', async () => {
    await endpoint();
    const tickets = kdcTicketSource({ principal: 'alice@PSREMOTE.TEST', password: 'Secret-1', krb5Config: realm.krb5Conf, env: realm.env });
    const e = await runCommand(byName(ep!.url), 'echo', ['x'], { auth: kerberosAuth({ tickets, spn: 'HTTP/nowhere.localhost' }) }).catch((x: unknown) => x);
    expect((e as { code?: string }).code).toMatch(/^PSR_KRB_/);
    expect((e as Error).message).toMatch(/HTTP\/nowhere\.localhost/);
    expect((e as Error).message).not.toContain('Secret-1');
  });

  it('PowerShell over http with message encryption; the principal owns the shell', async () => {
    await endpoint();
    const pool = await openSession(byName(ep!.url), { ...conn(), operationTimeoutMs: 5_000 });
    const r = await pool.invoke('Write-Output 1 two; Write-Warning careful').result();
    expect(r.output).toEqual([1, 'two']);
    expect(r.warning).toEqual(['careful']);
    await pool.close();
    expect(ep!.log.some((l) => l.user === 'alice@PSREMOTE.TEST')).toBe(true);
  });

  it('https with channel bindings (and no message encryption)', async () => {
    await endpoint({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    const url = byName(ep!.url);
    const r = await runCommand(url, 'echo', ['over', 'tls'], { auth: kerberosAuth({ tickets: ccacheTicketSource(ccache) }), tls: { ca: pki.caCert } }).catch((e: unknown) => {
      throw new Error(`${String(e)}; server: ${ep!.log.map((l) => l.reason).join(' | ')}`);
    });
    expect(Buffer.from(r.stdout).toString()).toMatch(/over tls/);
    // without bindings the https endpoint refuses
    const e = await runCommand(url, 'echo', ['x'], { auth: kerberosAuth({ tickets: ccacheTicketSource(ccache), channelBinding: false }), tls: { ca: pki.caCert } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect(ep!.log.at(-1)!.reason).toMatch(/PSR_AUTH_CHANNEL_BINDING: alice@PSREMOTE.TEST sent no channel bindings/);
  });

  it('--delegate delivers the TGT: the endpoint stores a ccache that MIT klist reads', async () => {
    await endpoint();
    const r = await runCommand(byName(ep!.url), 'echo', ['deleg'], conn({ delegate: true }));
    expect(r.exitCode).toBe(0);
    const list = await realm.klist(delegatedCcachePath(realm.dir, 'alice@PSREMOTE.TEST'));
    expect(list).toContain('Default principal: alice@PSREMOTE.TEST');
    expect(list).toContain('krbtgt/PSREMOTE.TEST@PSREMOTE.TEST');
  });

  it('negotiate endpoint (kerberos + ntlm): Kerberos and NTLM (raw and in SPNEGO) clients both get in', async () => {
    await endpoint({ auth: ['kerberos', 'ntlm'], users: { bob: 'Bob-pw-1' } });
    const k = await runCommand(byName(ep!.url), 'echo', ['krb'], conn({ scheme: 'negotiate' }));
    expect(Buffer.from(k.stdout).toString()).toMatch(/krb/);
    for (const spnego of [false, true]) {
      const n = await runCommand(byName(ep!.url), 'echo', ['ntlm'], { auth: ntlmAuth({ username: 'bob', password: 'Bob-pw-1', scheme: 'negotiate', spnego }) });
      expect(Buffer.from(n.stdout).toString()).toMatch(/ntlm/);
    }
    const users = ep!.log.filter((l) => l.operation === 'Create').map((l) => l.user);
    expect(users).toEqual(['alice@PSREMOTE.TEST', 'bob', 'bob']);
  });

  it('curl --negotiate with a kinit ticket is accepted', async () => {
    await endpoint({ allowUnencrypted: true });
    const body = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>';
    const out = await run('/usr/bin/curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--negotiate', '-u', ':', '-H', 'Content-Type: application/soap+xml;charset=UTF-8', '--data', body, byName(ep!.url)], {
      ...realm.env,
      KRB5CCNAME: `FILE:${ccache}`,
    });
    expect(ep!.log.some((l) => l.user === 'alice@PSREMOTE.TEST')).toBe(true);
    expect(out).not.toBe('401');
  });

  it('an unknown SPN, an expired ticket and a bare IP are clear typed errors', async () => {
    await endpoint();
    const unknown = await runCommand(byName(ep!.url), 'echo', ['x'], conn({ spn: 'HTTP/nowhere.localhost' })).catch((x: unknown) => x);
    expect(unknown).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect((unknown as Error).message).toMatch(/no ticket for HTTP\/nowhere.localhost/);
    const later = () => new Date(Date.now() + 11 * 3600_000);
    const expired = await runCommand(byName(ep!.url), 'echo', ['x'], conn({ now: later })).catch((x: unknown) => x);
    expect(expired).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect((expired as Error).message).toMatch(/expired/);
    const ip = await runCommand(ep!.url, 'echo', ['x'], conn()).catch((x: unknown) => x);
    expect(ip).toMatchObject({ code: 'PSR_USAGE' });
    expect((ip as Error).message).toMatch(/Kerberos needs a host name, not the IP address 127.0.0.1/);
  });
});
