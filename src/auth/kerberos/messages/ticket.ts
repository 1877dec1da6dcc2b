// Ticket and EncTicketPart (RFC 4120 5.3). The Ticket's DER bytes travel
// unchanged: the KDC's reply, the ccache and the AP-REQ carry the same bytes,
// so decodeTicket keeps `der` and encodeTicket of a decoded ticket is not
// needed to resend it.

import { application, ctx, type DerReader, encApp, encFlags, encInteger, encOctets, encSeq, encString, encTime, flagsField, intField, messageReader, octetsField, openTaggedSequence, optional, present, sequence, sequenceOf, stringField, struct, structField, timeField } from './der.js';
import { AuthProtocolError } from '../../errors.js';
import { decodeAuthorizationDataEntry, decodeEncryptedData, decodeEncryptionKey, decodeHostAddress, decodePrincipalName, encodeAuthorizationDataEntry, encodeEncryptedData, encodeEncryptionKey, encodeHostAddress, encodePrincipalName, type AuthorizationDataEntry, type EncryptedData, type EncryptionKey, type HostAddress, type PrincipalName } from './common.js';
import { KRB5_PVNO } from './constants.js';

export interface Ticket {
  readonly realm: string;
  readonly sname: PrincipalName;
  readonly encPart: EncryptedData;
  /** The whole [APPLICATION 1] encoding as received. */
  readonly der: Uint8Array;
}

export interface EncTicketPart {
  readonly flags: number;
  readonly key: EncryptionKey;
  readonly crealm: string;
  readonly cname: PrincipalName;
  readonly transited: { readonly trType: number; readonly contents: Uint8Array };
  readonly authTime: Date;
  readonly startTime?: Date;
  readonly endTime: Date;
  readonly renewTill?: Date;
  readonly caddr?: readonly HostAddress[];
  readonly authorizationData?: readonly AuthorizationDataEntry[];
}

export function checkPvno(s: DerReader, n: number, what: string): void {
  const v = intField(s, n, `${what} version`);
  if (v !== KRB5_PVNO) throw new AuthProtocolError(`${what}: protocol version ${v}, expected 5`, s.where);
}

export function checkMsgType(s: DerReader, n: number, want: number, what: string): void {
  const got = intField(s, n, `${what}.msg-type`);
  if (got !== want) throw new AuthProtocolError(`${what}: msg-type ${got}, expected ${want}`, s.where);
}

/** The fields of a protocol message, `[APPLICATION msgType] SEQUENCE { pvno [first], msg-type [first+1], … }`, after checking those two. */
export function openProtocolMessage(der: Uint8Array, msgType: number, what: string, first = 0): DerReader {
  const s = openTaggedSequence(der, application(msgType), what);
  checkPvno(s, first, what);
  checkMsgType(s, first + 1, msgType, what);
  return s;
}

/** A Ticket as the next value of `r` (inside another message). */
export function readTicket(r: DerReader, what: string): Ticket {
  const t = r.expect(application(1), what);
  const s = sequence(r.enter(t, what), what);
  checkPvno(s, 0, what);
  const realm = stringField(s, 1, `${what}.realm`);
  const sname = structField(s, 2, `${what}.sname`, decodePrincipalName);
  const encPart = structField(s, 3, `${what}.enc-part`, decodeEncryptedData);
  s.end(what);
  return { realm, sname, encPart, der: t.raw.slice() };
}

/** A whole DER Ticket (what a ccache holds and an AP-REQ embeds). */
export function decodeTicket(der: Uint8Array): Ticket {
  const r = messageReader(der, 'Ticket');
  const t = readTicket(r, 'Ticket');
  r.end('Ticket');
  return t;
}

export function encodeTicket(t: Omit<Ticket, 'der'>): Uint8Array {
  return encApp(1, encSeq(ctx(0, encInteger(KRB5_PVNO)), ctx(1, encString(t.realm)), ctx(2, encodePrincipalName(t.sname)), ctx(3, encodeEncryptedData(t.encPart))));
}

export function decodeEncTicketPart(der: Uint8Array): EncTicketPart {
  const what = 'EncTicketPart';
  const s = openTaggedSequence(der, application(3), what);
  const flags = flagsField(s, 0, `${what}.flags`);
  const key = structField(s, 1, `${what}.key`, decodeEncryptionKey);
  const crealm = stringField(s, 2, `${what}.crealm`);
  const cname = structField(s, 3, `${what}.cname`, decodePrincipalName);
  const transited = structField(s, 4, `${what}.transited`, (r, w) =>
    struct(r, w, (t) => ({ trType: intField(t, 0, `${w}.tr-type`), contents: octetsField(t, 1, `${w}.contents`) })),
  );
  const authTime = timeField(s, 5, `${what}.authtime`);
  const startTime = optional(s, 6, (x, n) => timeField(x, n, `${what}.starttime`));
  const endTime = timeField(s, 7, `${what}.endtime`);
  const renewTill = optional(s, 8, (x, n) => timeField(x, n, `${what}.renew-till`));
  const caddr = optional(s, 9, (x, n) => sequenceOf(x, n, `${what}.caddr`, decodeHostAddress));
  const authorizationData = optional(s, 10, (x, n) => sequenceOf(x, n, `${what}.authorization-data`, decodeAuthorizationDataEntry, 1024));
  s.end(what);
  return present({ flags, key, crealm, cname, transited, authTime, endTime, startTime, renewTill, caddr, authorizationData });
}

/** For tests and a future KDC-less acceptor test: what a KDC puts inside a ticket. */
export function encodeEncTicketPart(p: EncTicketPart): Uint8Array {
  return encApp(
    3,
    encSeq(
      ctx(0, encFlags(p.flags)),
      ctx(1, encodeEncryptionKey(p.key)),
      ctx(2, encString(p.crealm)),
      ctx(3, encodePrincipalName(p.cname)),
      ctx(4, encSeq(ctx(0, encInteger(p.transited.trType)), ctx(1, encOctets(p.transited.contents)))),
      ctx(5, encTime(p.authTime)),
      p.startTime && ctx(6, encTime(p.startTime)),
      ctx(7, encTime(p.endTime)),
      p.renewTill && ctx(8, encTime(p.renewTill)),
      p.caddr && ctx(9, encSeq(...p.caddr.map(encodeHostAddress))),
      p.authorizationData && ctx(10, encSeq(...p.authorizationData.map(encodeAuthorizationDataEntry))),
    ),
  );
}
