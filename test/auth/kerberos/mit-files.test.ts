// Keytabs and ccaches against MIT Kerberos itself: files made by kadmin.local
// (ktadd) and kinit are parsed; what psremote writes is read by klist; keys
// exported from a password principal equal stringToKey of that password with
// MIT's default salt (realm + name components), for all three enctypes.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseCcache, serializeCcache } from '../../../src/auth/kerberos/ccache.js';
import { decrypt, stringToKey } from '../../../src/auth/kerberos/crypto/index.js';
import { parseKeytab, serializeKeytab } from '../../../src/auth/kerberos/keytab.js';
import { decodeEncTicketPart, decodeTicket } from '../../../src/auth/kerberos/messages/index.js';
import { startKdc, type KdcRealm } from '../../helpers/kdc.js';
import { describeWithPeers } from '../../helpers/peers.js';
import { RemoteProtocolError } from '../../../src/errors.js';

describeWithPeers('keytab and ccache files with MIT Kerberos', ['mitKerberos'], () => {
  let kdc: KdcRealm;
  beforeAll(async () => {
    kdc = await startKdc();
    await kdc.addUser('alice', 'Secret-1');
  }, 60_000);
  afterAll(() => kdc?.stop());

  test('a keytab from kadmin.local ktadd parses; its keys are stringToKey of the password with the default salt', async () => {
    const path = await kdc.exportKeytab('alice', join(kdc.dir, 'alice.keytab'));
    const bytes = new Uint8Array(readFileSync(path));
    const kt = parseKeytab(bytes);
    expect(kt.skipped).toEqual([]);
    expect(kt.entries.map((e) => e.key.enctype).sort()).toEqual([17, 18, 23]);
    for (const e of kt.entries) {
      expect(e.principal).toEqual({ realm: 'PSREMOTE.TEST', components: ['alice'], nameType: 1 });
      expect(e.kvno).toBe(1);
      expect(e.key.value).toEqual(stringToKey(e.key.enctype, 'Secret-1', 'PSREMOTE.TESTalice').value);
    }
    // psremote writes the same bytes MIT wrote.
    expect(serializeKeytab(kt.entries)).toEqual(bytes);
  });

  test('a keytab psremote writes is listed by klist -k and used by kinit -k', async () => {
    const entries = [18, 17, 23].map((enctype) => ({
      principal: { realm: 'PSREMOTE.TEST', components: ['alice'] },
      kvno: 1,
      key: stringToKey(enctype as 17 | 18 | 23, 'Secret-1', 'PSREMOTE.TESTalice'),
      timestamp: new Date('2026-12-01T00:00:00Z'),
    }));
    const path = join(kdc.dir, 'written.keytab');
    writeFileSync(path, serializeKeytab(entries));
    const listing = execFileSync('/usr/bin/klist', ['-k', '-e', '-t', path], { env: kdc.env, encoding: 'utf8' });
    expect(listing).toMatch(/1 \S+ \S+ alice@PSREMOTE.TEST \(aes256-cts-hmac-sha1-96\)/);
    expect(listing).toMatch(/alice@PSREMOTE.TEST \(aes128-cts-hmac-sha1-96\)/);
    expect(listing).toMatch(/alice@PSREMOTE.TEST \(DEPRECATED:arcfour-hmac\)|alice@PSREMOTE.TEST \(arcfour-hmac\)/);
    const cc = await kdc.kinit('alice', { keytab: path });
    expect(await kdc.klist(cc)).toMatch(/krbtgt\/PSREMOTE.TEST@PSREMOTE.TEST/);
  });

  test('a ccache from kinit parses: default principal, the TGT with its key, times and flags, and MIT config entries', async () => {
    const cc = await kdc.kinit('alice', { password: 'Secret-1' });
    const bytes = new Uint8Array(readFileSync(cc));
    const c = parseCcache(bytes);
    expect(c.defaultPrincipal).toEqual({ nameType: 1, realm: 'PSREMOTE.TEST', components: ['alice'] });
    expect(c.credentials).toHaveLength(1);
    const tgt = c.credentials[0]!;
    expect(tgt.server.components).toEqual(['krbtgt', 'PSREMOTE.TEST']);
    expect(tgt.key.enctype).toBe(18);
    expect(tgt.endTime.getTime()).toBeGreaterThan(Date.now());
    expect(tgt.flags & 0x00400000).toBe(0x00400000); // initial
    const ticket = decodeTicket(tgt.ticket);
    expect(ticket.sname.components).toEqual(['krbtgt', 'PSREMOTE.TEST']);
    // The KDC's own key decrypts the ticket: export krbtgt's key and read EncTicketPart.
    const kt = parseKeytab(new Uint8Array(readFileSync(await kdc.exportKeytab('krbtgt/PSREMOTE.TEST', join(kdc.dir, 'krbtgt.keytab')))));
    const tgsKey = kt.entries.find((e) => e.key.enctype === ticket.encPart.etype)!.key;
    const part = decodeEncTicketPart(decrypt(tgsKey, 2, ticket.encPart.cipher));
    expect(part.cname.components).toEqual(['alice']);
    expect(part.key.keyvalue).toEqual(tgt.key.value);
    // MIT 1.20 kinit notes that the KDC offers FAST (pa_type too when pre-authentication was used).
    expect(c.config.map((e) => e.key)).toContain('fast_avail');
    expect(c.config.find((e) => e.key === 'fast_avail')!.principal).toBe('krbtgt/PSREMOTE.TEST@PSREMOTE.TEST');
    // Round trip to the same bytes.
    expect(serializeCcache(c)).toEqual(bytes);
  });

  test('a ccache psremote writes is listed by klist', async () => {
    const c = parseCcache(new Uint8Array(readFileSync(await kdc.kinit('alice', { password: 'Secret-1' }))));
    const path = join(kdc.dir, 'written.ccache');
    writeFileSync(path, serializeCcache({ ...c, config: [] }));
    const listing = await kdc.klist(path);
    expect(listing).toMatch(/Default principal: alice@PSREMOTE.TEST/);
    expect(listing).toMatch(/krbtgt\/PSREMOTE.TEST@PSREMOTE.TEST/);
    expect(listing).toMatch(/Etype \(skey, tkt\): aes256-cts-hmac-sha1-96/);
  });

  test('garbage is a typed PSR_KRB_FILE_INVALID error naming the field', () => {
    expect(() => parseKeytab(Uint8Array.of(5, 2, 0, 0, 0, 40, 0, 1))).toThrow(RemoteProtocolError);
    expect(() => parseKeytab(Uint8Array.of(5, 2, 0, 0, 0, 40, 0, 1))).toThrow(/entry at offset 2 needs 40 bytes/);
    expect(() => parseCcache(Uint8Array.of(5, 4, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff))).toThrow(/default principal components limit exceeded/);
    expect(() => parseCcache(Uint8Array.of(1, 2))).toThrow(/not an MIT ccache: version 0x102/);
  });
});
