// `psremote kinit` and `psremote klist` from the built CLI against a real MIT
// KDC: the ccache kinit writes is listed by MIT's klist and by psremote's;
// a wrong password is one line with its code and without the password.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLI, spawnCli } from '../helpers/cli.js';
import { startKdc, type KdcRealm } from '../helpers/kdc.js';
import { describeWithPeers } from '../helpers/peers.js';

const cli = (args: string[], env: NodeJS.ProcessEnv) => spawnCli(args, { env });

describeWithPeers('psremote kinit and klist', ['mitKerberos'], () => {
  let kdc: KdcRealm;
  beforeAll(async () => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    expect(existsSync(CLI)).toBe(true);
    kdc = await startKdc();
    await kdc.addUser('carol', 'Pa55-word');
    await kdc.kadmin('modprinc +requires_preauth carol@PSREMOTE.TEST');
  }, 180_000);
  afterAll(() => kdc?.stop());

  test('kinit with --password-env writes the ccache at KRB5CCNAME; MIT klist and psremote klist list it', async () => {
    const cc = join(kdc.dir, 'cli.ccache');
    const env = { ...kdc.env, KRB5CCNAME: `FILE:${cc}`, CAROL_PW: 'Pa55-word' };
    const r = await cli(['kinit', 'carol@PSREMOTE.TEST', '--password-env', 'CAROL_PW'], env);
    expect(r.stderr).toContain(`ticket for carol@PSREMOTE.TEST stored in ${cc}`);
    expect(r.code).toBe(0);
    expect(await kdc.klist(cc)).toMatch(/Default principal: carol@PSREMOTE.TEST[\s\S]*krbtgt\/PSREMOTE.TEST@PSREMOTE.TEST/);
    const l = await cli(['klist'], env);
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(/Default principal: carol@PSREMOTE.TEST/);
    expect(l.stdout).toMatch(/krbtgt\/PSREMOTE.TEST@PSREMOTE.TEST\n {2}valid \S+ to \S+, renew until|krbtgt\/PSREMOTE.TEST@PSREMOTE.TEST\n {2}valid \S+ to \S+\n/);
    const j = JSON.parse((await cli(['klist', '--json'], env)).stdout) as { tickets: { server: string; expired: boolean; flags: string[] }[] };
    expect(j.tickets[0]).toMatchObject({ server: 'krbtgt/PSREMOTE.TEST@PSREMOTE.TEST', expired: false });
    expect(j.tickets[0]!.flags).toContain('forwardable');
    expect(j.tickets[0]!.flags).toContain('pre-authent');
  });

  test('a wrong password exits 1 with one line naming the code, never the password', async () => {
    const env = { ...kdc.env, KRB5CCNAME: `FILE:${join(kdc.dir, 'bad.ccache')}`, CAROL_PW: 'n0t-the-Pa55' };
    const r = await cli(['kinit', 'carol', '--password-env', 'CAROL_PW'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^psremote: the password or key for carol@PSREMOTE.TEST is wrong .*\(PSR_KRB_PREAUTH_FAILED\)\n$/);
    expect(r.stderr).not.toContain('n0t-the-Pa55');
    expect(existsSync(join(kdc.dir, 'bad.ccache'))).toBe(false);
  });

  test('klist without a cache says where it looked and exits 1', async () => {
    const r = await cli(['klist', '--ccache', join(kdc.dir, 'missing')], kdc.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`no credentials cache at ${join(kdc.dir, 'missing')}`);
  });
});
