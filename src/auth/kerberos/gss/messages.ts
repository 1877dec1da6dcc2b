// The GSS-API side of the Kerberos messages (RFC 4121 4.1, RFC 1964 1.1):
// the framing (InitialContextToken with the krb5 OID and a two-byte TOK_ID)
// around a context establishment's messages, and the two messages only a
// GSS-API context uses: AP-REP with its EncAPRepPart, and KRB-CRED with its
// EncKrbCredPart for delegation. AP-REQ, Authenticator, Ticket, EncTicketPart
// and KRB-ERROR are messages/'s: one codec serves the KDC exchange and
// GSS-API, over one strict DER field reader (messages/der.ts). Encoding and
// decoding only: keys, clocks and checks belong to initiator.ts and acceptor.ts.

import { AuthProtocolError } from '../../errors.js';
import { DerReader, decodeOid, encodeOid, TAG_GSS_APPLICATION_0, TAG_OID, tlv, type DerLimits } from '../../spnego/der.js';
import { OID_KRB5, OID_MS_KRB5 } from '../../spnego/tokens.js';
import { decodeEncryptedData, decodeEncryptionKey, decodeHostAddress, decodePrincipalName, encodeEncryptedData, encodeEncryptionKey, encodePrincipalName, type EncryptedData, type EncryptionKey, type PrincipalName } from '../messages/common.js';
import { KRB5_PVNO, MSG_AP_REP, MSG_KRB_CRED } from '../messages/constants.js';
import { application, ctx, encApp, encFlags, encInteger, encSeq, encString, encTime, flagsField, intField, openTaggedSequence, optional, present, sequence, sequenceOf, stringField, struct, structField, timeField } from '../messages/der.js';
import { openProtocolMessage, readTicket, type Ticket } from '../messages/ticket.js';

export const TOK_AP_REQ = 0x0100;
export const TOK_AP_REP = 0x0200;
export const TOK_KRB_ERROR = 0x0300;

const ENC_AP_REP_PART = 27;
const ENC_KRB_CRED_PART = 29;
/** Tickets (and their KrbCredInfo) one KRB-CRED may forward. */
const MAX_FORWARDED = 8;

const LIMITS: DerLimits = { maxBytes: 256 * 1024, maxDepth: 16 };

/** RFC 1964 1.1 framing: [APPLICATION 0] { krb5 OID, TOK_ID, message }. */
export function frameToken(tokId: number, message: Uint8Array, oid = OID_KRB5): Uint8Array {
  return tlv(TAG_GSS_APPLICATION_0, encodeOid(oid), Uint8Array.of(tokId >> 8, tokId & 0xff), message);
}

/** Opens the framing; either Kerberos OID is accepted (Windows sends the MS one inside SPNEGO). */
export function unframeToken(token: Uint8Array, where: string): { tokId: number; message: Uint8Array; oid: string } {
  const top = new DerReader(token, where, LIMITS);
  const t = top.expect(TAG_GSS_APPLICATION_0, 'InitialContextToken');
  top.end('InitialContextToken');
  const r = top.enter(t, 'InitialContextToken');
  const oid = decodeOid(r.expect(TAG_OID, 'thisMech').value, 'thisMech', where);
  if (oid !== OID_KRB5 && oid !== OID_MS_KRB5) throw new AuthProtocolError(`the token is for mechanism ${oid}, not Kerberos`, where);
  const header = t.raw.byteLength - t.value.byteLength;
  const at = header + encodeOid(oid).byteLength;
  if (token.byteLength < at + 2) throw new AuthProtocolError('the token ends before its TOK_ID', where);
  return { tokId: (token[at]! << 8) | token[at + 1]!, message: token.subarray(at + 2), oid };
}

// ---------------------------------------------------------------- AP-REP (RFC 4120 5.5.2)

export interface EncApRepPart {
  readonly ctime: Date;
  readonly cusec: number;
  readonly subkey?: EncryptionKey;
  readonly seqNumber?: number;
}

export function encodeApRep(encPart: EncryptedData): Uint8Array {
  return encApp(MSG_AP_REP, encSeq(ctx(0, encInteger(KRB5_PVNO)), ctx(1, encInteger(MSG_AP_REP)), ctx(2, encodeEncryptedData(encPart))));
}

export function decodeApRep(message: Uint8Array): EncryptedData {
  const what = 'AP-REP';
  const s = openProtocolMessage(message, MSG_AP_REP, what);
  const encPart = structField(s, 2, `${what}.enc-part`, decodeEncryptedData);
  s.end(what);
  return encPart;
}

export function encodeEncApRepPart(p: EncApRepPart): Uint8Array {
  return encApp(
    ENC_AP_REP_PART,
    encSeq(ctx(0, encTime(p.ctime)), ctx(1, encInteger(p.cusec)), p.subkey && ctx(2, encodeEncryptionKey(p.subkey)), p.seqNumber === undefined ? undefined : ctx(3, encInteger(p.seqNumber))),
  );
}

export function decodeEncApRepPart(plain: Uint8Array): EncApRepPart {
  const what = 'EncAPRepPart';
  const s = openTaggedSequence(plain, application(ENC_AP_REP_PART), what);
  const ctime = timeField(s, 0, `${what}.ctime`);
  const cusec = intField(s, 1, `${what}.cusec`);
  const subkey = optional(s, 2, (x, n) => structField(x, n, `${what}.subkey`, decodeEncryptionKey));
  const seqNumber = optional(s, 3, (x, n) => intField(x, n, `${what}.seq-number`));
  s.end(what);
  // Windows writes sequence numbers as signed 32-bit INTEGERs.
  return { ctime, cusec, ...(subkey && { subkey }), ...(seqNumber !== undefined && { seqNumber: seqNumber >>> 0 }) };
}

// ---------------------------------------------------------------- KRB-CRED (RFC 4120 5.8: delegation)

export interface KrbCredInfo {
  readonly key: EncryptionKey;
  readonly prealm?: string;
  readonly pname?: PrincipalName;
  readonly flags?: number;
  readonly authTime?: Date;
  readonly startTime?: Date;
  readonly endTime?: Date;
  readonly renewTill?: Date;
  readonly srealm?: string;
  readonly sname?: PrincipalName;
}

const time = (d: Date | undefined) => d && encTime(d);
const text = (s: string | undefined) => (s === undefined ? undefined : encString(s));
const principal = (p: PrincipalName | undefined) => p && encodePrincipalName(p);

function encodeKrbCredInfo(i: KrbCredInfo): Uint8Array {
  return encSeq(
    ctx(0, encodeEncryptionKey(i.key)),
    ctx(1, text(i.prealm)),
    ctx(2, principal(i.pname)),
    ctx(3, i.flags === undefined ? undefined : encFlags(i.flags)),
    ctx(4, time(i.authTime)),
    ctx(5, time(i.startTime)),
    ctx(6, time(i.endTime)),
    ctx(7, time(i.renewTill)),
    ctx(8, text(i.srealm)),
    ctx(9, principal(i.sname)),
  );
}

export function encodeEncKrbCredPart(infos: readonly KrbCredInfo[], timestamp: Date, usec: number, nonce?: number): Uint8Array {
  return encApp(
    ENC_KRB_CRED_PART,
    encSeq(ctx(0, encSeq(...infos.map(encodeKrbCredInfo))), ctx(1, nonce === undefined ? undefined : encInteger(nonce)), ctx(2, encTime(timestamp)), ctx(3, encInteger(usec))),
  );
}

export function encodeKrbCred(tickets: readonly Uint8Array[], encPart: EncryptedData): Uint8Array {
  return encApp(MSG_KRB_CRED, encSeq(ctx(0, encInteger(KRB5_PVNO)), ctx(1, encInteger(MSG_KRB_CRED)), ctx(2, encSeq(...tickets)), ctx(3, encodeEncryptedData(encPart))));
}

export interface KrbCred {
  readonly tickets: readonly Ticket[];
  readonly encPart: EncryptedData;
}

export function decodeKrbCred(message: Uint8Array): KrbCred {
  const what = 'KRB-CRED';
  const s = openProtocolMessage(message, MSG_KRB_CRED, what);
  const tickets = sequenceOf(s, 2, `${what}.tickets`, readTicket, MAX_FORWARDED);
  const encPart = structField(s, 3, `${what}.enc-part`, decodeEncryptedData);
  s.end(what);
  return { tickets, encPart };
}

function decodeKrbCredInfo(r: DerReader, what: string): KrbCredInfo {
  return struct(r, what, (s) => {
    const key = structField(s, 0, `${what}.key`, decodeEncryptionKey);
    const prealm = optional(s, 1, (x, n) => stringField(x, n, `${what}.prealm`));
    const pname = optional(s, 2, (x, n) => structField(x, n, `${what}.pname`, decodePrincipalName));
    const flags = optional(s, 3, (x, n) => flagsField(x, n, `${what}.flags`));
    const authTime = optional(s, 4, (x, n) => timeField(x, n, `${what}.authtime`));
    const startTime = optional(s, 5, (x, n) => timeField(x, n, `${what}.starttime`));
    const endTime = optional(s, 6, (x, n) => timeField(x, n, `${what}.endtime`));
    const renewTill = optional(s, 7, (x, n) => timeField(x, n, `${what}.renew-till`));
    const srealm = optional(s, 8, (x, n) => stringField(x, n, `${what}.srealm`));
    const sname = optional(s, 9, (x, n) => structField(x, n, `${what}.sname`, decodePrincipalName));
    optional(s, 10, (x, n) => sequenceOf(x, n, `${what}.caddr`, decodeHostAddress));
    return present({ key, prealm, pname, flags, authTime, startTime, endTime, renewTill, srealm, sname });
  });
}

export function decodeEncKrbCredPart(plain: Uint8Array): KrbCredInfo[] {
  const what = 'EncKrbCredPart';
  const s = openTaggedSequence(plain, application(ENC_KRB_CRED_PART), what);
  const infos = sequenceOf(s, 0, `${what}.ticket-info`, decodeKrbCredInfo, MAX_FORWARDED);
  // nonce, timestamp, usec and the addresses are read for strictness; the acceptor needs none of them.
  optional(s, 1, (x, n) => intField(x, n, `${what}.nonce`));
  optional(s, 2, (x, n) => timeField(x, n, `${what}.timestamp`));
  optional(s, 3, (x, n) => intField(x, n, `${what}.usec`));
  optional(s, 4, (x, n) => structField(x, n, `${what}.s-address`, decodeHostAddress));
  optional(s, 5, (x, n) => structField(x, n, `${what}.r-address`, decodeHostAddress));
  s.end(what);
  return infos;
}
