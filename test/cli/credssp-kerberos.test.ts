// `psremote serve --auth credssp --keytab` and `--auth credssp -u
// user@REALM` on the client, run from the built package against the
// throw-away MIT realm: Kerberos inside CredSSP (--debug says so), cmd and
// PowerShell over http, the server naming the Kerberos principal that
// delegated (never the password); and a -u without a realm uses NTLM inside,
// which a keytab-only endpoint refuses (non-zero exit, STATUS_LOGON_FAILURE).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';
import { CLI, runCli, startServe, type ServeProcess } from '../helpers/replay-cli.js';
import { makePki, type Pki } from '../transport/http/pki.js';

const PW = 'Cli-Krb-CredSSP-5';

describeWithPeers('psremote --auth credssp with Kerberos inside (MIT realm)', ['mitKerberos'], () => {
  let realm: KdcRealm;
  let pki: Pki;
  let dir: string;
  let server: ServeProcess | undefined;
  let url = '';

  beforeAll(async () => {
    expect(existsSync(CLI) && existsSync('dist/auth/credssp/inner.js'), 'run `npm run build` first').toBe(true);
    realm = await startKdc();
    await realm.addUser('dave', PW);
    const keytab = await realm.addService('HTTP/localhost', { keytab: `${realm.dir}/http.keytab` });
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'psremote-cli-credssp-krb-'));
    writeFileSync(join(dir, 'cert.pem'), pki.serverCert);
    writeFileSync(join(dir, 'key.pem'), pki.serverKey);
    server = await startServe(['--auth', 'credssp', '--keytab', keytab, '--credssp-tls', `${join(dir, 'cert.pem')},${join(dir, 'key.pem')}`]);
    url = server.url.replace('127.0.0.1', 'localhost');
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    pki?.cleanup();
    await realm?.stop();
  });

  // No ccache: the tickets come from the KDC with the password.
  const cli = (args: string[]) => runCli(args, { env: { ...realm.env, PSR_PW: PW, KRB5CCNAME: `FILE:${realm.dir}/none.cc` }, timeoutMs: 30_000 });
  const flags = () => ['--auth', 'credssp', '-u', 'dave@PSREMOTE.TEST', '--password-env', 'PSR_PW', '--krb5-config', realm.krb5Conf];

  it('exec and invoke: Kerberos inside, the principal delegated its password', async () => {
    const r = await cli(['exec', url, ...flags(), '--debug', '--', 'echo', 'krb-inside']);
    expect(r.stderr).toMatch(/debug: --auth credssp uses Kerberos inside \(realm PSREMOTE\.TEST is configured\)/);
    expect(r.stderr).toMatch(/debug: credssp: Kerberos inside SPNEGO, SPN HTTP\/localhost/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('krb-inside\n');
    expect(server!.stderr()).toMatch(/credssp: dave@PSREMOTE\.TEST delegated credentials for dave@PSREMOTE\.TEST\n/);
    const p = await cli(['invoke', url, ...flags(), '-c', '$PSSenderInfo.UserName', '--json']);
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('"dave@PSREMOTE.TEST"\n');
    expect(server!.stderr() + r.stderr + p.stderr).not.toContain(PW);
  });

  it('-u without a realm: NTLM inside, refused by the keytab-only endpoint', async () => {
    const r = await cli(['exec', url, '--auth', 'credssp', '-u', 'dave', '--password-env', 'PSR_PW', '--debug', '--', 'echo', 'x']);
    expect(r.stderr).toMatch(/debug: --auth credssp uses NTLM inside/);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/STATUS_LOGON_FAILURE/);
    expect(r.stderr).not.toContain(PW);
  });
});
