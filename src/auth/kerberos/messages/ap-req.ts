// AP-REQ and Authenticator (RFC 4120 5.5.1): the minimal encoder the TGS-REQ
// needs (PA-TGS-REQ carries an AP-REQ over the TGT), shared with the GSS-API
// layer, which adds its own checksum (RFC 4121 4.1.1) through `cksum` and
// decodes what an acceptor receives.

import { decrypt, encrypt, type KerberosKey } from '../crypto/index.js';
import { decodeAuthorizationDataEntry, decodeChecksum, decodeEncryptedData, decodeEncryptionKey, decodePrincipalName, encodeAuthorizationDataEntry, encodeChecksum, encodeEncryptedData, encodeEncryptionKey, encodePrincipalName, type AuthorizationDataEntry, type Checksum, type EncryptedData, type EncryptionKey, type PrincipalName } from './common.js';
import { KRB5_PVNO, KU_AP_REQ_AUTHENTICATOR, MSG_AP_REQ } from './constants.js';
import { application, ctx, encApp, encFlags, encInteger, encSeq, encString, encTime, flagsField, intField, openTaggedSequence, optional, present, sequenceOf, stringField, structField, timeField } from './der.js';
import { checkPvno, openProtocolMessage, readTicket, type Ticket } from './ticket.js';
import { AuthProtocolError } from '../../errors.js';

/** APOptions (RFC 4120 5.5.1). */
export const AP_OPT_USE_SESSION_KEY = 0x80000000 >>> 1;
export const AP_OPT_MUTUAL_REQUIRED = 0x80000000 >>> 2;

export interface Authenticator {
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly cksum?: Checksum;
  /** Microseconds within ctime's second, 0..999999. */
  readonly cusec: number;
  readonly ctime: Date;
  readonly subkey?: EncryptionKey;
  readonly seqNumber?: number;
  readonly authorizationData?: readonly AuthorizationDataEntry[];
}

export function encodeAuthenticator(a: Authenticator): Uint8Array {
  return encApp(
    2,
    encSeq(
      ctx(0, encInteger(KRB5_PVNO)),
      ctx(1, encString(a.crealm)),
      ctx(2, encodePrincipalName(a.cname)),
      a.cksum && ctx(3, encodeChecksum(a.cksum)),
      ctx(4, encInteger(a.cusec)),
      ctx(5, encTime(a.ctime)),
      a.subkey && ctx(6, encodeEncryptionKey(a.subkey)),
      a.seqNumber === undefined ? undefined : ctx(7, encInteger(a.seqNumber)),
      a.authorizationData && ctx(8, encSeq(...a.authorizationData.map(encodeAuthorizationDataEntry))),
    ),
  );
}

export function decodeAuthenticator(der: Uint8Array): Authenticator {
  const what = 'Authenticator';
  const s = openTaggedSequence(der, application(2), what);
  checkPvno(s, 0, what);
  const crealm = stringField(s, 1, `${what}.crealm`);
  const cname = structField(s, 2, `${what}.cname`, decodePrincipalName);
  const cksum = optional(s, 3, (x, n) => structField(x, n, `${what}.cksum`, decodeChecksum));
  const cusec = intField(s, 4, `${what}.cusec`);
  const ctime = timeField(s, 5, `${what}.ctime`);
  const subkey = optional(s, 6, (x, n) => structField(x, n, `${what}.subkey`, decodeEncryptionKey));
  const seqNumber = optional(s, 7, (x, n) => intField(x, n, `${what}.seq-number`));
  const authorizationData = optional(s, 8, (x, n) => sequenceOf(x, n, `${what}.authorization-data`, decodeAuthorizationDataEntry, 256));
  s.end(what);
  if (cusec < 0 || cusec > 999999) throw new AuthProtocolError(`${what}.cusec: ${cusec} is not 0..999999`, what);
  return present({ crealm, cname, cusec, ctime, cksum, subkey, seqNumber, authorizationData });
}

export interface ApReq {
  readonly apOptions: number;
  readonly ticket: Ticket;
  readonly authenticator: EncryptedData;
}

export function decodeApReq(der: Uint8Array): ApReq {
  const what = 'AP-REQ';
  const s = openProtocolMessage(der, MSG_AP_REQ, what);
  const apOptions = flagsField(s, 2, `${what}.ap-options`);
  const ticket = structField(s, 3, `${what}.ticket`, readTicket);
  const authenticator = structField(s, 4, `${what}.authenticator`, decodeEncryptedData);
  s.end(what);
  return { apOptions, ticket, authenticator };
}

/** The Authenticator of a received AP-REQ, decrypted with the ticket's session key. */
export function decryptAuthenticator(apReq: ApReq, sessionKey: KerberosKey, usage = KU_AP_REQ_AUTHENTICATOR): Authenticator {
  return decodeAuthenticator(decrypt(sessionKey, usage, apReq.authenticator.cipher, 'AP-REQ authenticator'));
}

export interface BuildApReqOptions {
  /** The DER Ticket (from the KDC or a ccache). */
  readonly ticket: Uint8Array;
  readonly sessionKey: KerberosKey;
  readonly authenticator: Authenticator;
  readonly apOptions?: number;
  /** 11 for an application AP-REQ, 7 inside a TGS-REQ's PA-TGS-REQ. */
  readonly usage?: number;
}

/** AP-REQ ([APPLICATION 14]) with the authenticator encrypted under the session key. */
export function buildApReq(o: BuildApReqOptions): Uint8Array {
  const cipher = encrypt(o.sessionKey, o.usage ?? KU_AP_REQ_AUTHENTICATOR, encodeAuthenticator(o.authenticator));
  return encApp(
    MSG_AP_REQ,
    encSeq(
      ctx(0, encInteger(KRB5_PVNO)),
      ctx(1, encInteger(MSG_AP_REQ)),
      ctx(2, encFlags(o.apOptions ?? 0)),
      ctx(3, o.ticket),
      ctx(4, encodeEncryptedData({ etype: o.sessionKey.enctype, cipher })),
    ),
  );
}
