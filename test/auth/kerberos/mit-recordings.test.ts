// Real MIT KDC bytes (fixtures/kerberos/mit/, see its README) decoded and
// decrypted offline: the PREAUTH_REQUIRED error and its PA-ETYPE-INFO2, our
// PA-ENC-TIMESTAMP, the AS-REP under the password's key, the TGS-REQ's
// authenticator and body checksum, the TGS-REP and the service ticket under
// the keytab's key; and the two error replies as typed errors.

import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { decrypt, stringToKey, verifyChecksum } from '../../../src/auth/kerberos/crypto/index.js';
import { kdcError } from '../../../src/auth/kerberos/kdc-errors.js';
import { parseKeytab } from '../../../src/auth/kerberos/keytab.js';
import {
  decodeApReq,
  decodeEncKdcRepPart,
  decodeEncTicketPart,
  decodeEtypeInfo2,
  decodeKdcRep,
  decodeKdcReq,
  decodeKrbError,
  decodeMethodData,
  decodePaEncTsEnc,
  decryptAuthenticator,
  encodeKdcReqBody,
} from '../../../src/auth/kerberos/messages/index.js';
import { decodeEncryptedData } from '../../../src/auth/kerberos/messages/common.js';
import { DerReader } from '../../../src/auth/spnego/der.js';

const dir = 'fixtures/kerberos/mit';
const read = (f: string): Uint8Array => new Uint8Array(readFileSync(`${dir}/${f}`));
const PASSWORD = 'Corr3ct-Horse';

test('PREAUTH_REQUIRED carries PA-ETYPE-INFO2 with the salt, one entry: the first enctype we asked for that the user has', () => {
  const e = decodeKrbError(read('as-1-reply.der'));
  expect(e.errorCode).toBe(25);
  expect(e.realm).toBe('PSREMOTE.TEST');
  const md = decodeMethodData(e.eData!);
  expect(md.map((p) => p.type)).toContain(2);
  const info = decodeEtypeInfo2(md.find((p) => p.type === 19)!.value);
  expect(info.map((i) => i.etype)).toEqual([18]);
  expect(info[0]!.salt).toBe('PSREMOTE.TESTalice');
});

test('the AS-REQ with PA-ENC-TIMESTAMP, and the AS-REP under the password key with the same nonce', () => {
  const req = decodeKdcReq(read('as-2-request.der'));
  const key = stringToKey(18, PASSWORD, 'PSREMOTE.TESTalice');
  const pa = decodeEncryptedData(new DerReader(req.padata.find((p) => p.type === 2)!.value, 'pa'), 'PA-ENC-TIMESTAMP');
  const ts = decodePaEncTsEnc(decrypt(key, 1, pa.cipher));
  expect(Math.abs(ts.timestamp.getTime() - new Date('2026-12-01T23:07:00Z').getTime())).toBeLessThan(86400e3 * 365);
  const rep = decodeKdcRep(read('as-2-reply.der'), 11);
  expect(rep.ticket.sname.components).toEqual(['krbtgt', 'PSREMOTE.TEST']);
  const part = decodeEncKdcRepPart(decrypt(key, 3, rep.encPart.cipher));
  expect(part.nonce).toBe(req.body.nonce);
  expect(Buffer.from(part.key.keyvalue).toString('hex')).toBe(readFileSync(`${dir}/tgt-session-key.hex`, 'utf8').trim());
  expect(() => decrypt(stringToKey(18, 'wrong', 'PSREMOTE.TESTalice'), 3, rep.encPart.cipher)).toThrow(/integrity/);
});

test('the TGS-REQ re-encodes to the same body bytes its authenticator checksums; the TGS-REP and service ticket decrypt', () => {
  const raw = read('tgs-1-request.der');
  const req = decodeKdcReq(raw);
  const bodyDer = encodeKdcReqBody(req.body);
  expect(Buffer.from(raw).includes(Buffer.from(bodyDer))).toBe(true);
  const session = { enctype: 18 as const, value: Uint8Array.from(Buffer.from(readFileSync(`${dir}/tgt-session-key.hex`, 'utf8').trim(), 'hex')) };
  const ap = decodeApReq(req.padata.find((p) => p.type === 1)!.value);
  const auth = decryptAuthenticator(ap, session, 7);
  expect(auth.cname.components).toEqual(['alice']);
  expect(verifyChecksum(session, 6, bodyDer, auth.cksum!.cksumtype, auth.cksum!.checksum)).toBe(true);
  const rep = decodeKdcRep(read('tgs-1-reply.der'), 13);
  const part = decodeEncKdcRepPart(decrypt(session, 8, rep.encPart.cipher));
  expect(part.sname.components).toEqual(['HTTP', 'localhost']);
  const svc = parseKeytab(read('http-localhost.keytab')).entries.find((e) => e.key.enctype === rep.ticket.encPart.etype)!.key;
  const tkt = decodeEncTicketPart(decrypt(svc, 2, rep.ticket.encPart.cipher));
  expect(tkt.cname.components).toEqual(['alice']);
  expect(tkt.key.keyvalue).toEqual(part.key.keyvalue);
});

test('PREAUTH_FAILED and C_PRINCIPAL_UNKNOWN become typed errors', () => {
  const ctx = { client: 'alice@PSREMOTE.TEST', server: 'krbtgt/PSREMOTE.TEST@PSREMOTE.TEST', exchange: 'AS' as const, now: new Date() };
  expect(kdcError(decodeKrbError(read('as-wrong-password-2-reply.der')), ctx)).toMatchObject({ code: 'PSR_KRB_PREAUTH_FAILED', errorCode: 24 });
  const unknown = kdcError(decodeKrbError(read('as-unknown-client-1-reply.der')), { ...ctx, client: 'mallory@PSREMOTE.TEST' });
  expect(unknown).toMatchObject({ code: 'PSR_KRB_PRINCIPAL_UNKNOWN', errorCode: 6 });
  expect(unknown.message).toMatch(/does not know the client mallory@PSREMOTE.TEST \[KDC_ERR_C_PRINCIPAL_UNKNOWN\] \(KDC: CLIENT_NOT_FOUND\)/);
});
