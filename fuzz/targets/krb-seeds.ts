// Valid Kerberos messages to start the Kerberos fuzz targets from: made by
// psremote's own encoders, plus the real MIT KDC recordings in
// fixtures/kerberos/mit/ (see fixtures/kerberos/README.md).

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encrypt } from '../../src/auth/kerberos/crypto/index.js';
import {
  buildApReq,
  encodeAuthenticator,
  encodeEncTicketPart,
  encodeEtypeInfo2,
  encodeKdcReq,
  encodeKrbError,
  encodePaData,
  encodeTicket,
} from '../../src/auth/kerberos/messages/index.js';
import { tlv } from '../../src/auth/spnego/der.js';

const t0 = new Date('2026-12-01T22:15:07Z');
const sname = { nameType: 2, components: ['krbtgt', 'EXAMPLE.COM'] };
const cname = { nameType: 1, components: ['alice'] };
const key = { enctype: 18 as const, value: new Uint8Array(32).fill(3) };

export const seedTicket = (): Uint8Array => encodeTicket({ realm: 'EXAMPLE.COM', sname, encPart: { etype: 18, kvno: 2, cipher: new Uint8Array(40).fill(7) } });
export const seedEncTicketPart = (): Uint8Array =>
  encodeEncTicketPart({
    flags: 0x40e00000,
    key: { keytype: 18, keyvalue: key.value },
    crealm: 'EXAMPLE.COM',
    cname,
    transited: { trType: 1, contents: new Uint8Array(0) },
    authTime: t0,
    endTime: new Date(t0.getTime() + 36e6),
    renewTill: new Date(t0.getTime() + 72e6),
    caddr: [{ addrType: 2, address: Uint8Array.of(127, 0, 0, 1) }],
    authorizationData: [{ adType: 1, adData: Uint8Array.of(0x30, 0) }],
  });
export const seedEtypeInfo2 = (): Uint8Array => encodeEtypeInfo2([{ etype: 18, salt: 'EXAMPLE.COMalice', s2kparams: Uint8Array.of(0, 0, 16, 0) }, { etype: 23 }]);
export const seedKrbError = (): Uint8Array =>
  encodeKrbError({
    ctime: t0,
    cusec: 1,
    stime: t0,
    susec: 2,
    errorCode: 25,
    crealm: 'EXAMPLE.COM',
    cname,
    realm: 'EXAMPLE.COM',
    sname,
    eText: 'NEEDED_PREAUTH',
    eData: tlv(0x30, encodePaData({ type: 19, value: seedEtypeInfo2() }), encodePaData({ type: 2, value: new Uint8Array(0) })),
  });
export const seedAsReq = (): Uint8Array =>
  encodeKdcReq({
    msgType: 10,
    padata: [{ type: 128, value: Uint8Array.of(0x30, 0x05, 0xa0, 0x03, 0x01, 0x01, 0xff) }],
    body: { kdcOptions: 0x40000010, cname, realm: 'EXAMPLE.COM', sname, till: t0, nonce: 12345, etypes: [18, 17, 23] },
  });
const authenticator = { crealm: 'EXAMPLE.COM', cname, cusec: 5, ctime: t0, seqNumber: 7, cksum: { cksumtype: 0x8003, checksum: new Uint8Array(24) } };
export const seedAuthenticator = (): Uint8Array => encodeAuthenticator(authenticator);
export const seedApReq = (): Uint8Array => buildApReq({ ticket: seedTicket(), sessionKey: key, authenticator });
/** An AS-REP shaped reply (tag 0x6b) with a ticket and an enc-part. */
export const seedAsRep = (): Uint8Array => {
  const ed = tlv(0x30, tlv(0xa0, Uint8Array.of(2, 1, 18)), tlv(0xa2, tlv(0x04, encrypt(key, 3, new Uint8Array(10)))));
  const pn = tlv(0x30, tlv(0xa0, Uint8Array.of(2, 1, 1)), tlv(0xa1, tlv(0x30, tlv(0x1b, new TextEncoder().encode('alice')))));
  return tlv(
    0x6b,
    tlv(0x30, tlv(0xa0, Uint8Array.of(2, 1, 5)), tlv(0xa1, Uint8Array.of(2, 1, 11)), tlv(0xa3, tlv(0x1b, new TextEncoder().encode('EXAMPLE.COM'))), tlv(0xa4, pn), tlv(0xa5, seedTicket()), tlv(0xa6, ed)),
  );
};




/** Real MIT KDC requests or replies from fixtures/kerberos/mit/ (empty when the folder is missing). */
export function recorded(kind: 'request' | 'reply'): Uint8Array[] {
  const dir = fileURLToPath(new URL('../../fixtures/kerberos/mit/', import.meta.url));
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(`-${kind}.der`))
      .sort()
      .map((f) => new Uint8Array(readFileSync(dir + f)));
  } catch {
    return [];
  }
}
