// KDC-REQ (AS-REQ, TGS-REQ), KDC-REP (AS-REP, TGS-REP), EncKDCRepPart and
// KRB-ERROR (RFC 4120 5.4, 5.9.1). Requests are only encoded (psremote is
// no KDC) except for tests and fuzzing; replies and errors are decoded
// strictly, with the message type checked against the [APPLICATION] tag.

import { AuthProtocolError } from '../../errors.js';
import { decodeEncryptedData, decodeEncryptionKey, decodeHostAddress, decodePaData, decodePrincipalName, encodeEncryptedData, encodePaData, encodePrincipalName, type EncryptedData, type EncryptionKey, type HostAddress, type PaData, type PrincipalName } from './common.js';
import { KRB5_PVNO, MSG_AS_REP, MSG_AS_REQ, MSG_KRB_ERROR, MSG_TGS_REP, MSG_TGS_REQ } from './constants.js';
import { application, ctx, encApp, encFlags, encInteger, encOctets as encSeqOctets, encSeq, encString, encTime, flagsField, intField, messageReader, octetsField, openTaggedSequence, optional, present, readInteger, sequenceOf, stringField, struct, structField, timeField } from './der.js';
import { openProtocolMessage, readTicket, type Ticket } from './ticket.js';

export interface KdcReqBody {
  readonly kdcOptions: number;
  readonly cname?: PrincipalName;
  readonly realm: string;
  readonly sname?: PrincipalName;
  readonly from?: Date;
  readonly till: Date;
  readonly rtime?: Date;
  readonly nonce: number;
  readonly etypes: readonly number[];
  readonly addresses?: readonly HostAddress[];
  readonly encAuthorizationData?: EncryptedData;
  /** DER Tickets (for user-to-user); psremote sends none. */
  readonly additionalTickets?: readonly Uint8Array[];
}

export interface KdcReq {
  readonly msgType: typeof MSG_AS_REQ | typeof MSG_TGS_REQ;
  readonly padata: readonly PaData[];
  readonly body: KdcReqBody;
}

/** The KDC-REQ-BODY's DER alone: the TGS-REQ authenticator's checksum covers exactly these bytes. */
export function encodeKdcReqBody(b: KdcReqBody): Uint8Array {
  return encSeq(
    ctx(0, encFlags(b.kdcOptions)),
    b.cname && ctx(1, encodePrincipalName(b.cname)),
    ctx(2, encString(b.realm)),
    b.sname && ctx(3, encodePrincipalName(b.sname)),
    b.from && ctx(4, encTime(b.from)),
    ctx(5, encTime(b.till)),
    b.rtime && ctx(6, encTime(b.rtime)),
    ctx(7, encInteger(b.nonce)),
    ctx(8, encSeq(...b.etypes.map(encInteger))),
    b.addresses && ctx(9, encSeq(...b.addresses.map((a) => encSeq(ctx(0, encInteger(a.addrType)), ctx(1, encSeqOctets(a.address)))))),
    b.encAuthorizationData && ctx(10, encodeEncryptedData(b.encAuthorizationData)),
    b.additionalTickets && ctx(11, encSeq(...b.additionalTickets)),
  );
}

/** AS-REQ ([APPLICATION 10]) or TGS-REQ ([APPLICATION 12]); `bodyDer` lets a TGS-REQ send the bytes its checksum covers. */
export function encodeKdcReq(req: KdcReq, bodyDer = encodeKdcReqBody(req.body)): Uint8Array {
  return encApp(
    req.msgType,
    encSeq(
      ctx(1, encInteger(KRB5_PVNO)),
      ctx(2, encInteger(req.msgType)),
      req.padata.length > 0 ? ctx(3, encSeq(...req.padata.map(encodePaData))) : undefined,
      ctx(4, bodyDer),
    ),
  );
}

/** For tests and fuzzing: an AS-REQ or TGS-REQ back to its fields. */
export function decodeKdcReq(der: Uint8Array): KdcReq {
  const r = messageReader(der, 'KDC-REQ');
  const tag = r.peekTag();
  const msgType = tag === application(MSG_AS_REQ) ? MSG_AS_REQ : tag === application(MSG_TGS_REQ) ? MSG_TGS_REQ : undefined;
  if (msgType === undefined) throw new AuthProtocolError(`KDC-REQ: tag 0x${(tag ?? 0).toString(16)} is neither AS-REQ nor TGS-REQ`, 'KDC-REQ');
  const what = msgType === MSG_AS_REQ ? 'AS-REQ' : 'TGS-REQ';
  const s = openProtocolMessage(der, msgType, what, 1);
  const padata = optional(s, 3, (x, n) => sequenceOf(x, n, `${what}.padata`, decodePaData, 64)) ?? [];
  const body = structField(s, 4, `${what}.req-body`, (x, w) =>
    struct(x, w, (b): KdcReqBody => {
      const kdcOptions = flagsField(b, 0, `${w}.kdc-options`);
      const cname = optional(b, 1, (y, n) => structField(y, n, `${w}.cname`, decodePrincipalName));
      const realm = stringField(b, 2, `${w}.realm`);
      const sname = optional(b, 3, (y, n) => structField(y, n, `${w}.sname`, decodePrincipalName));
      const from = optional(b, 4, (y, n) => timeField(y, n, `${w}.from`));
      const till = timeField(b, 5, `${w}.till`);
      const rtime = optional(b, 6, (y, n) => timeField(y, n, `${w}.rtime`));
      const nonce = intField(b, 7, `${w}.nonce`);
      const etypes = sequenceOf(b, 8, `${w}.etype`, readInteger, 64);
      const addresses = optional(b, 9, (y, n) => sequenceOf(y, n, `${w}.addresses`, decodeHostAddress));
      const encAuthorizationData = optional(b, 10, (y, n) => structField(y, n, `${w}.enc-authorization-data`, decodeEncryptedData));
      const additionalTickets = optional(b, 11, (y, n) => sequenceOf(y, n, `${w}.additional-tickets`, (z, ww) => readTicket(z, ww).der, 8));
      return present({ kdcOptions, realm, till, nonce, etypes, cname, sname, from, rtime, addresses, encAuthorizationData, additionalTickets });
    }),
  );
  s.end(what);
  return { msgType, padata, body };
}

export interface KdcRep {
  readonly msgType: typeof MSG_AS_REP | typeof MSG_TGS_REP;
  readonly padata: readonly PaData[];
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly ticket: Ticket;
  readonly encPart: EncryptedData;
}

/** The [APPLICATION] tag of a KDC's answer: AS-REP, TGS-REP or KRB-ERROR (what to decode it as). */
export function kdcReplyKind(der: Uint8Array): 'AS-REP' | 'TGS-REP' | 'KRB-ERROR' | undefined {
  switch (der[0]) {
    case application(MSG_AS_REP):
      return 'AS-REP';
    case application(MSG_TGS_REP):
      return 'TGS-REP';
    case application(MSG_KRB_ERROR):
      return 'KRB-ERROR';
    default:
      return undefined;
  }
}

export function decodeKdcRep(der: Uint8Array, msgType: typeof MSG_AS_REP | typeof MSG_TGS_REP): KdcRep {
  const what = msgType === MSG_AS_REP ? 'AS-REP' : 'TGS-REP';
  const s = openProtocolMessage(der, msgType, what);
  const padata = optional(s, 2, (x, n) => sequenceOf(x, n, `${what}.padata`, decodePaData, 64)) ?? [];
  const crealm = stringField(s, 3, `${what}.crealm`);
  const cname = structField(s, 4, `${what}.cname`, decodePrincipalName);
  const ticket = structField(s, 5, `${what}.ticket`, readTicket);
  const encPart = structField(s, 6, `${what}.enc-part`, decodeEncryptedData);
  s.end(what);
  return { msgType, padata, crealm, cname, ticket, encPart };
}

export interface LastReqEntry {
  readonly lrType: number;
  readonly lrValue: Date;
}

export interface EncKdcRepPart {
  readonly key: EncryptionKey;
  readonly lastReq: readonly LastReqEntry[];
  readonly nonce: number;
  readonly keyExpiration?: Date;
  readonly flags: number;
  readonly authTime: Date;
  readonly startTime?: Date;
  readonly endTime: Date;
  readonly renewTill?: Date;
  readonly srealm: string;
  readonly sname: PrincipalName;
  readonly caddr?: readonly HostAddress[];
  /** RFC 6806 encrypted-pa-data, as MIT sends for FAST/enc-pa-rep; kept, not interpreted. */
  readonly encryptedPaData?: readonly PaData[];
}

/**
 * The decrypted enc-part of an AS-REP or TGS-REP. RFC 4120 5.4.2 lets a
 * receiver accept EncTGSRepPart's tag (26) for an AS-REP, because some KDCs
 * always send it; MIT's client does, and so does this.
 */
export function decodeEncKdcRepPart(der: Uint8Array): EncKdcRepPart {
  const tag = der[0];
  if (tag !== application(25) && tag !== application(26)) {
    throw new AuthProtocolError(`EncKDCRepPart: tag 0x${(tag ?? 0).toString(16)}, expected EncASRepPart (0x79) or EncTGSRepPart (0x7a)`, 'EncKDCRepPart');
  }
  const what = tag === application(25) ? 'EncASRepPart' : 'EncTGSRepPart';
  const s = openTaggedSequence(der, tag, what);
  const key = structField(s, 0, `${what}.key`, decodeEncryptionKey);
  const lastReq = sequenceOf(s, 1, `${what}.last-req`, (x, w) => struct(x, w, (e) => ({ lrType: intField(e, 0, `${w}.lr-type`), lrValue: timeField(e, 1, `${w}.lr-value`) })), 32);
  const nonce = intField(s, 2, `${what}.nonce`);
  const keyExpiration = optional(s, 3, (x, n) => timeField(x, n, `${what}.key-expiration`));
  const flags = flagsField(s, 4, `${what}.flags`);
  const authTime = timeField(s, 5, `${what}.authtime`);
  const startTime = optional(s, 6, (x, n) => timeField(x, n, `${what}.starttime`));
  const endTime = timeField(s, 7, `${what}.endtime`);
  const renewTill = optional(s, 8, (x, n) => timeField(x, n, `${what}.renew-till`));
  const srealm = stringField(s, 9, `${what}.srealm`);
  const sname = structField(s, 10, `${what}.sname`, decodePrincipalName);
  const caddr = optional(s, 11, (x, n) => sequenceOf(x, n, `${what}.caddr`, decodeHostAddress));
  const encryptedPaData = optional(s, 12, (x, n) => sequenceOf(x, n, `${what}.encrypted-pa-data`, decodePaData, 64));
  s.end(what);
  return present({ key, lastReq, nonce, flags, authTime, endTime, srealm, sname, keyExpiration, startTime, renewTill, caddr, encryptedPaData });
}

export interface KrbError {
  readonly ctime?: Date;
  readonly cusec?: number;
  readonly stime: Date;
  readonly susec: number;
  readonly errorCode: number;
  readonly crealm?: string;
  readonly cname?: PrincipalName;
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly eText?: string;
  readonly eData?: Uint8Array;
}

export function decodeKrbError(der: Uint8Array): KrbError {
  const what = 'KRB-ERROR';
  const s = openProtocolMessage(der, MSG_KRB_ERROR, what);
  const ctime = optional(s, 2, (x, n) => timeField(x, n, `${what}.ctime`));
  const cusec = optional(s, 3, (x, n) => intField(x, n, `${what}.cusec`));
  const stime = timeField(s, 4, `${what}.stime`);
  const susec = intField(s, 5, `${what}.susec`);
  const errorCode = intField(s, 6, `${what}.error-code`);
  const crealm = optional(s, 7, (x, n) => stringField(x, n, `${what}.crealm`));
  const cname = optional(s, 8, (x, n) => structField(x, n, `${what}.cname`, decodePrincipalName));
  const realm = stringField(s, 9, `${what}.realm`);
  const sname = structField(s, 10, `${what}.sname`, decodePrincipalName);
  const eText = optional(s, 11, (x, n) => stringField(x, n, `${what}.e-text`));
  const eData = optional(s, 12, (x, n) => octetsField(x, n, `${what}.e-data`));
  s.end(what);
  return present({ stime, susec, errorCode, realm, sname, ctime, cusec, crealm, cname, eText, eData });
}

/** For tests (a KDC's answer where none can be provoked) and fuzz seeds. */
export function encodeKrbError(e: KrbError): Uint8Array {
  return encApp(
    MSG_KRB_ERROR,
    encSeq(
      ctx(0, encInteger(KRB5_PVNO)),
      ctx(1, encInteger(MSG_KRB_ERROR)),
      e.ctime && ctx(2, encTime(e.ctime)),
      e.cusec === undefined ? undefined : ctx(3, encInteger(e.cusec)),
      ctx(4, encTime(e.stime)),
      ctx(5, encInteger(e.susec)),
      ctx(6, encInteger(e.errorCode)),
      e.crealm === undefined ? undefined : ctx(7, encString(e.crealm)),
      e.cname && ctx(8, encodePrincipalName(e.cname)),
      ctx(9, encString(e.realm)),
      ctx(10, encodePrincipalName(e.sname)),
      e.eText === undefined ? undefined : ctx(11, encString(e.eText)),
      e.eData && ctx(12, encSeqOctets(e.eData)),
    ),
  );
}
