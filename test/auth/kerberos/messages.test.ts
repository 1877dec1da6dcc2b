// Kerberos messages through the strict DER codec: round trips of what
// psremote encodes, and typed errors naming the field for what is not DER or
// not the structure. Real KDC bytes are decoded in test/transport/kerberos/.

import { describe, expect, test } from 'vitest';
import { randomKey, decrypt } from '../../../src/auth/kerberos/crypto/index.js';
import {
  buildApReq,
  buildPaEncTimestamp,
  decodeApReq,
  decodeAuthenticator,
  decodeEncKdcRepPart,
  decodeEncTicketPart,
  decodeEtypeInfo2,
  decodeKdcReq,
  decodeKrbError,
  decodeMethodData,
  decodePaEncTsEnc,
  decodeTicket,
  decryptAuthenticator,
  encodeAuthenticator,
  encodeEncTicketPart,
  encodeEtypeInfo2,
  encodeKdcReq,
  encodeKrbError,
  encodePaData,
  encodeTicket,
  KDC_OPT_CANONICALIZE,
  KDC_OPT_FORWARDABLE,
  ticketFlagNames,
  TKT_FLG_FORWARDABLE,
  TKT_FLG_INITIAL,
  type EncTicketPart,
} from '../../../src/auth/kerberos/messages/index.js';
import { AuthProtocolError } from '../../../src/auth/errors.js';
import { tlv } from '../../../src/auth/spnego/der.js';
import { concatBytes } from '../../../src/util/bytes.js';

const t0 = new Date('2026-12-01T22:15:07Z');
const sname = { nameType: 2, components: ['krbtgt', 'EXAMPLE.COM'] };
const ticketDer = encodeTicket({ realm: 'EXAMPLE.COM', sname, encPart: { etype: 18, kvno: 2, cipher: Uint8Array.of(1, 2, 3, 4) } });

describe('Ticket', () => {
  test('encode and decode round-trip, and der is the bytes given', () => {
    const t = decodeTicket(ticketDer);
    expect(t.realm).toBe('EXAMPLE.COM');
    expect(t.sname).toEqual(sname);
    expect(t.encPart).toEqual({ etype: 18, kvno: 2, cipher: Uint8Array.of(1, 2, 3, 4) });
    expect(t.der).toEqual(ticketDer);
    expect(ticketDer[0]).toBe(0x61);
  });

  test('trailing bytes, truncation and a wrong tag are AuthProtocolErrors naming the place', () => {
    expect(() => decodeTicket(concatBytes([ticketDer, Uint8Array.of(0)]))).toThrow(/Ticket: 1 unexpected bytes/);
    expect(() => decodeTicket(ticketDer.subarray(0, ticketDer.byteLength - 1))).toThrow(AuthProtocolError);
    const wrong = ticketDer.slice();
    wrong[0] = 0x62;
    expect(() => decodeTicket(wrong)).toThrow(/Ticket: tag 0x62, expected 0x61/);
  });

  test('a non-minimal INTEGER is not DER and names the field', () => {
    expect(decodeEtypeInfo2(Uint8Array.of(0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x12))).toEqual([{ etype: 18 }]);
    expect(() => decodeEtypeInfo2(Uint8Array.of(0x30, 0x08, 0x30, 0x06, 0xa0, 0x04, 0x02, 0x02, 0x00, 0x12))).toThrow(
      /PA-ETYPE-INFO2\[0\].etype: INTEGER is not minimally encoded/,
    );
    expect(() => decodeEtypeInfo2(Uint8Array.of(0x30, 0x0b, 0x30, 0x09, 0xa0, 0x07, 0x02, 0x05, 0x01, 0, 0, 0, 0))).toThrow(/outside the 32-bit range/);
  });

  test('a protocol version other than 5 is refused', () => {
    const v4 = ticketDer.slice();
    v4[v4.indexOf(0x05, 4)] = 4;
    expect(() => decodeTicket(v4)).toThrow(/protocol version 4, expected 5/);
  });

  test('a message over the size limit is an AuthProtocolError (PSR_AUTH_INVALID) before it is parsed', () => {
    expect(() => decodeTicket(new Uint8Array(300 * 1024))).toThrow(AuthProtocolError);
    expect(() => decodeTicket(new Uint8Array(300 * 1024))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INVALID', message: expect.stringContaining('Kerberos message size limit exceeded: 307200 >') }));
  });
});

describe('EncTicketPart', () => {
  const part: EncTicketPart = {
    flags: TKT_FLG_FORWARDABLE | TKT_FLG_INITIAL,
    key: { keytype: 18, keyvalue: new Uint8Array(32).fill(9) },
    crealm: 'EXAMPLE.COM',
    cname: { nameType: 1, components: ['alice'] },
    transited: { trType: 1, contents: new Uint8Array(0) },
    authTime: t0,
    startTime: t0,
    endTime: new Date(t0.getTime() + 36e6),
    renewTill: new Date(t0.getTime() + 72e6),
    caddr: [{ addrType: 2, address: Uint8Array.of(127, 0, 0, 1) }],
    authorizationData: [{ adType: 1, adData: Uint8Array.of(0x30, 0) }],
  };
  test('round-trips every field, optional ones included', () => {
    expect(decodeEncTicketPart(encodeEncTicketPart(part))).toEqual(part);
    const { startTime: _s, renewTill: _r, caddr: _c, authorizationData: _a, ...minimal } = part;
    expect(decodeEncTicketPart(encodeEncTicketPart(minimal))).toEqual(minimal);
    expect(ticketFlagNames(part.flags)).toEqual(['forwardable', 'initial']);
  });
  test('a bad KerberosTime names the field', () => {
    const der = encodeEncTicketPart(part);
    const at = Buffer.from(der).indexOf('20261201221507Z');
    const bad = der.slice();
    bad[at + 12] = 0x39; // seconds 97
    expect(() => decodeEncTicketPart(bad)).toThrow(/EncTicketPart.authtime: KerberosTime 20261201221597Z is not a valid date/);
  });
});

describe('KDC-REQ, KRB-ERROR and PA-DATA', () => {
  test('an AS-REQ with PA-ENC-TIMESTAMP decodes back to its fields, and the timestamp decrypts', () => {
    const key = randomKey(17);
    const req = {
      msgType: 10 as const,
      padata: [{ type: 2, value: buildPaEncTimestamp(key, new Date(t0.getTime() + 123)) }],
      body: {
        kdcOptions: KDC_OPT_FORWARDABLE | KDC_OPT_CANONICALIZE,
        cname: { nameType: 1, components: ['alice'] },
        realm: 'EXAMPLE.COM',
        sname,
        till: new Date(t0.getTime() + 36e6),
        nonce: 0x7fffffff,
        etypes: [18, 17, 23],
      },
    };
    const back = decodeKdcReq(encodeKdcReq(req));
    expect(back.body).toEqual(req.body);
    const ed = back.padata[0]!.value;
    expect(decodePaEncTsEnc(decryptTs(key, ed))).toEqual({ timestamp: t0, usec: 123000 });
  });

  test('KRB-ERROR round-trips with e-data METHOD-DATA carrying ETYPE-INFO2', () => {
    const info = encodeEtypeInfo2([{ etype: 18, salt: 'EXAMPLE.COMalice', s2kparams: Uint8Array.of(0, 0, 0x10, 0) }, { etype: 23 }]);
    const eData = tlv(0x30, encodePaData({ type: 19, value: info }), encodePaData({ type: 2, value: new Uint8Array(0) }));
    const err = { stime: t0, susec: 5, errorCode: 25, realm: 'EXAMPLE.COM', sname, eText: 'Additional pre-authentication required', eData };
    const back = decodeKrbError(encodeKrbError(err));
    expect(back).toEqual(err);
    const md = decodeMethodData(back.eData!);
    expect(md.map((p) => p.type)).toEqual([19, 2]);
    expect(decodeEtypeInfo2(md[0]!.value)).toEqual([{ etype: 18, salt: 'EXAMPLE.COMalice', s2kparams: Uint8Array.of(0, 0, 0x10, 0) }, { etype: 23 }]);
  });

  test('an EncKDCRepPart of neither tag 25 nor 26 is refused by name', () => {
    expect(() => decodeEncKdcRepPart(Uint8Array.of(0x30, 0))).toThrow(/expected EncASRepPart \(0x79\) or EncTGSRepPart/);
  });
});

describe('AP-REQ and Authenticator', () => {
  test('buildApReq encrypts the authenticator under the session key; decode and decrypt give it back', () => {
    const sessionKey = randomKey(18);
    const authenticator = {
      crealm: 'EXAMPLE.COM',
      cname: { nameType: 1, components: ['alice'] },
      cksum: { cksumtype: 0x8003, checksum: new Uint8Array(24) },
      cusec: 999999,
      ctime: t0,
      subkey: { keytype: 18, keyvalue: new Uint8Array(32).fill(1) },
      seqNumber: 0xfffffffe,
    };
    const der = buildApReq({ ticket: ticketDer, sessionKey, authenticator, apOptions: 0x20000000 });
    const ap = decodeApReq(der);
    expect(ap.apOptions).toBe(0x20000000);
    expect(ap.ticket.der).toEqual(ticketDer);
    expect(ap.authenticator.etype).toBe(18);
    expect(decryptAuthenticator(ap, sessionKey)).toEqual(authenticator);
    expect(() => decryptAuthenticator(ap, sessionKey, 7)).toThrow(/AP-REQ authenticator: integrity check failed/);
    expect(decodeAuthenticator(encodeAuthenticator(authenticator))).toEqual(authenticator);
  });
});

import { decodeEncryptedData } from '../../../src/auth/kerberos/messages/common.js';
import { DerReader } from '../../../src/auth/spnego/der.js';
function decryptTs(key: ReturnType<typeof randomKey>, encryptedDataDer: Uint8Array): Uint8Array {
  const ed = decodeEncryptedData(new DerReader(encryptedDataDer, 'test'), 'PA-ENC-TIMESTAMP');
  expect(ed.etype).toBe(key.enctype);
  return decrypt(key, 1, ed.cipher);
}
