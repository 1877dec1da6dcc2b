// `psremote serve --auth negotiate --keytab FILE` and the client with `--auth
// kerberos|negotiate`, run from the built package against the throw-away MIT
// realm: password from an environment variable, a keytab, a kinit ccache;
// --debug says what Negotiate chose; a bare IP is a clear error. The password
// never appears in any output.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';

const CLI = 'dist/cli/main.js';
const PW = 'Krb-Cli-Secret-7';

describeWithPeers('CLI with Kerberos (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let server: ChildProcess | undefined;
  let url = '';
  let serverOut = '';

  beforeAll(async () => {
    expect(existsSync(CLI) && existsSync('dist/transport/http/kerberos-auth.js'), 'run `npm run build` first').toBe(true);
    realm = await startKdc();
    await realm.addUser('carol', PW);
    const keytab = await realm.addService('HTTP/localhost', { keytab: `${realm.dir}/http.keytab` });
    await realm.addService('WSMAN/localhost', { keytab });
    server = spawn(process.execPath, [CLI, 'serve', '--auth', 'negotiate', '--keytab', keytab, '--delegation-dir', realm.dir], { stdio: ['ignore', 'pipe', 'pipe'], env: realm.env });
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
    await realm?.stop();
  });

  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...realm.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

  it('exec --auth kerberos with -u user@REALM and --password-env runs a cmd command', async () => {
    const r = await cli(['exec', url, '--auth', 'kerberos', '-u', 'carol@PSREMOTE.TEST', '--password-env', 'PSR_PW', '--', 'echo', 'via-kerberos'], { PSR_PW: PW });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('via-kerberos');
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(PW);
  });

  it('invoke --auth negotiate with a kinit ccache runs PowerShell; --debug says Kerberos; --spn-service WSMAN', async () => {
    const cc = await realm.kinit('carol', { password: PW });
    const r = await cli(['invoke', url, '--auth', 'negotiate', '--ccache', cc, '--spn-service', 'WSMAN', '--debug', '-c', 'Write-Output 42']);
    expect(r.stdout).toContain('42');
    expect(r.stderr).toMatch(/debug: --auth negotiate uses Kerberos/);
    expect(r.stderr).toMatch(/SPN WSMAN\/localhost/);
    expect(r.code).toBe(0);
  });

  it('exec --auth kerberos --keytab with --delegate: the endpoint gets the TGT', async () => {
    const kt = await realm.exportKeytab('carol', `${realm.dir}/carol.keytab`);
    const r = await cli(['exec', url, '--auth', 'kerberos', '-u', 'carol@PSREMOTE.TEST', '--keytab', kt, '--delegate', '--', 'echo', 'delegated']);
    expect(r.stdout).toContain('delegated');
    expect(r.code).toBe(0);
    expect(await realm.klist(`${realm.dir}/krb5cc_carol@PSREMOTE.TEST`)).toContain('krbtgt/PSREMOTE.TEST@PSREMOTE.TEST');
  });

  it('a bare IP with --auth kerberos is a usage error naming the cause', async () => {
    const r = await cli(['exec', url.replace('localhost', '127.0.0.1'), '--auth', 'kerberos', '-u', 'carol@PSREMOTE.TEST', '--password-env', 'PSR_PW', '--', 'echo', 'x'], { PSR_PW: PW });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Kerberos needs a host name, not the IP address 127.0.0.1/);
    expect(r.stderr).not.toContain(PW);
  });

  it('a wrong password is a typed error from the KDC, without the password', async () => {
    const r = await cli(['exec', url, '--auth', 'kerberos', '-u', 'carol@PSREMOTE.TEST', '--password-env', 'PSR_PW', '--', 'echo', 'x'], { PSR_PW: 'not-the-password-1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PSR_KRB|password|pre-?auth/i);
    expect(r.stderr).not.toContain('not-the-password-1');
  });
});
