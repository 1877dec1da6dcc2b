// SPNEGO-wrapped NTLM on the `Negotiate` scheme: psremote's client with
// `spnego: true` against the local endpoint over http with message encryption
// (cmd and a PowerShell session), checked on the wire through a TCP proxy
// (InitialContextToken, NegTokenResp, the final NegTokenResp on the 200, every
// body sealed); raw-NTLM clients on the same endpoint; and a NegTokenResp with
// a wrong mechListMIC refused with a 401.
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { NtlmInitiator } from '../../src/auth/ntlm/initiator.js';
import { decodeNegotiationToken, encodeNegTokenResp, innerTokenKind, OID_NTLM, type NegTokenResp } from '../../src/auth/spnego/tokens.js';
import { SpnegoNtlmInitiator } from '../../src/auth/spnego/ntlm.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { runCommand } from '../../src/winrm/winrs.js';
import { ntlmAuth, type NtlmAuthOptions } from '../../src/transport/http/ntlm-auth.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const USERS = { alice: 'Alice-pw-1' };
let ep: LocalEndpoint | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await ep?.close();
  ep = proxy = undefined;
});
const port = (url: string) => Number(new URL(url).port);
const conn = (o: Partial<NtlmAuthOptions> = {}) => ({ auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1', ...o }) });
const tokensOf = (text: string, header: string) => [...text.matchAll(new RegExp(`^${header}: Negotiate (\\S+)\\r$`, 'gim'))].map((m) => new Uint8Array(Buffer.from(m[1]!, 'base64')));

describe('SPNEGO-wrapped NTLM with message encryption over http', () => {
  test('cmd with spnego: true; the handshake on the wire is SPNEGO and every body is sealed', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    proxy = await startTcpProxy(port(ep.url));
    const url = `http://127.0.0.1:${proxy.port}/wsman`;
    const r = await runCommand(url, 'echo', ['spnego-marker-42'], conn({ spnego: true }));
    expect(r).toMatchObject({ stdout: 'spnego-marker-42\n', stderr: '', exitCode: 0 });

    const text = Buffer.concat(proxy.perConnection.flat()).toString('latin1');
    expect(text).not.toContain('spnego-marker-42'); // sealed both ways
    const requests = tokensOf(text, 'authorization').map((t) => decodeNegotiationToken(t));
    const init = requests.filter((t) => t.kind === 'init');
    expect(init.length).toBeGreaterThan(0);
    for (const t of init) {
      expect(t).toMatchObject({ mechTypes: [OID_NTLM] });
      expect(innerTokenKind((t as { mechToken: Uint8Array }).mechToken)).toBe('ntlm-negotiate');
    }
    const authResps = requests.filter((t): t is NegTokenResp => t.kind === 'resp');
    expect(authResps.length).toBe(init.length);
    for (const t of authResps) {
      expect(innerTokenKind(t.responseToken!)).toBe('ntlm-authenticate');
      expect(t.mechListMIC!.byteLength).toBe(16);
    }
    const answers = tokensOf(Buffer.concat(proxy.downstream).toString('latin1'), 'www-authenticate').map((t) => decodeNegotiationToken(t) as NegTokenResp);
    expect(answers.filter((t) => t.negState === 'accept-incomplete' && t.supportedMech === OID_NTLM && innerTokenKind(t.responseToken!) === 'ntlm-challenge').length).toBe(init.length);
    expect(answers.filter((t) => t.negState === 'accept-completed' && t.mechListMIC?.byteLength === 16).length).toBe(init.length);
    expect(ep.log.filter((l) => l.reason === 'SPNEGO NTLM challenge').length).toBe(init.length);
    expect(ep.log.filter((l) => l.reason === 'NTLM challenge').length).toBe(0);
  });

  test('a PowerShell session with spnego: true, and raw-NTLM clients on the same endpoint', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    const pool = await openSession(ep.url, { credential: { authentication: 'negotiate', username: 'alice', password: 'Alice-pw-1', spnego: true }, operationTimeoutMs: 5_000 });
    const r = await pool.invoke('Write-Output 1 two; Write-Warning careful').result();
    expect(r.output).toEqual([1, 'two']);
    expect(r.warning).toEqual(['careful']);
    expect((await pool.invoke('Write-Output again').result()).output).toEqual(['again']);

    const raw = await runCommand(ep.url, 'echo', ['raw'], conn());
    expect(raw.stdout).toBe('raw\n');
    const rawPool = await openSession(ep.url, { credential: { authentication: 'ntlm', username: 'alice', password: 'Alice-pw-1' }, operationTimeoutMs: 5_000 });
    expect((await rawPool.invoke('Write-Output raw-ps').result()).output).toEqual(['raw-ps']);
    await rawPool.close();
    await pool.close();
    expect(ep.log.some((l) => l.reason === 'SPNEGO NTLM challenge')).toBe(true);
    expect(ep.log.some((l) => l.reason === 'NTLM challenge')).toBe(true);
    expect(ep.stats.openShells).toBe(0);
  });

  test("a server whose final mechListMIC does not verify: the client refuses before unsealing anything", async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    let tampered = 0;
    proxy = await startTcpProxy(port(ep.url), {
      fromServer: (chunk) => {
        const text = chunk.toString('latin1');
        const m = /^(HTTP\/1\.1 200[\s\S]*?www-authenticate: Negotiate )(\S+)/i.exec(text);
        if (!m) return chunk;
        const t = decodeNegotiationToken(new Uint8Array(Buffer.from(m[2]!, 'base64'))) as NegTokenResp;
        const mic = t.mechListMIC!.slice();
        mic[5] = mic[5]! ^ 0x20;
        tampered++;
        return Buffer.from(text.replace(m[2]!, Buffer.from(encodeNegTokenResp({ ...t, mechListMIC: mic })).toString('base64')), 'latin1');
      },
    });
    await expect(runCommand(`http://127.0.0.1:${proxy.port}/wsman`, 'echo', ['x'], conn({ spnego: true }))).rejects.toMatchObject({
      code: 'PSR_AUTH_INTEGRITY',
      message: expect.stringMatching(/signature of message 0 does not verify/), // the mechListMIC, not a sealed message
    });
    expect(tampered).toBeGreaterThan(0);
  });

  test('wrong password with spnego: true is PSR_AUTH_REJECTED', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    await expect(runCommand(ep.url, 'echo', ['x'], conn({ spnego: true, password: 'wrong' }))).rejects.toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect(ep.log.some((l) => /PSR_AUTH_REJECTED/.test(l.reason ?? ''))).toBe(true);
  });
});

describe('SPNEGO-wrapped NTLM over https with channel binding', () => {
  let pki: Pki;
  beforeAll(() => {
    pki = makePki();
  });
  afterAll(() => pki.cleanup());

  test('CbtHardeningLevel=Strict: accepted with bindings, refused without', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'], tls: { cert: pki.serverCert, key: pki.serverKey }, channelBindingPolicy: 'strict' });
    const tls = { ca: pki.caCert };
    const r = await runCommand(ep.url, 'echo', ['spnego-tls'], { ...conn({ spnego: true }), tls });
    expect(r).toMatchObject({ stdout: 'spnego-tls\n', exitCode: 0 });
    expect(ep.log.some((l) => l.reason === 'SPNEGO NTLM challenge')).toBe(true);
    const e = await runCommand(ep.url, 'echo', ['x'], { ...conn({ spnego: true, channelBinding: false }), tls }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect(ep.log.at(-1)!.reason).toMatch(/^PSR_AUTH_CHANNEL_BINDING: alice sent no channel bindings/);
  });
});

/** One keep-alive socket, so the legs share the NTLM context the way a client's do. */
function post(agent: http.Agent, url: string, authorization: string): Promise<{ status: number; auth: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { authorization, 'content-length': 0 }, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, auth: res.headers['www-authenticate'] as string | undefined }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('the endpoint checks the mechListMIC', () => {
  test.each([
    ['wrong', (mic: Uint8Array) => mic.map((b, k) => (k === 4 ? b ^ 1 : b))],
    ['missing', () => undefined],
  ])('a %s mechListMIC gets a 401 with PSR_AUTH_INTEGRITY in the log', async (_name, mutate) => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const i = new SpnegoNtlmInitiator(new NtlmInitiator({ credentials: { username: 'alice', password: 'Alice-pw-1' } }));
      const b64 = (t: Uint8Array) => `Negotiate ${Buffer.from(t).toString('base64')}`;
      const first = await post(agent, ep.url, b64(i.initial()));
      expect(first.status).toBe(401);
      const step = decodeNegotiationToken(i.step(new Uint8Array(Buffer.from(first.auth!.split(' ')[1]!, 'base64')))) as NegTokenResp;
      const mic = mutate(step.mechListMIC!);
      const second = await post(agent, ep.url, b64(encodeNegTokenResp({ responseToken: step.responseToken!, ...(mic ? { mechListMIC: mic } : {}) })));
      expect(second.status).toBe(401);
      expect(second.auth).toBe('Negotiate');
      expect(ep.log.at(-1)).toMatchObject({ operation: 'auth', status: 401, reason: expect.stringMatching(/^PSR_AUTH_INTEGRITY: .*mechListMIC|^PSR_AUTH_INTEGRITY: the NTLM signature of message 0/) });
    } finally {
      agent.destroy();
    }
  });

  test('a NegTokenResp out of the blue and a malformed SPNEGO token are refused with the reason logged', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await post(agent, ep.url, `Negotiate ${Buffer.from(encodeNegTokenResp({ responseToken: Uint8Array.of(1) })).toString('base64')}`)).status).toBe(401);
      expect(ep.log.at(-1)?.reason).toMatch(/NegTokenResp without a negotiation/);
      expect((await post(agent, ep.url, `Negotiate ${Buffer.from([0x60, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]).toString('base64')}`)).status).toBe(401);
      expect(ep.log.at(-1)?.reason).toMatch(/^PSR_AUTH_INVALID: .*negTokenInit: missing/);
    } finally {
      agent.destroy();
    }
  });
});
