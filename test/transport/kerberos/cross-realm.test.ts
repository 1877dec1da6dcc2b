// Cross-realm: two MIT KDCs (PSREMOTE.TEST and OTHER.TEST) sharing the
// cross-realm key krbtgt/OTHER.TEST@PSREMOTE.TEST; the client's krb5.conf maps
// .other.localhost to OTHER.TEST, so psremote asks its own KDC for the
// cross-realm TGT and OTHER.TEST's KDC for the service ticket.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decrypt } from '../../../src/auth/kerberos/crypto/index.js';
import { parseKeytab } from '../../../src/auth/kerberos/keytab.js';
import { decodeEncTicketPart, decodeTicket } from '../../../src/auth/kerberos/messages/index.js';
import { acquireServiceTicket } from '../../../src/transport/kerberos/credentials.js';
import { startKdc, type KdcRealm } from '../../helpers/kdc.js';
import { describeWithPeers } from '../../helpers/peers.js';

describeWithPeers('cross-realm service tickets with two MIT KDCs', ['mitKerberos'], () => {
  let home: KdcRealm;
  let other: KdcRealm;
  let conf: string;
  let keytab: string;
  beforeAll(async () => {
    home = await startKdc({ realm: 'PSREMOTE.TEST' });
    other = await startKdc({ realm: 'OTHER.TEST' });
    await home.addUser('alice', 'Corr3ct-Horse');
    // The same password and principal name give the same key (and kvno 1) in both databases.
    for (const k of [home, other]) await k.kadmin('addprinc -pw Cross-Realm-Key -e aes256-cts-hmac-sha1-96:normal krbtgt/OTHER.TEST@PSREMOTE.TEST');
    keytab = await other.addService('HTTP/web.other.localhost', { keytab: join(other.dir, 'web.keytab') });
    conf = join(home.dir, 'two-realms.conf');
    writeFileSync(
      conf,
      [
        '[libdefaults]',
        '  default_realm = PSREMOTE.TEST',
        '  dns_lookup_kdc = false',
        '  udp_preference_limit = 1',
        '[realms]',
        `  PSREMOTE.TEST = {\n    kdc = 127.0.0.1:${home.port}\n  }`,
        `  OTHER.TEST = {\n    kdc = 127.0.0.1:${other.port}\n  }`,
        '[domain_realm]',
        '  .other.localhost = OTHER.TEST',
        '',
      ].join('\n'),
    );
  }, 90_000);
  afterAll(async () => {
    await home?.stop();
    await other?.stop();
  });

  test('a ticket for HTTP/web.other.localhost@OTHER.TEST through the cross-realm TGT', async () => {
    const t = await acquireServiceTicket('HTTP/web.other.localhost', { principal: 'alice@PSREMOTE.TEST', password: 'Corr3ct-Horse', krb5Config: conf, env: { KRB5CCNAME: join(home.dir, 'none') } });
    expect(t.server).toEqual({ realm: 'OTHER.TEST', components: ['HTTP', 'web.other.localhost'] });
    expect(t.client).toEqual({ realm: 'PSREMOTE.TEST', components: ['alice'] });
    const ticket = decodeTicket(t.ticket);
    expect(ticket.realm).toBe('OTHER.TEST');
    const key = parseKeytab(new Uint8Array(readFileSync(keytab))).entries.find((e) => e.key.enctype === ticket.encPart.etype)!.key;
    const part = decodeEncTicketPart(decrypt(key, 2, ticket.encPart.cipher));
    expect(part.crealm).toBe('PSREMOTE.TEST');
    expect(part.key.keyvalue).toEqual(t.sessionKey.value);
    // A direct trust crosses no intermediate realm, so transited is empty (RFC 4120 3.3.3.2).
    expect(new TextDecoder().decode(part.transited.contents)).toBe('');
  });
});
