// The AS and TGS exchanges against a real MIT KDC (test/helpers/kdc.ts): a
// password (with and without required pre-authentication), a keytab, a
// ccache made by kinit, kinit writing a ccache klist reads, a forwarded TGT,
// SRV lookup and UDP; and each failure as one typed error: wrong password,
// unknown client and service, clock skew (injected `now`), a KDC that is
// down, a realm in the wrong case. Tickets are checked by decrypting them
// with the service's key from kadmin's keytab.

import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decrypt } from '../../../src/auth/kerberos/crypto/index.js';
import { parseKeytab } from '../../../src/auth/kerberos/keytab.js';
import { parseCcache } from '../../../src/auth/kerberos/ccache.js';
import { decodeEncTicketPart, decodeTicket, TKT_FLG_FORWARDED } from '../../../src/auth/kerberos/messages/index.js';
import { acquireForwardedTgt, acquireServiceTicket, kinit, type KerberosCredentialOptions, type ServiceTicket } from '../../../src/transport/kerberos/credentials.js';
import { PsRemoteError } from '../../../src/errors.js';
import { startKdc, type KdcRealm } from '../../helpers/kdc.js';
import { describeWithPeers } from '../../helpers/peers.js';

const PASSWORD = 'Corr3ct-Horse';

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PsRemoteError);
    return { code: (e as PsRemoteError).code, message: (e as Error).message };
  }
  throw new Error('expected a rejection');
}

describeWithPeers('Kerberos AS and TGS exchanges with an MIT KDC', ['mitKerberos'], () => {
  let kdc: KdcRealm;
  let serviceKeytab: string;
  let base: KerberosCredentialOptions;
  beforeAll(async () => {
    kdc = await startKdc();
    await kdc.addUser('alice', PASSWORD);
    await kdc.addUser('bob', PASSWORD);
    await kdc.kadmin('modprinc +requires_preauth bob@PSREMOTE.TEST');
    serviceKeytab = await kdc.addService('HTTP/localhost', { keytab: join(kdc.dir, 'http.keytab') });
    base = { principal: 'alice@PSREMOTE.TEST', krb5Config: kdc.krb5Conf, env: { ...kdc.env, KRB5CCNAME: `FILE:${join(kdc.dir, 'none')}` } };
  }, 60_000);
  afterAll(() => kdc?.stop());

  /** The service decrypts the ticket with its keytab key and finds the same session key and client. */
  function checkTicket(t: ServiceTicket, client = 'alice'): void {
    const ticket = decodeTicket(t.ticket);
    expect(ticket.sname.components).toEqual(['HTTP', 'localhost']);
    const key = parseKeytab(new Uint8Array(readFileSync(serviceKeytab))).entries.find((e) => e.key.enctype === ticket.encPart.etype)!.key;
    const part = decodeEncTicketPart(decrypt(key, 2, ticket.encPart.cipher));
    expect(part.cname.components).toEqual([client]);
    expect(part.key.keyvalue).toEqual(t.sessionKey.value);
    expect(t.server).toEqual({ realm: 'PSREMOTE.TEST', components: ['HTTP', 'localhost'] });
    expect(t.client).toEqual({ realm: 'PSREMOTE.TEST', components: [client] });
    expect(t.endTime.getTime()).toBeGreaterThan(Date.now());
  }

  test('a password, without pre-authentication required', async () => {
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, password: PASSWORD }));
  });

  test('a password, after PREAUTH_REQUIRED (PA-ETYPE-INFO2 salt, PA-ENC-TIMESTAMP)', async () => {
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, principal: 'bob@PSREMOTE.TEST', password: PASSWORD }), 'bob');
  });

  test.each([
    ['aes128', 17],
    ['rc4', 23],
  ] as const)('a user whose only keys are %s: PA-ENC-TIMESTAMP and the AS-REP enc-part in that enctype', async (enctype, number) => {
    const name = `only-${enctype}`;
    await kdc.addUser(name, PASSWORD, { enctypes: [enctype] });
    await kdc.kadmin(`modprinc +requires_preauth ${name}@PSREMOTE.TEST`);
    const out = join(kdc.dir, `${name}.ccache`);
    await kinit({ ...base, principal: `${name}@PSREMOTE.TEST`, password: PASSWORD, out });
    expect(await kdc.klist(out)).toMatch(/krbtgt\/PSREMOTE.TEST@PSREMOTE.TEST/);
    // The reply was decrypted with the user's key of that enctype: the wrong password cannot.
    const e = await codeOf(kinit({ ...base, principal: `${name}@PSREMOTE.TEST`, password: 'nope', out: join(kdc.dir, 'x') }));
    expect(e.code).toBe('PSR_KRB_PREAUTH_FAILED');
    expect(parseKeytab(new Uint8Array(readFileSync(await kdc.exportKeytab(name, join(kdc.dir, `${name}.keytab`))))).entries.map((k) => k.key.enctype)).toEqual([number]);
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, principal: `${name}@PSREMOTE.TEST`, ccache: out }), name);
  });

  test('a keytab made by kadmin.local', async () => {
    const keytab = await kdc.exportKeytab('bob', join(kdc.dir, 'bob.keytab'));
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, principal: 'bob@PSREMOTE.TEST', keytab }), 'bob');
  });

  test('a ccache made by MIT kinit (KRB5CCNAME)', async () => {
    const cc = await kdc.kinit('alice', { password: PASSWORD });
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, env: { ...kdc.env, KRB5CCNAME: `FILE:${cc}` } }));
  });

  test('a service ticket MIT kvno left in the ccache is used without asking the KDC', async () => {
    const cc = await kdc.kinit('alice', { password: PASSWORD });
    const { execFileSync } = await import('node:child_process');
    execFileSync('/usr/bin/kvno', ['-c', `FILE:${cc}`, 'HTTP/localhost@PSREMOTE.TEST'], { env: kdc.env });
    const inCache = parseCcache(new Uint8Array(readFileSync(cc))).credentials.find((c) => c.server.components[0] === 'HTTP')!;
    // kdc: port 1 would fail: the ticket must come from the cache.
    const t = await acquireServiceTicket('HTTP/localhost', { ...base, ccache: cc, kdc: '127.0.0.1:1', timeoutMs: 200 });
    expect(t.ticket).toEqual(inCache.ticket);
    checkTicket(t);
  });

  test('kinit writes a ccache that klist lists and that psremote then uses', async () => {
    const out = join(kdc.dir, 'psremote.ccache');
    await kinit({ ...base, principal: 'bob@PSREMOTE.TEST', password: PASSWORD, out });
    const listing = await kdc.klist(out, ['-f']);
    expect(listing).toMatch(/Default principal: bob@PSREMOTE.TEST/);
    expect(listing).toMatch(/krbtgt\/PSREMOTE.TEST@PSREMOTE.TEST/);
    expect(listing).toMatch(/Flags: F.*I/);
    expect(parseCcache(new Uint8Array(readFileSync(out))).config.map((c) => c.key)).toEqual(['pa_type']);
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, principal: 'bob@PSREMOTE.TEST', ccache: out }), 'bob');
  });

  test('a forwarded TGT for delegation', async () => {
    const t = await acquireForwardedTgt({ ...base, password: PASSWORD });
    expect(t.server.components).toEqual(['krbtgt', 'PSREMOTE.TEST']);
    expect(t.flags & TKT_FLG_FORWARDED).toBe(TKT_FLG_FORWARDED);
  });

  test('the KDC found through an injected DNS SRV resolver when krb5.conf names none', async () => {
    const conf = join(kdc.dir, 'srv.conf');
    writeFileSync(conf, '[libdefaults]\n  default_realm = PSREMOTE.TEST\n  udp_preference_limit = 1\n');
    const asked: string[] = [];
    const resolveSrv = async (name: string) => {
      asked.push(name);
      return name.startsWith('_kerberos._tcp.') ? [{ name: '127.0.0.1', port: kdc.port, priority: 0, weight: 0 }] : [];
    };
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, principal: 'alice', krb5Config: conf, resolveSrv, password: PASSWORD }));
    expect(asked).toContain('_kerberos._tcp.PSREMOTE.TEST');
  });

  test('UDP when the request is under udp_preference_limit', async () => {
    const conf = join(kdc.dir, 'udp.conf');
    writeFileSync(conf, readFileSync(kdc.krb5Conf, 'utf8').replace('udp_preference_limit = 1', 'udp_preference_limit = 4000'));
    checkTicket(await acquireServiceTicket('HTTP/localhost', { ...base, krb5Config: conf, password: PASSWORD }));
  });

  test('a wrong password is PSR_KRB_PREAUTH_FAILED, with and without pre-authentication, and the password is in no message', async () => {
    const bad = 'Wr0ng-Secret-xyz';
    for (const principal of ['alice@PSREMOTE.TEST', 'bob@PSREMOTE.TEST']) {
      const e = await codeOf(acquireServiceTicket('HTTP/localhost', { ...base, principal, password: bad }));
      expect(e.code).toBe('PSR_KRB_PREAUTH_FAILED');
      expect(e.message).toContain(principal);
      expect(e.message).not.toContain(bad);
      expect(e.message).not.toContain(PASSWORD);
    }
  });

  test('an unknown client and an unknown service are PSR_KRB_PRINCIPAL_UNKNOWN naming which', async () => {
    const c = await codeOf(acquireServiceTicket('HTTP/localhost', { ...base, principal: 'mallory@PSREMOTE.TEST', password: PASSWORD }));
    expect(c).toMatchObject({ code: 'PSR_KRB_PRINCIPAL_UNKNOWN' });
    expect(c.message).toMatch(/does not know the client mallory@PSREMOTE.TEST/);
    const s = await codeOf(acquireServiceTicket('HTTP/nowhere.localhost', { ...base, password: PASSWORD }));
    expect(s.code).toBe('PSR_KRB_PRINCIPAL_UNKNOWN');
    expect(s.message).toMatch(/does not know the service HTTP\/nowhere.localhost@PSREMOTE.TEST/);
  });

  test('clock skew is PSR_KRB_CLOCK_SKEW with the KDC time in the message', async () => {
    const skewed = () => new Date(Date.now() + 3600_000);
    const e = await codeOf(acquireServiceTicket('HTTP/localhost', { ...base, principal: 'bob@PSREMOTE.TEST', password: PASSWORD, now: skewed }));
    expect(e.code).toBe('PSR_KRB_CLOCK_SKEW');
    expect(e.message).toMatch(/the KDC of PSREMOTE.TEST says \d{4}-\d\d-\d\dT/);
    expect(e.message).toMatch(/-3[56]\d\d s; Kerberos allows 300 s/);
  });

  test('a KDC that is down is PSR_KRB_KDC_UNREACHABLE naming it', async () => {
    const e = await codeOf(acquireServiceTicket('HTTP/localhost', { ...base, password: PASSWORD, kdc: '127.0.0.1:1', timeoutMs: 2000 }));
    expect(e.code).toBe('PSR_KRB_KDC_UNREACHABLE');
    expect(e.message).toMatch(/cannot reach a KDC for realm PSREMOTE.TEST: KDC 127.0.0.1:1/);
  });

  test('a realm in the wrong case is PSR_KRB_CONFIG saying so', async () => {
    const e = await codeOf(acquireServiceTicket('HTTP/localhost', { ...base, principal: 'alice@psremote.test', password: PASSWORD }));
    expect(e.code).toBe('PSR_KRB_CONFIG');
    expect(e.message).toMatch(/realm names are case-sensitive, use alice@PSREMOTE.TEST/);
  });

  test('with the KDC given explicitly, the wrong-case realm is the KDC\'s answer, still typed', async () => {
    const e = await codeOf(acquireServiceTicket('HTTP/localhost', { ...base, principal: 'alice@psremote.test', password: PASSWORD, kdc: `127.0.0.1:${kdc.port}` }));
    expect(e.code).toMatch(/^PSR_KRB_/);
    expect(e.message).toContain('psremote.test');
  });

  test('an SPN with a bare IP address is a UsageError saying Kerberos needs a name', async () => {
    for (const spn of ['HTTP/127.0.0.1', 'HTTP/[::1]', 'HTTP/::1']) {
      const e = await codeOf(acquireServiceTicket(spn, { ...base, password: PASSWORD }));
      expect(e.code).toBe('PSR_USAGE');
      expect(e.message).toMatch(/names an IP address: Kerberos needs the server's host name/);
    }
  });

  test('no secret reaches an error: not the password, a keytab key, or a session key (message, fields, cause, JSON)', async () => {
    const keytab = await kdc.exportKeytab('bob', join(kdc.dir, 'bob-secrets.keytab'));
    const keys = parseKeytab(new Uint8Array(readFileSync(keytab))).entries.map((e) => e.key.value);
    const cc = await kdc.kinit('alice', { password: PASSWORD });
    const session = parseCcache(new Uint8Array(readFileSync(cc))).credentials[0]!.key.value;
    const secrets = [PASSWORD, 'Wr0ng-Secret-xyz', ...[...keys, session].flatMap((k) => [Buffer.from(k).toString('hex'), Buffer.from(k).toString('base64')])];
    const failures = [
      () => acquireServiceTicket('HTTP/localhost', { ...base, principal: 'bob@PSREMOTE.TEST', password: 'Wr0ng-Secret-xyz' }),
      () => acquireServiceTicket('HTTP/localhost', { ...base, password: 'Wr0ng-Secret-xyz' }),
      () => acquireServiceTicket('HTTP/localhost', { ...base, principal: 'bob@PSREMOTE.TEST', keytab, now: () => new Date(Date.now() + 7200_000) }),
      () => acquireServiceTicket('HTTP/nothere.localhost', { ...base, ccache: cc }),
      () => acquireServiceTicket('HTTP/localhost', { ...base, ccache: cc, now: () => new Date(Date.now() + 20 * 3600_000) }),
      () => acquireServiceTicket('HTTP/localhost', { ...base, password: PASSWORD, kdc: '127.0.0.1:1', timeoutMs: 500 }),
      () => acquireServiceTicket('HTTP/localhost', { ...base, principal: 'alice@psremote.test', password: PASSWORD }),
    ];
    for (const f of failures) {
      const e = await f().then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(PsRemoteError);
      const text = [String(e), (e as Error).stack ?? '', JSON.stringify(e), String((e as Error).cause ?? '')].join('\n');
      for (const s of secrets) expect(text).not.toContain(s);
    }
  });

  test('no credentials at all is PSR_KRB_NO_CREDENTIALS; an expired ccache TGT is PSR_KRB_TICKET_EXPIRED', async () => {
    const e = await codeOf(acquireServiceTicket('HTTP/localhost', base));
    expect(e.code).toBe('PSR_KRB_NO_CREDENTIALS');
    const cc = await kdc.kinit('alice', { password: PASSWORD });
    const late = () => new Date(Date.now() + 11 * 3600_000);
    const x = await codeOf(acquireServiceTicket('HTTP/localhost', { ...base, ccache: cc, now: late }));
    expect(x.code).toBe('PSR_KRB_TICKET_EXPIRED');
    expect(x.message).toMatch(/expired at .*psremote kinit alice@PSREMOTE.TEST/);
  });
});
