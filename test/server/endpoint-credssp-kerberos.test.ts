// psremote's CredSSP client with Kerberos inside against `serve --auth
// credssp --keytab` (the endpoint's Kerberos acceptor inside CredSSP), with
// tickets from the throw-away MIT realm got with a password, a keytab and a
// kinit ccache: cmd and PowerShell over http (CredSSP message encryption)
// and https, the principal authenticated (the Create's user is
// alice@PSREMOTE.TEST, which NTLM would not give: the endpoint has no NTLM
// users at all), the password delegated and the delegated user seen by the
// shell; refused: a ticket for another SPN, an endpoint keytab for another
// service; a client without Kerberos falls to NTLM, which this endpoint
// (keytab only) refuses; and the second hop from an endpoint that knows no
// password at all, only its keytab.

import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { parseKeytab } from '../../src/auth/kerberos/keytab.js';
import { startEndpoint, type EndpointOptions, type LocalEndpoint } from '../../src/server/endpoint.js';
import { demoHandler } from '../../src/server/demo-handler.js';
import { openSession } from '../../src/session/open.js';
import { runCommand } from '../../src/winrm/winrs.js';
import { credsspAuth, type CredSspAuthOptions } from '../../src/transport/http/credssp-auth.js';
import { ccacheTicketSource, kdcTicketSource } from '../../src/transport/http/kerberos-tickets.js';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { makePki, type Pki } from '../transport/http/pki.js';

describeWithPeers('CredSSP with Kerberos inside, against psremote serve (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let keytab: string;
  let otherKeytab: string;
  let pki: Pki;
  let ep: LocalEndpoint | undefined;
  let proxy: TcpProxy | undefined;
  const delegated: { user: string; userName: string; password: string }[] = [];

  beforeAll(async () => {
    realm = await startKdc();
    await realm.addUser('alice', 'Secret-1');
    keytab = await realm.addService('HTTP/localhost', { keytab: `${realm.dir}/http.keytab` });
    otherKeytab = await realm.addService('HTTP/elsewhere.test', { keytab: `${realm.dir}/other.keytab` });
    pki = makePki();
  });
  afterAll(async () => {
    pki?.cleanup();
    await realm?.stop();
  });
  afterEach(async () => {
    await proxy?.close();
    await ep?.close();
    ep = proxy = undefined;
    delegated.length = 0;
  });

  const keys = (path = keytab) => parseKeytab(new Uint8Array(readFileSync(path))).entries;
  async function endpoint(o: EndpointOptions = {}): Promise<LocalEndpoint> {
    ep = await startEndpoint({
      auth: ['credssp'],
      keytab: keys(),
      credsspTls: { cert: pki.serverCert, key: pki.serverKey },
      onDelegatedCredentials: (user, c) => delegated.push({ user, userName: c.userName, password: c.password }),
      ...o,
    });
    return ep;
  }
  const byName = (url: string) => url.replace('127.0.0.1', 'localhost');
  const base = () => ({ principal: 'alice@PSREMOTE.TEST', krb5Config: realm.krb5Conf, env: realm.env });
  const auth = (o: Partial<CredSspAuthOptions> = {}) => credsspAuth({ username: 'alice@PSREMOTE.TEST', password: 'Secret-1', tickets: kdcTicketSource({ ...base(), password: 'Secret-1' }), ...o });

  it.each(['password', 'keytab', 'kinit ccache'] as const)('tickets with a %s: cmd and PowerShell over http, sealed, Kerberos-authenticated, the password delegated', async (kind) => {
    await endpoint();
    proxy = await startTcpProxy(Number(new URL(ep!.url).port));
    let tickets;
    if (kind === 'password') tickets = kdcTicketSource({ ...base(), password: 'Secret-1' });
    else if (kind === 'keytab') tickets = kdcTicketSource({ ...base(), keytab: await realm.exportKeytab('alice', `${realm.dir}/alice.keytab`) });
    else tickets = ccacheTicketSource(await realm.kinit('alice', { password: 'Secret-1' }).then(async (cc) => {
      // A ccache with the service ticket in it, as `kvno` leaves it: the ccache source reads tickets, it does not ask the KDC.
      const { execFileSync } = await import('node:child_process');
      execFileSync('/usr/bin/kvno', ['-c', `FILE:${cc}`, 'HTTP/localhost'], { env: realm.env });
      return cc;
    }));
    const debug: string[] = [];
    const a = () => ({ auth: auth({ tickets, debug: (m) => debug.push(m) }) });
    const r = await runCommand(`http://localhost:${proxy.port}/wsman`, 'printf', ["'%s|%s'", 'hello-krb', '"$PSREMOTE_DELEGATED_USER"'], a());
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe('hello-krb|alice@PSREMOTE.TEST');
    expect(debug.join('\n')).toMatch(/credssp: Kerberos inside SPNEGO, SPN HTTP\/localhost/);
    expect(ep!.log.find((l) => l.operation === 'Create')?.user).toBe('alice@PSREMOTE.TEST');
    expect(delegated[0]).toEqual({ user: 'alice@PSREMOTE.TEST', userName: 'alice@PSREMOTE.TEST', password: 'Secret-1' });
    const up = Buffer.concat(proxy.upstream).toString('latin1');
    expect(up).toContain('protocol="application/HTTP-CredSSP-session-encrypted"');
    expect(up).not.toContain('hello-krb');
    expect(up).not.toContain('Secret-1');
    const pool = await openSession(byName(ep!.url), { ...a(), operationTimeoutMs: 10_000 });
    expect((await pool.invoke('$PSSenderInfo.UserName; $PSSenderInfo.DelegatedUser; Write-Output 42').result()).output).toEqual(['alice@PSREMOTE.TEST', 'alice@PSREMOTE.TEST', 42]);
    await pool.close();
  });

  it('https: cmd and PowerShell, plain SOAP inside the outer TLS', async () => {
    await endpoint({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    const tls = { ca: pki.caCert };
    const r = await runCommand(byName(ep!.url), 'echo', ['over', 'https'], { auth: auth(), tls });
    expect(r.stdout.toString().trim()).toBe('over https');
    const pool = await openSession(byName(ep!.url), { auth: auth(), tls, operationTimeoutMs: 10_000 });
    expect((await pool.invoke('$PSSenderInfo.UserName').result()).output).toEqual(['alice@PSREMOTE.TEST']);
    await pool.close();
    expect(delegated.map((d) => d.userName)).toContain('alice@PSREMOTE.TEST');
  });

  it('a ticket for another SPN is refused: STATUS_LOGON_FAILURE to the client, the reason in the log, nothing delegated', async () => {
    await endpoint();
    const e = await runCommand(byName(ep!.url), 'echo', ['x'], { auth: auth({ spn: 'HTTP/elsewhere.test' }) }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect((e as Error).message).toMatch(/STATUS_LOGON_FAILURE/);
    expect((e as Error).message).not.toContain('Secret-1');
    expect(delegated).toEqual([]);
    expect(ep!.log.some((l) => /HTTP\/elsewhere\.test@PSREMOTE\.TEST.*no key/.test(l.reason ?? ''))).toBe(true);
  });

  it("an endpoint whose keytab is another service's refuses the ticket (no key for HTTP/localhost)", async () => {
    await endpoint({ keytab: keys(otherKeytab) });
    const e = await runCommand(byName(ep!.url), 'echo', ['x'], { auth: auth() }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect(delegated).toEqual([]);
    expect(ep!.log.some((l) => /HTTP\/localhost@PSREMOTE\.TEST.*no key/.test(l.reason ?? ''))).toBe(true);
  });

  it('without a ticket source the client uses NTLM inside, which a keytab-only endpoint cannot check: refused', async () => {
    await endpoint();
    const debug: string[] = [];
    const e = await runCommand(byName(ep!.url), 'echo', ['x'], { auth: credsspAuth({ username: 'alice', password: 'Secret-1', debug: (m) => debug.push(m) }) }).catch((x: unknown) => x);
    expect(debug.join('\n')).toMatch(/credssp: NTLM inside SPNEGO/);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect(delegated).toEqual([]);
  });

  it('the second hop after Kerberos inside: A (keytab only, no passwords at all) reaches B by NTLM with the delegated password', async () => {
    const b = await startEndpoint({ users: { alice: 'Secret-1' }, auth: ['ntlm'] });
    try {
      await endpoint({
        handler: async (ctx) => {
          const c = ctx.senderInfo.delegatedCredential;
          if (ctx.commandText.trim() !== 'Invoke-SecondHop' || !c) return demoHandler(ctx);
          const pool = await openSession(b.url, { credential: { authentication: 'ntlm', username: c.userName, password: c.password() }, operationTimeoutMs: 10_000 });
          try {
            for (const o of (await pool.invoke('$PSSenderInfo.UserName').result()).output) ctx.output(o);
          } finally {
            await pool.close();
          }
        },
      });
      const pool = await openSession(byName(ep!.url), { auth: auth(), operationTimeoutMs: 20_000 });
      expect((await pool.invoke('Invoke-SecondHop').result()).output).toEqual(['alice']);
      await pool.close();
      expect(b.log.find((l) => l.operation === 'Create')?.user).toBe('alice');
      expect(JSON.stringify(ep!.log) + JSON.stringify(b.log)).not.toContain('Secret-1');
    } finally {
      await b.close();
    }
  });
});
