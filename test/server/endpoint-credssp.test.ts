// psremote's CredSSP client against psremote's endpoint (auth: ['credssp']):
// cmd and PowerShell over http with CredSSP message encryption (checked on
// the wire through a TCP proxy: no SOAP, no password in clear) and over
// https; the endpoint receives the delegated credentials (onDelegatedCredentials);
// a wrong password is refused with STATUS_LOGON_FAILURE.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startEndpoint, type EndpointOptions, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { runCommand } from '../../src/winrm/winrs.js';
import { credsspAuth } from '../../src/transport/http/credssp-auth.js';
import { basicAuth } from '../../src/transport/http/auth.js';
import { makePki, type Pki } from '../transport/http/pki.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.cleanup());

let ep: LocalEndpoint | undefined;
let proxy: TcpProxy | undefined;
const delegated: { user: string; domainName: string; userName: string; password: string }[] = [];
afterEach(async () => {
  await proxy?.close();
  await ep?.close();
  ep = proxy = undefined;
  delegated.length = 0;
});

async function endpoint(o: EndpointOptions = {}): Promise<LocalEndpoint> {
  ep = await startEndpoint({
    users: { alice: 'Alice-pw-1' },
    auth: ['credssp'],
    credsspTls: { cert: pki.serverCert, key: pki.serverKey },
    onDelegatedCredentials: (user, c) => delegated.push({ user, ...c }),
    ...o,
  });
  return ep;
}
const conn = (password = 'Alice-pw-1') => ({ auth: credsspAuth({ username: 'WORKGROUP\\alice', password }) });

describe('CredSSP against psremote serve', () => {
  test('http: cmd with encryption, nothing readable on the wire, the credentials delegated', async () => {
    await endpoint();
    proxy = await startTcpProxy(Number(new URL(ep!.url).port));
    const url = ep!.url.replace(/:\d+\//, `:${proxy.port}/`);
    const r = await runCommand(url, 'echo', ['secret-marker-123'], conn());
    expect(r.stdout.toString().trim()).toBe('secret-marker-123');
    expect(r.exitCode).toBe(0);
    expect(delegated[0]).toEqual({ user: 'alice', domainName: 'WORKGROUP', userName: 'alice', password: 'Alice-pw-1' });
    const up = Buffer.concat(proxy.upstream).toString('latin1');
    const down = Buffer.concat(proxy.downstream).toString('latin1');
    expect(up).toMatch(/\r\nauthorization: CredSSP FgMB/i); // a TLS ClientHello
    expect(up).toContain('multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted"');
    for (const text of [up, down]) {
      expect(text).not.toContain('secret-marker-123');
      expect(text).not.toContain('Envelope');
      expect(text).not.toContain('Alice-pw-1');
      expect(Buffer.concat(text === up ? proxy.upstream : proxy.downstream).includes(Buffer.from('Alice-pw-1', 'utf16le'))).toBe(false);
    }
  });

  test('https: PowerShell through openSession with authentication credssp', async () => {
    await endpoint({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    const pool = await openSession(ep!.url, { credential: { authentication: 'credssp', username: 'alice', password: 'Alice-pw-1' }, tls: { ca: pki.caCert }, operationTimeoutMs: 5_000 });
    const r = await pool.invoke('Write-Output 1 two').result();
    expect(r.output).toEqual([1, 'two']);
    await pool.close();
    expect(delegated.map((d) => d.userName)).toContain('alice');
  });

  test('a wrong password is PSR_AUTH_REJECTED with STATUS_LOGON_FAILURE, nothing delegated', async () => {
    await endpoint();
    const e = await runCommand(ep!.url, 'echo', ['x'], conn('wrong-pw-xyz')).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect((e as Error).message).toMatch(/STATUS_LOGON_FAILURE/);
    expect((e as Error).message).not.toContain('wrong-pw-xyz');
    expect(delegated).toEqual([]);
    expect(ep!.log.some((l) => /^PSR_AUTH_REJECTED/.test(l.reason ?? ''))).toBe(true);
  });
});

// Issue 22: the shell learns whose credentials were delegated, never the password.
// (printf, not echo: dash's echo would read the \\a of WORKGROUP\\alice as a bell.)
describe('the delegated user, seen by the shell', () => {
  const pwsh = { credential: { authentication: 'credssp' as const, username: 'WORKGROUP\\alice', password: 'Alice-pw-1' }, operationTimeoutMs: 5_000 };

  test('http (encrypted): /bin/sh gets PSREMOTE_DELEGATED_USER and no password; the scripted engine reports it', async () => {
    await endpoint();
    const r = await runCommand(ep!.url, 'env', [], conn());
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.toString().split('\n');
    expect(lines).toContain('PSREMOTE_DELEGATED_USER=WORKGROUP\\alice');
    expect(r.stdout.toString()).not.toContain('Alice-pw-1');
    const pool = await openSession(ep!.url, pwsh);
    const out = await pool.invoke('$PSSenderInfo.DelegatedUser; $PSSenderInfo.UserName; whoami').result();
    expect(out.output).toEqual(['WORKGROUP\\alice', 'alice', 'alice']);
    await pool.close();
  });

  test('https: the same through TLS, and a client-set PSREMOTE_DELEGATED_USER is replaced', async () => {
    await endpoint({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    const tls = { tls: { ca: pki.caCert } };
    const auth = credsspAuth({ username: 'WORKGROUP\\alice', password: 'Alice-pw-1' });
    const r = await runCommand(ep!.url, 'printf', ["'[%s]'", '"$PSREMOTE_DELEGATED_USER"'], { auth, ...tls, environment: { PSREMOTE_DELEGATED_USER: 'mallory' } });
    expect(r.stdout.toString().trim()).toBe('[WORKGROUP\\alice]');
    const pool = await openSession(ep!.url, { ...pwsh, ...tls });
    expect((await pool.invoke('$PSSenderInfo.DelegatedUser').result()).output).toEqual(['WORKGROUP\\alice']);
    await pool.close();
  });

  test('without CredSSP there is no delegated user, whatever the client puts in the environment', async () => {
    await endpoint({ auth: ['basic'], allowUnencrypted: true });
    const basic = { auth: basicAuth('alice', 'Alice-pw-1'), allowUnencrypted: true };
    const r = await runCommand(ep!.url, 'echo', ['"[${PSREMOTE_DELEGATED_USER-unset}]"'], { ...basic, environment: { PSREMOTE_DELEGATED_USER: 'mallory' } });
    expect(r.stdout.toString().trim()).toBe('[unset]');
    const pool = await openSession(ep!.url, { credential: { authentication: 'basic', username: 'alice', password: 'Alice-pw-1' }, allowUnencrypted: true, operationTimeoutMs: 5_000 });
    expect((await pool.invoke('$PSSenderInfo.DelegatedUser; whoami').result()).output).toEqual([null, 'alice']);
    await pool.close();
  });

  test("a PSREMOTE_DELEGATED_USER in the endpoint's own environment never reaches a shell without CredSSP", async () => {
    const before = process.env.PSREMOTE_DELEGATED_USER;
    process.env.PSREMOTE_DELEGATED_USER = 'inherited-from-the-endpoint';
    try {
      await endpoint({ auth: ['basic', 'credssp'], allowUnencrypted: true });
      const basic = { auth: basicAuth('alice', 'Alice-pw-1'), allowUnencrypted: true };
      const r = await runCommand(ep!.url, 'echo', ['"[${PSREMOTE_DELEGATED_USER-unset}]"'], basic);
      expect(r.stdout.toString().trim()).toBe('[unset]');
      // The same endpoint with CredSSP: the delegated user, not the inherited one.
      const c = await runCommand(ep!.url, 'printf', ["'[%s]'", '"$PSREMOTE_DELEGATED_USER"'], conn());
      expect(c.stdout.toString().trim()).toBe('[WORKGROUP\\alice]');
    } finally {
      if (before === undefined) delete process.env.PSREMOTE_DELEGATED_USER;
      else process.env.PSREMOTE_DELEGATED_USER = before;
    }
  });
});
