// Fuzz target: the GSS-API Kerberos token parsers (src/auth/kerberos/gss):
// the RFC 1964 framing, AP-REQ/AP-REP/EncAPRepPart/KRB-CRED/EncKrbCredPart,
// the 0x8003 checksum, CFX and RC4 wrap and MIC tokens under fixed keys, and
// a whole acceptor (SPNEGO or raw) with a fixed service key and clock.
import { PsRemoteError } from '../../src/errors.js';
import { KerberosAcceptor, ReplayCache } from '../../src/auth/kerberos/gss/acceptor.js';
import { decodeGssChecksum } from '../../src/auth/kerberos/gss/checksum.js';
import { unwrapCfx, verifyMicCfx, wrapCfx } from '../../src/auth/kerberos/gss/cfx.js';
import { unwrapRc4, verifyMicRc4, wrapRc4 } from '../../src/auth/kerberos/gss/rc4.js';
import { KerberosInitiator } from '../../src/auth/kerberos/gss/initiator.js';
import { decodeApRep, decodeEncApRepPart, decodeEncKrbCredPart, decodeKrbCred, decodeEncTicketPart, unframeToken } from '../../src/auth/kerberos/gss/messages.js';
import { encrypt, type KerberosKey } from '../../src/auth/kerberos/crypto/index.js';
import { SpnegoKerberosAcceptor, SpnegoKerberosInitiator } from '../../src/auth/spnego/kerberos.js';
import { app, encEncryptedData, encEncryptionKey, encInt, encPrincipal, encString, encTime, field, seq } from '../../src/auth/kerberos/gss/asn1.js';
import { TAG_BIT_STRING, tlv } from '../../src/auth/spnego/der.js';

const AES: KerberosKey = { enctype: 18, value: new Uint8Array(32).fill(7) };
const RC4: KerberosKey = { enctype: 23, value: new Uint8Array(16).fill(9) };
const SERVICE: KerberosKey = { enctype: 18, value: new Uint8Array(32).fill(3) };
const SESSION: KerberosKey = { enctype: 18, value: new Uint8Array(32).fill(5) };
const NOW = new Date('2026-01-01T00:00:00Z');
const dir = { fromAcceptor: true, acceptorSubkey: true };

/** A ticket for HTTP/host@R encrypted in SERVICE, for alice@R, with SESSION. */
function ticket(): Uint8Array {
  const enc = app(
    3,
    field(0, tlv(TAG_BIT_STRING, Uint8Array.of(0, 0x40, 0, 0, 0))),
    field(1, encEncryptionKey({ keytype: 18, keyvalue: SESSION.value })),
    field(2, encString('R')),
    field(3, encPrincipal({ nameType: 1, components: ['alice'] })),
    field(4, seq(field(0, encInt(1)), field(1, tlv(0x04, new Uint8Array(0))))),
    field(5, encTime(NOW)),
    field(7, encTime(new Date(NOW.getTime() + 3600_000))),
  );
  return app(1, field(0, encInt(5)), field(1, encString('R')), field(2, encPrincipal({ nameType: 2, components: ['HTTP', 'host'] })), field(3, encEncryptedData({ etype: 18, kvno: 2, cipher: encrypt(SERVICE, 2, enc, new Uint8Array(16)) })));
}

const random = (n: number) => new Uint8Array(n).fill(1);
function apReq(spnego: boolean): Uint8Array {
  const init = new KerberosInitiator({ ticket: { ticket: ticket(), sessionKey: SESSION, client: { realm: 'R', components: ['alice'] } }, now: () => NOW, random });
  return spnego ? new SpnegoKerberosInitiator(init).initial() : init.initial();
}

export default {
  name: 'krb-gss-tokens',
  seeds: (): Uint8Array[] => [apReq(false), apReq(true), wrapCfx(AES, dir, 5n, new Uint8Array(40).fill(65)), wrapRc4(RC4, true, 5, new Uint8Array(20).fill(66), new Uint8Array(8))],
  run(input: Uint8Array): void {
    const parsers: ((b: Uint8Array) => unknown)[] = [
      (b) => unframeToken(b, 'fuzz'),
      (b) => decodeApRep(b, 'fuzz'),
      (b) => decodeEncApRepPart(b, 'fuzz'),
      (b) => decodeKrbCred(b, 'fuzz'),
      (b) => decodeEncKrbCredPart(b, 'fuzz'),
      (b) => decodeEncTicketPart(b, 'fuzz'),
      (b) => decodeGssChecksum(b),
      (b) => unwrapCfx(AES, dir, b),
      (b) => verifyMicCfx(AES, dir, new Uint8Array(3), b),
      (b) => unwrapRc4(RC4, true, b),
      (b) => verifyMicRc4(RC4, true, new Uint8Array(3), b),
      (b) => new KerberosAcceptor({ keys: [{ principal: { realm: 'R', components: ['HTTP', 'host'] }, kvno: 2, key: SERVICE }], now: () => NOW, replayCache: new ReplayCache(), random }).accept(b),
      (b) => new SpnegoKerberosAcceptor(new KerberosAcceptor({ keys: [{ principal: { realm: 'R', components: ['HTTP', 'host'] }, kvno: 2, key: SERVICE }], now: () => NOW, replayCache: new ReplayCache(), random })).accept(b),
    ];
    for (const parse of parsers) {
      try {
        parse(input);
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
      }
    }
  },
};
