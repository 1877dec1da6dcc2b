// psremote's client against psremote's endpoint with NTLM: cmd and PowerShell
// over http with message encryption (checked on the wire through a TCP proxy),
// NTLM with channel binding over https, and the failures: wrong password,
// tampered seals either way, a dropped connection mid-session (re-auth and
// go on), and a server that requires channel binding from a client that sends none.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startEndpoint, type EndpointOptions, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { openShell, runCommand } from '../../src/winrm/winrs.js';
import { ntlmAuth, type NtlmAuthOptions } from '../../src/transport/http/ntlm-auth.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { ntowfv1 } from '../../src/auth/ntlm/crypto.js';
import { makePki, type Pki } from '../transport/http/pki.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { until } from '../helpers/until.js';
import { ManualClock } from '../../src/util/clock.js';

const USERS = { alice: 'Alice-pw-1', bob: { ntHash: Buffer.from(ntowfv1('Bob-pw-2')).toString('hex') } };
let ep: LocalEndpoint | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await ep?.close();
  ep = proxy = undefined;
});

async function endpoint(o: EndpointOptions = {}): Promise<LocalEndpoint> {
  ep = await startEndpoint({ users: USERS, auth: ['ntlm'], ...o });
  return ep;
}
const port = (url: string) => Number(new URL(url).port);
const conn = (o: Partial<NtlmAuthOptions> = {}) => ({ auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1', ...o }) });
const wire = (chunks: Buffer[]) => Buffer.concat(chunks).toString('latin1');
const challenges = () => ep!.log.filter((l) => l.reason === 'NTLM challenge').length;

/** On every connection: NEGOTIATE first (empty body), and no sealed body before that socket's AUTHENTICATE. */
function expectSealingOnlyAfterAuth(p: TcpProxy): void {
  expect(p.perConnection.length).toBeGreaterThan(0);
  for (const chunks of p.perConnection) {
    const text = Buffer.concat(chunks).toString('latin1');
    if (text === '') continue;
    expect(text).toMatch(/^POST [^\r]+\r\n(?:[^\r]+\r\n)*?authorization: Negotiate TlRMTVNTUAAB/i);
    expect(text).toMatch(/^POST (?:[^\r]+\r\n)*?content-length: 0\r\n/i);
    const firstSealed = text.indexOf('multipart/encrypted');
    if (firstSealed < 0) continue;
    const authenticate = text.search(/authorization: Negotiate TlRMTVNTUAAD/i);
    expect(authenticate).toBeGreaterThan(0);
    // The request carrying the first sealed body is the AUTHENTICATE's own request, or a later one.
    expect(text.lastIndexOf('POST /', firstSealed)).toBeGreaterThanOrEqual(text.lastIndexOf('POST /', authenticate));
  }
}

describe('NTLM with message encryption over http', () => {
  test('cmd: stdout, stderr and exit codes; every body on the wire is sealed', async () => {
    await endpoint();
    proxy = await startTcpProxy(port(ep!.url));
    const url = `http://127.0.0.1:${proxy.port}/wsman`;
    const a = await runCommand(url, 'echo', ['secret-marker-123'], conn());
    expect(a).toMatchObject({ stdout: 'secret-marker-123\n', stderr: '', exitCode: 0 });
    const b = await runCommand(url, 'echo oops-marker 1>&2; exit 7', [], conn());
    expect(b).toMatchObject({ stdout: '', stderr: 'oops-marker\n', exitCode: 7 });
    const up = wire(proxy.upstream);
    const down = wire(proxy.downstream);
    expect(up).toMatch(/\r\nauthorization: Negotiate TlRMTVNTUAAB/i); // NEGOTIATE
    expect(up).toMatch(/\r\nauthorization: Negotiate TlRMTVNTUAAD/i); // AUTHENTICATE
    expect(up).toContain('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"');
    expect(down).toContain('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted"');
    for (const text of [up, down]) {
      expect(text).not.toContain('secret-marker-123');
      expect(text).not.toContain('oops-marker');
      expect(text).not.toContain('Envelope');
    }
    expect(ep!.log.filter((l) => l.status === 400)).toEqual([]);
  });

  test('a Receive long-poll holds one authenticated connection while stdin goes out on another', async () => {
    await endpoint();
    const transport = new HttpTransport({ endpoint: ep!.url, auth: ntlmAuth({ username: 'WORKGROUP\\alice', password: 'Alice-pw-1' }) });
    const shell = await openShell(new WSManClient(transport, { operationTimeoutMs: 5_000 }));
    const cmd = await shell.run('cat', []);
    const out = cmd.stdout.collect();
    await until(() => ep!.stats.pendingReceives === 1, 'the command Receive held on the server');
    await cmd.sendInput('typed while receiving\n', { end: true });
    expect((await out).toString()).toBe('typed while receiving\n');
    expect(await cmd.exitCode).toBe(0);
    await shell.close();
    expect(transport.connections.length).toBeGreaterThanOrEqual(2);
    expect(challenges()).toBe(transport.connections.length); // one handshake per connection
    await transport.close();
  });

  test('PowerShell through openSession, with an NT hash as the credential', async () => {
    await endpoint();
    const pool = await openSession(ep!.url, { credential: { authentication: 'ntlm', username: 'bob', ntHash: USERS.bob.ntHash }, operationTimeoutMs: 5_000 });
    const r = await pool.invoke("Write-Output 1 two; Write-Warning careful").result();
    expect(r.output).toEqual([1, 'two']);
    expect(r.warning).toEqual(['careful']);
    await pool.close();
    expect(ep!.stats.openShells).toBe(0);
  });

  test('a wrong password is PSR_AUTH_REJECTED and the server says why', async () => {
    await endpoint();
    const e = await runCommand(ep!.url, 'echo', ['x'], conn({ password: 'wrong-pw-xyz' })).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED', offered: ['Negotiate'] });
    expect((e as Error).message).not.toContain('wrong-pw-xyz');
    expect(ep!.log.at(-1)!.reason).toMatch(/^PSR_AUTH_REJECTED: the NTLMv2 response of alice does not verify/);
  });

  test('unencrypted SOAP on an NTLM socket over http is refused (AllowUnencrypted=false), and accepted when allowed', async () => {
    await endpoint();
    const plain = { auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1', encryption: 'never' }), allowUnencrypted: true };
    await expect(runCommand(ep!.url, 'echo', ['x'], plain)).rejects.toMatchObject({ code: 'PSR_TRANSPORT_HTTP_STATUS', status: 400 });
    expect(ep!.log.at(-1)!.reason).toMatch(/requires message encryption/);
    await ep!.close();
    await endpoint({ allowUnencrypted: true });
    expect((await runCommand(ep!.url, 'echo', ['plain'], plain)).stdout).toBe('plain\n');
    // and the client refuses to send plain SOAP over http unless told so
    await expect(runCommand(ep!.url, 'echo', [], { auth: ntlmAuth({ username: 'a', password: 'b', encryption: 'never' }) })).rejects.toThrow(/refusing unencrypted NTLM/);
  });

  test('a tampered sealed response is PSR_AUTH_INTEGRITY; the next request authenticates afresh', async () => {
    await endpoint();
    let tamper = false;
    let tampered = 0;
    proxy = await startTcpProxy(port(ep!.url), {
      fromServer: (c) => {
        const at = c.indexOf('application/octet-stream\r\n');
        if (!tamper || at < 0 || c.length < at + 60) return c;
        tamper = false;
        tampered++;
        const copy = Buffer.from(c);
        copy[at + 26 + 4 + 16 + 5]! ^= 0x01; // a byte of the sealed data
        return copy;
      },
    });
    const client = new WSManClient(new HttpTransport({ endpoint: `http://127.0.0.1:${proxy.port}/wsman`, auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1' }) }));
    expect((await client.identify()).productVendor).toBeTruthy();
    tamper = true;
    await expect(client.identify()).rejects.toMatchObject({ code: 'PSR_AUTH_INTEGRITY', message: expect.stringMatching(/signature of sealed message 1 does not verify/) });
    expect(tampered).toBe(1);
    expect((await client.identify()).productVendor).toBeTruthy(); // a new context on the same socket
    expect(challenges()).toBe(2);
    await client.close();
  });

  test('a tampered sealed request is refused by the server (400, PSR_AUTH_INTEGRITY in its log)', async () => {
    await endpoint();
    let tamper = false;
    proxy = await startTcpProxy(port(ep!.url), {
      fromClient: (c) => {
        const at = c.indexOf('application/octet-stream\r\n');
        if (!tamper || at < 0) return c;
        tamper = false;
        const copy = Buffer.from(c);
        copy[at + 26 + 4 + 16 + 3]! ^= 0x80;
        return copy;
      },
    });
    const client = new WSManClient(new HttpTransport({ endpoint: `http://127.0.0.1:${proxy.port}/wsman`, auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1' }) }));
    await client.identify();
    tamper = true;
    await expect(client.identify()).rejects.toMatchObject({ status: 400 });
    expect(ep!.log.at(-1)).toMatchObject({ status: 400, reason: expect.stringMatching(/^PSR_AUTH_INTEGRITY/) });
    await client.close();
  });

  test('a connection dropped mid-session (cmd shell): re-authentication on the new socket, the shell goes on', async () => {
    await endpoint();
    proxy = await startTcpProxy(port(ep!.url));
    const shell = await openShell(`http://127.0.0.1:${proxy.port}/wsman`, conn());
    const first = await shell.run('echo', ['one']);
    expect((await first.stdout.collect()).toString()).toBe('one\n');
    await first.wait();
    const before = challenges();
    proxy.cutAll();
    // The next Command must not be written on a socket the client has not yet seen closed.
    await until(() => !(shell.client.transport as HttpTransport).connections.some((c) => c.connected), 'the client seeing its sockets closed');
    const second = await shell.run('echo', ['two']);
    expect((await second.stdout.collect()).toString()).toBe('two\n');
    expect(await second.wait()).toBe(0);
    await shell.close();
    expect(challenges()).toBe(before + 1);
    expect(ep!.log.filter((l) => l.status === 400)).toEqual([]);
    expect(proxy.perConnection.length).toBe(2);
    expectSealingOnlyAfterAuth(proxy);
  });

  test('idle connections dropped under a PowerShell session (its pool Receive stays up): re-auth and continue', async () => {
    await endpoint();
    proxy = await startTcpProxy(port(ep!.url));
    const pool = await openSession(`http://127.0.0.1:${proxy.port}/wsman`, {
      credential: { authentication: 'ntlm', username: 'alice', password: 'Alice-pw-1' },
      operationTimeoutMs: 3_000,
    });
    expect((await pool.invoke('Write-Output before').result()).output).toEqual(['before']);
    const before = challenges();
    await new Promise((r) => setTimeout(r, 50));
    expect(proxy.cutIdle()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect((await pool.invoke('Write-Output after').result()).output).toEqual(['after']);
    expect(challenges()).toBeGreaterThan(before);
    expect(ep!.log.filter((l) => l.status === 400)).toEqual([]);
    await pool.close();
    expectSealingOnlyAfterAuth(proxy);
  });
});

test('every connection cut under a PowerShell session, its pool Receive included: re-auth, the Receive is retried, the session goes on', async () => {
  const clock = new ManualClock();
  await endpoint();
  proxy = await startTcpProxy(port(ep!.url));
  const pool = await openSession(`http://127.0.0.1:${proxy.port}/wsman`, {
    credential: { authentication: 'ntlm', username: 'alice', password: 'Alice-pw-1' },
    retryDelayMs: 20,
    clock,
  });
  const events: string[] = [];
  pool.on('networkInterrupted', () => events.push('interrupted'));
  expect((await pool.invoke('Write-Output before').result()).output).toEqual(['before']);
  const before = challenges();
  proxy.cutAll();
  // The cut pool Receive pauses 20 ms (on the clock), then is retried on a socket authenticated afresh.
  await until(() => events.length === 1 && clock.pending === 1, 'the cut pool Receive pausing');
  await clock.advance(20);
  expect((await pool.invoke('Write-Output after').result()).output).toEqual(['after']);
  expect(events).toEqual(['interrupted']);
  expect(pool.state).toBe('Opened');
  expect(challenges()).toBeGreaterThan(before);
  await pool.close();
  expectSealingOnlyAfterAuth(proxy);
});

describe('NTLM with channel binding over https', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki.cleanup());
  const tls = () => ({ cert: pki.serverCert, key: pki.serverKey });

  test('cmd and PowerShell with CbtHardeningLevel=Strict; bodies are plain SOAP inside TLS', async () => {
    await endpoint({ tls: tls(), channelBindingPolicy: 'strict' });
    expect(ep!.url.startsWith('https://')).toBe(true);
    const r = await runCommand(ep!.url, 'echo', ['over-tls'], { ...conn(), tls: { ca: pki.caCert } });
    expect(r).toMatchObject({ stdout: 'over-tls\n', exitCode: 0 });
    const pool = await openSession(ep!.url, { credential: { authentication: 'negotiate', username: 'alice', password: 'Alice-pw-1' }, tls: { ca: pki.caCert } });
    expect((await pool.invoke('Write-Output 42').result()).output).toEqual([42]);
    await pool.close();
    expect(ep!.log.filter((l) => l.reason?.startsWith('PSR_'))).toEqual([]);
  });

  test('a server that requires channel binding rejects a client that sends none', async () => {
    await endpoint({ tls: tls(), channelBindingPolicy: 'strict' });
    const e = await runCommand(ep!.url, 'echo', ['x'], { auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1', channelBinding: false }), tls: { ca: pki.caCert } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect(ep!.log.at(-1)!.reason).toMatch(/^PSR_AUTH_CHANNEL_BINDING: alice sent no channel bindings/);
  });

  test('relaxed accepts a client without bindings; sealing over https when asked', async () => {
    await endpoint({ tls: tls(), channelBindingPolicy: 'relaxed' });
    const r = await runCommand(ep!.url, 'echo', ['relaxed'], { auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1', channelBinding: false }), tls: { ca: pki.caCert } });
    expect(r.stdout).toBe('relaxed\n');
    const s = await runCommand(ep!.url, 'echo', ['sealed-in-tls'], { auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1', encryption: 'always' }), tls: { ca: pki.caCert } });
    expect(s.stdout).toBe('sealed-in-tls\n');
  });
});

describe('both schemes', () => {
  test('Basic and NTLM side by side: each scheme in its own WWW-Authenticate header; Basic checks an NT-hash user too', async () => {
    await endpoint({ auth: ['ntlm', 'basic'], allowUnencrypted: true });
    const e = await runCommand(ep!.url, 'echo', ['x']).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED', offered: ['Negotiate', 'Basic'] });
    const { basicAuth } = await import('../../src/transport/http/auth.js');
    const basic = (u: string, p: string) => ({ auth: basicAuth(u, p), allowUnencrypted: true });
    expect((await runCommand(ep!.url, 'echo', ['basic'], basic('alice', 'Alice-pw-1'))).stdout).toBe('basic\n');
    expect((await runCommand(ep!.url, 'echo', ['hash-user'], basic('bob', 'Bob-pw-2'))).stdout).toBe('hash-user\n');
    await expect(runCommand(ep!.url, 'echo', ['x'], basic('bob', 'nope'))).rejects.toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect((await runCommand(ep!.url, 'echo', ['ntlm'], conn())).stdout).toBe('ntlm\n');
  });
});
