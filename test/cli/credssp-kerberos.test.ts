// `psremote serve --auth credssp --keytab` and `--auth credssp -u
// user@REALM` on the client, run from the built package against the
// throw-away MIT realm: Kerberos inside CredSSP (--debug says so), cmd and
// PowerShell over http, the server naming the Kerberos principal that
// delegated (never the password); and a -u without a realm uses NTLM inside,
// which a keytab-only endpoint refuses (non-zero exit, STATUS_LOGON_FAILURE).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const CLI = 'dist/cli/main.js';
const PW = 'Cli-Krb-CredSSP-5';

describeWithPeers('psremote --auth credssp with Kerberos inside (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let pki: Pki;
  let dir: string;
  let server: ChildProcess | undefined;
  let url = '';
  let serverOut = '';

  beforeAll(async () => {
    expect(existsSync(CLI) && existsSync('dist/auth/credssp/inner.js'), 'run `npm run build` first').toBe(true);
    realm = await startKdc();
    await realm.addUser('dave', PW);
    const keytab = await realm.addService('HTTP/localhost', { keytab: `${realm.dir}/http.keytab` });
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'psremote-cli-credssp-krb-'));
    writeFileSync(join(dir, 'cert.pem'), pki.serverCert);
    writeFileSync(join(dir, 'key.pem'), pki.serverKey);
    server = spawn(process.execPath, [CLI, 'serve', '--auth', 'credssp', '--keytab', keytab, '--credssp-tls', `${join(dir, 'cert.pem')},${join(dir, 'key.pem')}`], { stdio: ['ignore', 'pipe', 'pipe'], env: realm.env });
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${serverOut}`)), 20_000);
      server!.stdout!.on('data', (d: Buffer) => {
        serverOut += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/wsman)\n.*\n/.exec(serverOut);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!.replace('127.0.0.1', 'localhost'));
        }
      });
      server!.stderr!.on('data', (d: Buffer) => (serverOut += d.toString()));
    });
  }, 120_000);
  afterAll(async () => {
    server?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    pki?.cleanup();
    await realm?.stop();
  });

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...realm.env, PSR_PW: PW, KRB5CCNAME: `FILE:${realm.dir}/none.cc` }, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
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
  const flags = () => ['--auth', 'credssp', '-u', 'dave@PSREMOTE.TEST', '--password-env', 'PSR_PW', '--krb5-config', realm.krb5Conf];

  it('exec and invoke: Kerberos inside, the principal delegated its password', async () => {
    const r = await cli(['exec', url, ...flags(), '--debug', '--', 'echo', 'krb-inside']);
    expect(r.stderr).toMatch(/debug: --auth credssp uses Kerberos inside \(realm PSREMOTE\.TEST is configured\)/);
    expect(r.stderr).toMatch(/debug: credssp: Kerberos inside SPNEGO, SPN HTTP\/localhost/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('krb-inside\n');
    expect(serverOut).toMatch(/credssp: dave@PSREMOTE\.TEST delegated credentials for dave@PSREMOTE\.TEST\n/);
    const p = await cli(['invoke', url, ...flags(), '-c', '$PSSenderInfo.UserName', '--json']);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('"dave@PSREMOTE.TEST"\n');
    expect(serverOut + r.stderr + p.stderr).not.toContain(PW);
  });

  it('-u without a realm: NTLM inside, refused by the keytab-only endpoint', async () => {
    const r = await cli(['exec', url, '--auth', 'credssp', '-u', 'dave', '--password-env', 'PSR_PW', '--debug', '--', 'echo', 'x']);
    expect(r.stderr).toMatch(/debug: --auth credssp uses NTLM inside/);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/STATUS_LOGON_FAILURE/);
    expect(r.stderr).not.toContain(PW);
  });
});
