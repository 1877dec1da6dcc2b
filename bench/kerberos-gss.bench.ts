// Kerberos GSS-API (src/auth/kerberos/gss) throughput beside NTLM's
// (bench/ntlm-seal.bench.ts): wrap + unwrap of 1 MiB for each enctype, the
// WinRM multipart/encrypted framing of an 8 KiB envelope, and a whole AP-REQ /
// AP-REP handshake in memory (ticket built here, no KDC).
import { Bench } from 'tinybench';
import { encrypt, type KerberosKey } from '../src/auth/kerberos/crypto/index.js';
import { KerberosAcceptor, ReplayCache } from '../src/auth/kerberos/gss/acceptor.js';
import { encodeEncTicketPart, encodeTicket } from '../src/auth/kerberos/messages/index.js';
import { KerberosSecurityContext } from '../src/auth/kerberos/gss/context.js';
import { KerberosInitiator } from '../src/auth/kerberos/gss/initiator.js';
import { buildEncryptedBody, unwrapEncryptedBody } from '../src/auth/winrm-encryption.js';

const MIB = 1024 * 1024;
const oneMiB = new Uint8Array(MIB).fill(0x41);
const envelope = new Uint8Array(Buffer.from(`<s:Envelope>${'x'.repeat(8 * 1024)}</s:Envelope>`));
const keys: Record<string, KerberosKey> = {
  aes256: { enctype: 18, value: new Uint8Array(32).fill(3) },
  aes128: { enctype: 17, value: new Uint8Array(16).fill(3) },
  rc4: { enctype: 23, value: new Uint8Array(16).fill(3) },
};
const pair = (key: KerberosKey) => [
  new KerberosSecurityContext({ key, initiator: true, acceptorSubkey: key.enctype !== 23, sendSeq: 1, recvSeq: 9 }),
  new KerberosSecurityContext({ key, initiator: false, acceptorSubkey: key.enctype !== 23, sendSeq: 9, recvSeq: 1 }),
] as const;

const SERVICE: KerberosKey = keys.aes256!;
const SESSION: KerberosKey = { enctype: 18, value: new Uint8Array(32).fill(5) };
const now = new Date();
const ticket = encodeTicket({
  realm: 'R',
  sname: { nameType: 2, components: ['HTTP', 'host'] },
  encPart: {
    etype: 18,
    kvno: 2,
    cipher: encrypt(SERVICE, 2, encodeEncTicketPart({ flags: 0x40000000, key: { keytype: 18, keyvalue: SESSION.value }, crealm: 'R', cname: { nameType: 1, components: ['alice'] }, transited: { trType: 1, contents: new Uint8Array(0) }, authTime: now, endTime: new Date(now.getTime() + 36e5) })),
  },
});
const cache = new ReplayCache(1e7);

const bench = new Bench({ time: 1000 });
for (const [name, key] of Object.entries(keys)) {
  const [c, s] = pair(key);
  bench.add(`${name}: wrap + unwrap 1 MiB (gss_wrap_iov layout)`, () => {
    const w = c.wrap(oneMiB);
    s.unwrap(w.sealed, w.signature);
  });
}
{
  const [c, s] = pair(keys.aes256!);
  bench.add('aes256: 8 KiB SOAP envelope, build + parse multipart/encrypted, sealed', () => {
    const { body } = buildEncryptedBody(envelope, c);
    unwrapEncryptedBody(body, s);
  });
}
bench.add('Kerberos handshake in memory (AP-REQ, acceptor decrypts ticket + authenticator, AP-REP, initiator checks it)', () => {
  const i = new KerberosInitiator({ ticket: { ticket, sessionKey: SESSION, client: { realm: 'R', components: ['alice'] } }, now: () => new Date() });
  const a = new KerberosAcceptor({ keys: [{ principal: { realm: 'R', components: ['HTTP', 'host'] }, kvno: 2, key: SERVICE }], now: () => new Date(), replayCache: cache });
  i.step(a.accept(i.initial()).token!);
});

await bench.run();
console.table(bench.table());
