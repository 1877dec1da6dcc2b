// Records real MIT KDC exchanges into fixtures/kerberos/mit/ (run by hand:
// `npx tsx test/auth/kerberos/record-mit-kdc.ts`): an AS exchange with
// PREAUTH_REQUIRED then PA-ENC-TIMESTAMP, a TGS exchange for HTTP/localhost,
// a wrong password (PREAUTH_FAILED), an unknown client, and the keytab of
// the service, so mit-recordings.test.ts can check them without a KDC.

import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsExchange, TgsExchange, type KdcStep } from '../../../src/auth/kerberos/kdc-exchange.js';
import { parseKrb5Conf } from '../../../src/auth/kerberos/krb5-conf.js';
import { kdcSender } from '../../../src/transport/kerberos/kdc-client.js';
import { startKdc } from '../../helpers/kdc.js';

const OUT = 'fixtures/kerberos/mit';
mkdirSync(OUT, { recursive: true });
const kdc = await startKdc();
try {
  await kdc.addUser('alice', 'Corr3ct-Horse');
  await kdc.kadmin('modprinc +requires_preauth alice@PSREMOTE.TEST');
  const keytab = await kdc.addService('HTTP/localhost', { keytab: join(kdc.dir, 'http.keytab') });
  copyFileSync(keytab, join(OUT, 'http-localhost.keytab'));
  const send = kdcSender({ conf: parseKrb5Conf('[libdefaults]\n  udp_preference_limit = 1\n'), kdc: `127.0.0.1:${kdc.port}` });
  const now = () => new Date();
  let n = 0x1000;
  const nonce = () => ++n;
  const record = async (name: string, ex: { start(): KdcStep; receive(r: Uint8Array): KdcStep }) => {
    let step = ex.start();
    for (let i = 1; step.kind === 'send'; i++) {
      writeFileSync(join(OUT, `${name}-${i}-request.der`), step.request);
      const reply = await send(step.realm, step.request);
      writeFileSync(join(OUT, `${name}-${i}-reply.der`), reply);
      try {
        step = ex.receive(reply);
      } catch (e) {
        console.log(`${name}: ${(e as Error).message}`);
        return undefined;
      }
    }
    return step.credential;
  };
  const client = { realm: 'PSREMOTE.TEST', components: ['alice'] };
  const tgt = await record('as', new AsExchange({ client, secret: { password: 'Corr3ct-Horse' }, now, nonce }));
  await record('tgs', new TgsExchange({ tgt: tgt!, server: { realm: 'PSREMOTE.TEST', components: ['HTTP', 'localhost'] }, now, nonce }));
  await record('as-wrong-password', new AsExchange({ client, secret: { password: 'wrong' }, now, nonce }));
  await record('as-unknown-client', new AsExchange({ client: { realm: 'PSREMOTE.TEST', components: ['mallory'] }, secret: { password: 'x' }, now, nonce }));
  writeFileSync(join(OUT, 'tgt-session-key.hex'), Buffer.from(tgt!.sessionKey.value).toString('hex') + '\n');
  console.log(`recorded into ${OUT}`);
} finally {
  await kdc.stop();
}
