// The Kerberos messages of a GSS-API context establishment (RFC 4120 5.3,
// 5.5, 5.8; RFC 4121 4.1): AP-REQ with its Authenticator, AP-REP with its
// EncAPRepPart, the Ticket and EncTicketPart the acceptor decrypts, KRB-CRED
// for delegation, and the RFC 1964 framing (InitialContextToken with the krb5
// OID and a two-byte TOK_ID) around them. Encoding and decoding only: keys,
// clocks and checks belong to initiator.ts and acceptor.ts.

import { AuthProtocolError } from '../../errors.js';
import { DerReader, decodeOid, encodeOid, TAG_BIT_STRING, TAG_GSS_APPLICATION_0, TAG_OID, TAG_SEQUENCE, tlv, type DerLimits } from '../../spnego/der.js';
import { OID_KRB5, OID_MS_KRB5 } from '../../spnego/tokens.js';
import {
  app,
  concatBytes,
  encChecksum,
  encEncryptedData,
  encEncryptionKey,
  encInt,
  encPrincipal,
  encString,
  encTime,
  field,
  inner,
  openSequence,
  readChecksum,
  readEncryptedData,
  readEncryptionKey,
  readInt,
  readPrincipal,
  readString,
  readTime,
  required,
  type EncryptedData,
  type EncryptionKeyValue,
  type PrincipalName,
} from './asn1.js';

export const TOK_AP_REQ = 0x0100;
export const TOK_AP_REP = 0x0200;
export const TOK_KRB_ERROR = 0x0300;

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

// ---------------------------------------------------------------- Ticket

export interface TicketInfo {
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly encPart: EncryptedData;
  readonly raw: Uint8Array;
}

export function decodeTicket(r: DerReader, t: { tag: number } & Parameters<typeof openSequence>[1], what = 'Ticket'): TicketInfo {
  const { r: b, f } = openSequence(r, t, 1, 4, what);
  const vno = readInt(b, required(f, 0, 'tkt-vno', b.where), 'tkt-vno');
  if (vno !== 5) throw new AuthProtocolError(`${what} tkt-vno ${vno}, expected 5`, b.where);
  return {
    realm: readString(b, required(f, 1, 'realm', b.where), 'realm'),
    sname: readPrincipal(b, required(f, 2, 'sname', b.where), 'sname'),
    encPart: readEncryptedData(b, required(f, 3, 'enc-part', b.where), 'Ticket enc-part'),
    raw: t.raw,
  };
}

export interface EncTicketPart {
  readonly flags: number;
  readonly key: EncryptionKeyValue;
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly authTime: Date;
  readonly startTime?: Date;
  readonly endTime: Date;
}

function readFlags(r: DerReader, t: Parameters<typeof inner>[1], what: string): number {
  const v = inner(r, t, TAG_BIT_STRING, what).value;
  if (v.byteLength < 5) throw new AuthProtocolError(`${what}: a KerberosFlags BIT STRING of ${v.byteLength} bytes`, r.where);
  return ((v[1]! << 24) | (v[2]! << 16) | (v[3]! << 8) | v[4]!) >>> 0;
}

export function decodeEncTicketPart(plain: Uint8Array, where: string): EncTicketPart {
  const top = new DerReader(plain, where, LIMITS);
  const { r: b, f } = openSequence(top, top.next('EncTicketPart'), 3, 11, 'EncTicketPart');
  const start = f.get(6);
  return {
    flags: readFlags(b, required(f, 0, 'flags', b.where), 'flags'),
    key: readEncryptionKey(b, required(f, 1, 'key', b.where), 'key'),
    crealm: readString(b, required(f, 2, 'crealm', b.where), 'crealm'),
    cname: readPrincipal(b, required(f, 3, 'cname', b.where), 'cname'),
    authTime: readTime(b, required(f, 5, 'authtime', b.where), 'authtime'),
    ...(start ? { startTime: readTime(b, start, 'starttime') } : {}),
    endTime: readTime(b, required(f, 7, 'endtime', b.where), 'endtime'),
  };
}

// ---------------------------------------------------------------- AP-REQ

/** AP options bit 2 (RFC 4120 5.5.1). */
export const AP_OPTION_MUTUAL_REQUIRED = 0x20000000;

export interface Authenticator {
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly cksum?: { readonly cksumtype: number; readonly checksum: Uint8Array };
  readonly cusec: number;
  readonly ctime: Date;
  readonly subkey?: EncryptionKeyValue;
  readonly seqNumber?: number;
}

export function encodeAuthenticator(a: Authenticator): Uint8Array {
  const parts = [field(0, encInt(5)), field(1, encString(a.crealm)), field(2, encPrincipal(a.cname))];
  if (a.cksum) parts.push(field(3, encChecksum(a.cksum.cksumtype, a.cksum.checksum)));
  parts.push(field(4, encInt(a.cusec)), field(5, encTime(a.ctime)));
  if (a.subkey) parts.push(field(6, encEncryptionKey(a.subkey)));
  if (a.seqNumber !== undefined) parts.push(field(7, encInt(a.seqNumber)));
  return app(2, ...parts);
}

export function decodeAuthenticator(plain: Uint8Array, where: string): Authenticator {
  const top = new DerReader(plain, where, LIMITS);
  const { r: b, f } = openSequence(top, top.next('Authenticator'), 2, 9, 'Authenticator');
  const vno = readInt(b, required(f, 0, 'authenticator-vno', b.where), 'authenticator-vno');
  if (vno !== 5) throw new AuthProtocolError(`authenticator-vno ${vno}, expected 5`, b.where);
  const ck = f.get(3);
  const sk = f.get(6);
  const sq = f.get(7);
  const cusec = readInt(b, required(f, 4, 'cusec', b.where), 'cusec');
  if (cusec < 0 || cusec > 999_999) throw new AuthProtocolError(`cusec ${cusec} is not 0..999999`, b.where);
  return {
    crealm: readString(b, required(f, 1, 'crealm', b.where), 'crealm'),
    cname: readPrincipal(b, required(f, 2, 'cname', b.where), 'cname'),
    ...(ck ? { cksum: readChecksum(b, ck, 'cksum') } : {}),
    cusec,
    ctime: readTime(b, required(f, 5, 'ctime', b.where), 'ctime'),
    ...(sk ? { subkey: readEncryptionKey(b, sk, 'subkey') } : {}),
    ...(sq ? { seqNumber: readInt(b, sq, 'seq-number') >>> 0 } : {}),
  };
}

export function encodeApReq(apOptions: number, ticket: Uint8Array, authenticator: EncryptedData): Uint8Array {
  const opts = Uint8Array.of(0, apOptions >>> 24, (apOptions >>> 16) & 0xff, (apOptions >>> 8) & 0xff, apOptions & 0xff);
  return app(14, field(0, encInt(5)), field(1, encInt(14)), field(2, tlv(TAG_BIT_STRING, opts)), field(3, ticket), field(4, encEncryptedData(authenticator)));
}

export interface ApReq {
  readonly apOptions: number;
  readonly ticket: TicketInfo;
  readonly authenticator: EncryptedData;
}

export function decodeApReq(message: Uint8Array, where: string): ApReq {
  const top = new DerReader(message, where, LIMITS);
  const t = top.next('AP-REQ');
  top.end('AP-REQ');
  const { r: b, f } = openSequence(top, t, 14, 5, 'AP-REQ');
  if (readInt(b, required(f, 0, 'pvno', b.where), 'pvno') !== 5) throw new AuthProtocolError('AP-REQ pvno is not 5', b.where);
  const mt = readInt(b, required(f, 1, 'msg-type', b.where), 'msg-type');
  if (mt !== 14) throw new AuthProtocolError(`AP-REQ msg-type ${mt}, expected 14`, b.where);
  const tk = b.enter(required(f, 3, 'ticket', b.where), 'ticket');
  const ticket = decodeTicket(tk, tk.next('Ticket'));
  tk.end('ticket');
  return { apOptions: readFlags(b, required(f, 2, 'ap-options', b.where), 'ap-options'), ticket, authenticator: readEncryptedData(b, required(f, 4, 'authenticator', b.where), 'authenticator') };
}

// ---------------------------------------------------------------- AP-REP

export interface EncApRepPart {
  readonly ctime: Date;
  readonly cusec: number;
  readonly subkey?: EncryptionKeyValue;
  readonly seqNumber?: number;
}

export function encodeApRep(encPart: EncryptedData): Uint8Array {
  return app(15, field(0, encInt(5)), field(1, encInt(15)), field(2, encEncryptedData(encPart)));
}

export function decodeApRep(message: Uint8Array, where: string): EncryptedData {
  const top = new DerReader(message, where, LIMITS);
  const t = top.next('AP-REP');
  top.end('AP-REP');
  const { r: b, f } = openSequence(top, t, 15, 3, 'AP-REP');
  const mt = readInt(b, required(f, 1, 'msg-type', b.where), 'msg-type');
  if (mt !== 15) throw new AuthProtocolError(`AP-REP msg-type ${mt}, expected 15`, b.where);
  return readEncryptedData(b, required(f, 2, 'enc-part', b.where), 'AP-REP enc-part');
}

export function encodeEncApRepPart(p: EncApRepPart): Uint8Array {
  const parts = [field(0, encTime(p.ctime)), field(1, encInt(p.cusec))];
  if (p.subkey) parts.push(field(2, encEncryptionKey(p.subkey)));
  if (p.seqNumber !== undefined) parts.push(field(3, encInt(p.seqNumber)));
  return app(27, ...parts);
}

export function decodeEncApRepPart(plain: Uint8Array, where: string): EncApRepPart {
  const top = new DerReader(plain, where, LIMITS);
  const { r: b, f } = openSequence(top, top.next('EncAPRepPart'), 27, 4, 'EncAPRepPart');
  const sk = f.get(2);
  const sq = f.get(3);
  return {
    ctime: readTime(b, required(f, 0, 'ctime', b.where), 'ctime'),
    cusec: readInt(b, required(f, 1, 'cusec', b.where), 'cusec'),
    ...(sk ? { subkey: readEncryptionKey(b, sk, 'subkey') } : {}),
    ...(sq ? { seqNumber: readInt(b, sq, 'seq-number') >>> 0 } : {}),
  };
}

// ---------------------------------------------------------------- KRB-ERROR (inside a GSS token)

export interface KrbErrorInfo {
  readonly errorCode: number;
  readonly eText?: string;
}

export function decodeKrbErrorBrief(message: Uint8Array, where: string): KrbErrorInfo {
  const top = new DerReader(message, where, LIMITS);
  const { r: b, f } = openSequence(top, top.next('KRB-ERROR'), 30, 13, 'KRB-ERROR');
  const txt = f.get(11);
  return { errorCode: readInt(b, required(f, 6, 'error-code', b.where), 'error-code'), ...(txt ? { eText: readString(b, txt, 'e-text') } : {}) };
}

export function encodeKrbError(errorCode: number, now: Date, realm: string, sname: PrincipalName): Uint8Array {
  return app(30, field(0, encInt(5)), field(1, encInt(30)), field(4, encTime(now)), field(5, encInt(0)), field(6, encInt(errorCode)), field(9, encString(realm)), field(10, encPrincipal(sname)));
}

// ---------------------------------------------------------------- KRB-CRED (delegation)

export interface KrbCredInfo {
  readonly key: EncryptionKeyValue;
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

function encFlags(n: number): Uint8Array {
  return tlv(TAG_BIT_STRING, Uint8Array.of(0, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff));
}

export function encodeEncKrbCredPart(infos: readonly KrbCredInfo[], timestamp: Date, usec: number, nonce?: number): Uint8Array {
  const info = infos.map((i) => {
    const p = [field(0, encEncryptionKey(i.key))];
    if (i.prealm !== undefined) p.push(field(1, encString(i.prealm)));
    if (i.pname) p.push(field(2, encPrincipal(i.pname)));
    if (i.flags !== undefined) p.push(field(3, encFlags(i.flags)));
    if (i.authTime) p.push(field(4, encTime(i.authTime)));
    if (i.startTime) p.push(field(5, encTime(i.startTime)));
    if (i.endTime) p.push(field(6, encTime(i.endTime)));
    if (i.renewTill) p.push(field(7, encTime(i.renewTill)));
    if (i.srealm !== undefined) p.push(field(8, encString(i.srealm)));
    if (i.sname) p.push(field(9, encPrincipal(i.sname)));
    return tlv(TAG_SEQUENCE, ...p);
  });
  const parts = [field(0, tlv(TAG_SEQUENCE, ...info))];
  if (nonce !== undefined) parts.push(field(1, encInt(nonce)));
  parts.push(field(2, encTime(timestamp)), field(3, encInt(usec)));
  return app(29, ...parts);
}

export function encodeKrbCred(tickets: readonly Uint8Array[], encPart: EncryptedData): Uint8Array {
  return app(22, field(0, encInt(5)), field(1, encInt(22)), field(2, tlv(TAG_SEQUENCE, ...tickets)), field(3, encEncryptedData(encPart)));
}

export interface KrbCred {
  readonly tickets: readonly TicketInfo[];
  readonly encPart: EncryptedData;
}

export function decodeKrbCred(message: Uint8Array, where: string): KrbCred {
  const top = new DerReader(message, where, LIMITS);
  const t = top.next('KRB-CRED');
  top.end('KRB-CRED');
  const { r: b, f } = openSequence(top, t, 22, 4, 'KRB-CRED');
  const mt = readInt(b, required(f, 1, 'msg-type', b.where), 'msg-type');
  if (mt !== 22) throw new AuthProtocolError(`KRB-CRED msg-type ${mt}, expected 22`, b.where);
  const list = inner(b, required(f, 2, 'tickets', b.where), TAG_SEQUENCE, 'tickets');
  const lr = b.enter(list, 'tickets');
  const tickets: TicketInfo[] = [];
  while (!lr.done) {
    if (tickets.length >= 8) throw new AuthProtocolError('KRB-CRED carries more than 8 tickets', lr.where);
    tickets.push(decodeTicket(lr, lr.next('Ticket')));
  }
  return { tickets, encPart: readEncryptedData(b, required(f, 3, 'enc-part', b.where), 'KRB-CRED enc-part') };
}

export function decodeEncKrbCredPart(plain: Uint8Array, where: string): KrbCredInfo[] {
  const top = new DerReader(plain, where, LIMITS);
  const { r: b, f } = openSequence(top, top.next('EncKrbCredPart'), 29, 6, 'EncKrbCredPart');
  const list = inner(b, required(f, 0, 'ticket-info', b.where), TAG_SEQUENCE, 'ticket-info');
  const lr = b.enter(list, 'ticket-info');
  const out: KrbCredInfo[] = [];
  while (!lr.done) {
    if (out.length >= 8) throw new AuthProtocolError('EncKrbCredPart has more than 8 entries', lr.where);
    const { r: ir, f: fi } = openSequence(lr, lr.next('KrbCredInfo'), undefined, 11, 'KrbCredInfo');
    const o = <T>(n: number, read: (t: NonNullable<ReturnType<typeof fi.get>>) => T): T | undefined => {
      const x = fi.get(n);
      return x ? read(x) : undefined;
    };
    const info: KrbCredInfo = {
      key: readEncryptionKey(ir, required(fi, 0, 'key', ir.where), 'key'),
      prealm: o(1, (x) => readString(ir, x, 'prealm')),
      pname: o(2, (x) => readPrincipal(ir, x, 'pname')),
      flags: o(3, (x) => readFlags(ir, x, 'flags')),
      authTime: o(4, (x) => readTime(ir, x, 'authtime')),
      startTime: o(5, (x) => readTime(ir, x, 'starttime')),
      endTime: o(6, (x) => readTime(ir, x, 'endtime')),
      renewTill: o(7, (x) => readTime(ir, x, 'renew-till')),
      srealm: o(8, (x) => readString(ir, x, 'srealm')),
      sname: o(9, (x) => readPrincipal(ir, x, 'sname')),
    };
    out.push(info);
  }
  return out;
}

export { concatBytes };
