// Fuzz target: the GSS-API Kerberos token parsers (src/auth/kerberos/gss):
// the RFC 1964 framing, AP-REQ/Authenticator/EncTicketPart (messages/'s, as
// the acceptor uses them), AP-REP/EncAPRepPart/KRB-CRED/EncKrbCredPart,
// the 0x8003 checksum, CFX and RC4 wrap and MIC tokens under fixed keys, and
// a whole acceptor (SPNEGO or raw) with a fixed service key and clock.
import { PsRemoteError } from '../../src/errors.js';
import { KerberosAcceptor, ReplayCache } from '../../src/auth/kerberos/gss/acceptor.js';
import { decodeGssChecksum } from '../../src/auth/kerberos/gss/checksum.js';
import { unwrapCfx, verifyMicCfx, wrapCfx } from '../../src/auth/kerberos/gss/cfx.js';
import { unwrapRc4, verifyMicRc4, wrapRc4 } from '../../src/auth/kerberos/gss/rc4.js';
import { KerberosInitiator } from '../../src/auth/kerberos/gss/initiator.js';
import { decodeApRep, decodeEncApRepPart, decodeEncKrbCredPart, decodeKrbCred, unframeToken } from '../../src/auth/kerberos/gss/messages.js';
import { decodeApReq, decodeAuthenticator, decodeEncTicketPart, encodeEncTicketPart, encodeTicket } from '../../src/auth/kerberos/messages/index.js';
import { encrypt, type KerberosKey } from '../../src/auth/kerberos/crypto/index.js';
import { SpnegoKerberosAcceptor, SpnegoKerberosInitiator } from '../../src/auth/spnego/kerberos.js';

const AES: KerberosKey = { enctype: 18, value: new Uint8Array(32).fill(7) };
const RC4: KerberosKey = { enctype: 23, value: new Uint8Array(16).fill(9) };
const SERVICE: KerberosKey = { enctype: 18, value: new Uint8Array(32).fill(3) };
const SESSION: KerberosKey = { enctype: 18, value: new Uint8Array(32).fill(5) };
const NOW = new Date('2026-01-01T00:00:00Z');
const dir = { fromAcceptor: true, acceptorSubkey: true };

/** A ticket for HTTP/host@R encrypted in SERVICE, for alice@R, with SESSION (messages/ encoders, as a KDC writes it). */
function serviceTicket(service: KerberosKey, session: KerberosKey, start: Date): Uint8Array {
  const enc = encodeEncTicketPart({
    flags: 0x40000000,
    key: { keytype: session.enctype, keyvalue: session.value },
    crealm: 'R',
    cname: { nameType: 1, components: ['alice'] },
    transited: { trType: 1, contents: new Uint8Array(0) },
    authTime: start,
    endTime: new Date(start.getTime() + 3600_000),
  });
  return encodeTicket({ realm: 'R', sname: { nameType: 2, components: ['HTTP', 'host'] }, encPart: { etype: service.enctype, kvno: 2, cipher: encrypt(service, 2, enc) } });
}

const ticket = (): Uint8Array => serviceTicket(SERVICE, SESSION, NOW);

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
      (b) => decodeApRep(b),
      (b) => decodeEncApRepPart(b),
      (b) => decodeKrbCred(b),
      (b) => decodeEncKrbCredPart(b),
      (b) => decodeEncTicketPart(b),
      (b) => decodeApReq(b),
      (b) => decodeAuthenticator(b),
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
