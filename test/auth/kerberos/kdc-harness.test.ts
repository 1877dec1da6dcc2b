// The MIT realm harness itself (test/helpers/kdc.ts): MIT's own kinit, kvno and
// klist against the throw-away KDC, so a failure here says the harness (not
// psremote) is broken.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startKdc, type KdcRealm } from '../../helpers/kdc.js';
import { describeWithPeers } from '../../helpers/peers.js';

function kvno(realm: KdcRealm, ccache: string, spn: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/kvno', ['-c', `FILE:${ccache}`, spn], { env: realm.env, encoding: 'utf8' }, (err, out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
    );
  });
}

describeWithPeers('MIT KDC harness', ['mitKerberos'], () => {
  let realm: KdcRealm;
  beforeAll(async () => {
    realm = await startKdc();
  });
  afterAll(async () => {
    await realm?.stop();
  });

  it('kinit with a password gets a TGT for the user', async () => {
    const user = await realm.addUser('alice', 'Secret-1');
    expect(user).toBe('alice@PSREMOTE.TEST');
    const cc = await realm.kinit('alice', { password: 'Secret-1' });
    const list = await realm.klist(cc);
    expect(list).toContain('Default principal: alice@PSREMOTE.TEST');
    expect(list).toContain('krbtgt/PSREMOTE.TEST@PSREMOTE.TEST');
  });

  it('a wrong password is refused by the KDC', async () => {
    await expect(realm.kinit('alice', { password: 'wrong' })).rejects.toThrow(/Password incorrect|preauthentication failed/i);
  });

  it.each([
    ['aes256', 'aes256-cts-hmac-sha1-96'],
    ['aes128', 'aes128-cts-hmac-sha1-96'],
    ['rc4', 'arcfour-hmac'],
  ] as const)('a service with only %s keys gets %s tickets and session keys', async (enctype, mitName) => {
    const spn = `HTTP/${enctype}.localhost`;
    const keytab = await realm.addService(spn, { enctypes: [enctype], keytab: `${realm.dir}/${enctype}.keytab` });
    const cc = await realm.kinit('alice', { password: 'Secret-1' });
    await kvno(realm, cc, spn);
    const list = await realm.klist(cc);
    const line = list.split('\n').findIndex((l) => l.includes(`${spn}@PSREMOTE.TEST`));
    expect(line).toBeGreaterThan(0);
    // klist prefixes RC4 with DEPRECATED:
    expect(list.split('\n')[line + 1]).toMatch(new RegExp(`Etype \\(skey, tkt\\): (DEPRECATED:)?${mitName}, (DEPRECATED:)?${mitName}`));
    const kt = await new Promise<string>((resolve, reject) =>
      execFile('/usr/bin/klist', ['-k', '-e', keytab], { env: realm.env, encoding: 'utf8' }, (e, o) => (e ? reject(e) : resolve(o))),
    );
    expect(kt).toMatch(new RegExp(`${spn}@PSREMOTE.TEST \\((DEPRECATED:)?${mitName}\\)`));
  });

  it('kinit from a keytab works for a service principal on localhost', async () => {
    const keytab = await realm.addService(`HTTP/${realm.host}`);
    const cc = await realm.kinit(`HTTP/${realm.host}`, { keytab });
    expect(await realm.klist(cc)).toContain(`Default principal: HTTP/localhost@PSREMOTE.TEST`);
  });
});
