// An independent NTLM implementation against our endpoint: Debian's pywinrm
// (python3-winrm 0.3, NTLM from python3-ntlm-auth via requests-ntlm) runs cmd
// commands with NTLM and message encryption over http, and with NTLM channel
// binding over https against a server that requires it. This shows our
// acceptor, sealing and tls-server-end-point hash interoperate with somebody
// else's initiator. ntlm-auth computes MD4 with hashlib, which Debian 12's
// OpenSSL refuses, so the Python process alone gets an OpenSSL config with the
// legacy provider (dependencies note, appendix); psremote itself never needs it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { SYSTEM_PYTHON, pywinrmAvailable, requirePeers } from '../helpers/pywinrm.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const peer = pywinrmAvailable();
if (!peer.ok && requirePeers()) throw new Error(`pywinrm peer required on CI but unavailable: ${peer.reason}`);
if (!peer.ok) console.warn(`skipping pywinrm NTLM interop tests: ${peer.reason}`);

const OPENSSL_LEGACY = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`;

let dir: string;
let pki: Pki;
let ep: LocalEndpoint | undefined;
let proxy: TcpProxy | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'psremote-pywinrm-ntlm-'));
  writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_LEGACY);
  pki = makePki();
  writeFileSync(join(dir, 'ca.pem'), pki.caCert);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});
afterEach(async () => {
  await proxy?.close();
  await ep?.close();
  ep = proxy = undefined;
});

function python(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const base = { ...process.env };
    // The CA bundle variables would override pywinrm's ca_trust_path (requests' trust_env).
    for (const k of ['REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE']) delete base[k];
    const child = spawn(SYSTEM_PYTHON, ['-W', 'ignore', '-c', script], {
      env: { ...base, OPENSSL_CONF: join(dir, 'openssl.cnf'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const RUN = `
import json, os, winrm
kw = dict(auth=(os.environ['WUSER'], os.environ['WPASS']), transport='ntlm')
if os.environ['URL'].startswith('https'):
    kw.update(server_cert_validation='validate', ca_trust_path=os.environ['CA'], send_cbt=os.environ.get('CBT') == '1')
else:
    kw.update(message_encryption='always')
s = winrm.Session(os.environ['URL'], **kw)
out = []
for cmd, args in json.loads(os.environ['CMDS']):
    try:
        r = s.run_cmd(cmd, args)
        out.append({'stdout': r.std_out.decode(), 'stderr': r.std_err.decode(), 'code': r.status_code})
    except Exception as e:
        out.append({'error': type(e).__name__})
print(json.dumps(out))
`;

const USERS = { alice: 'Alice-pw-1' };

describe.skipIf(!peer.ok)('pywinrm (NTLM) against the local endpoint', () => {
  test('http with message encryption: stdout, stderr and exit codes; nothing readable on the wire', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    proxy = await startTcpProxy(Number(new URL(ep.url).port));
    const cmds = [
      ['echo', ['hello', 'pywinrm-ntlm']],
      ['echo oops-text 1>&2; exit 7', []],
      ['printf', ['%s', 'x'.repeat(20000)]],
    ];
    const r = await python(RUN, { URL: `http://127.0.0.1:${proxy.port}/wsman`, WUSER: 'alice', WPASS: 'Alice-pw-1', CMDS: JSON.stringify(cmds) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { stdout: 'hello pywinrm-ntlm\n', stderr: '', code: 0 },
      { stdout: '', stderr: 'oops-text\n', code: 7 },
      { stdout: 'x'.repeat(20000), stderr: '', code: 0 },
    ]);
    expect(ep.stats.requests.Create).toBe(3);
    expect(ep.stats.openShells).toBe(0);
    // pywinrm authenticates with an empty POST, then seals every message.
    expect(ep.log.filter((l) => l.reason === 'NTLM challenge').length).toBeGreaterThanOrEqual(1);
    expect(ep.log.filter((l) => l.status === 400)).toEqual([]);
    const wire = Buffer.concat([...proxy.upstream, ...proxy.downstream]).toString('latin1');
    expect(wire).toContain('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted"');
    for (const secret of ['pywinrm-ntlm', 'oops-text', 'Envelope', 'xxxxxxxxxxxxxxxx']) expect(wire).not.toContain(secret);
  });

  test('a wrong password: pywinrm gets InvalidCredentialsError, the endpoint logs why', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'] });
    const r = await python(RUN, { URL: ep.url, WUSER: 'alice', WPASS: 'not-it', CMDS: JSON.stringify([['echo', ['x']]]) });
    expect(JSON.parse(r.stdout)).toEqual([{ error: 'InvalidCredentialsError' }]);
    expect(ep.log.some((l) => /^PSR_AUTH_REJECTED/.test(l.reason ?? ''))).toBe(true);
  });

  test('https with CbtHardeningLevel=Strict: pywinrm sending channel bindings gets in, without them it is refused', async () => {
    ep = await startEndpoint({ users: USERS, auth: ['ntlm'], tls: { cert: pki.serverCert, key: pki.serverKey }, channelBindingPolicy: 'strict' });
    const env = { URL: ep.url, WUSER: 'alice', WPASS: 'Alice-pw-1', CA: join(dir, 'ca.pem'), CMDS: JSON.stringify([['echo', ['bound']]]) };
    const ok = await python(RUN, { ...env, CBT: '1' });
    expect(JSON.parse(ok.stdout)).toEqual([{ stdout: 'bound\n', stderr: '', code: 0 }]);
    const refused = await python(RUN, { ...env, CBT: '0' });
    expect(JSON.parse(refused.stdout)).toEqual([{ error: 'InvalidCredentialsError' }]);
    expect(ep.log.at(-1)!.reason).toMatch(/^PSR_AUTH_CHANNEL_BINDING: alice sent no channel bindings/);
  });
});
