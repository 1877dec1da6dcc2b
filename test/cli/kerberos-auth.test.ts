// `psremote serve --auth negotiate --keytab FILE` and the client with `--auth
// kerberos|negotiate`, run from the built package against the throw-away MIT
// realm: password from an environment variable, a keytab, a kinit ccache;
// --debug says what Negotiate chose; a bare IP is a clear error. The password
// never appears in any output.

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, spawnCli, startServe, type Serve } from '../helpers/cli.js';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';

const PW = 'Krb-Cli-Secret-7';

describeWithPeers('CLI with Kerberos (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let server: Serve | undefined;
  let url = '';

  beforeAll(async () => {
    expect(existsSync(CLI) && existsSync('dist/transport/http/kerberos-auth.js'), 'run `npm run build` first').toBe(true);
    realm = await startKdc();
    await realm.addUser('carol', PW);
    const keytab = await realm.addService('HTTP/localhost', { keytab: `${realm.dir}/http.keytab` });
    await realm.addService('WSMAN/localhost', { keytab });
    server = await startServe(['--auth', 'negotiate', '--keytab', keytab, '--delegation-dir', realm.dir], { env: realm.env, timeoutMs: 20_000 });
    url = server.url.replace('127.0.0.1', 'localhost');
  }, 120_000);
  afterAll(async () => {
    server?.stop();
    await realm?.stop();
  });

  const cli = (args: string[], env: Record<string, string> = {}) => spawnCli(args, { env: { ...realm.env, ...env }, timeoutMs: 25_000 });

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
