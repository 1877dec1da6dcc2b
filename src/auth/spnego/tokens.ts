// SPNEGO negotiation tokens (RFC 4178 4.2, MS-SPNG 2.2): the first token is a
// GSS-API InitialContextToken ([APPLICATION 0] with the SPNEGO OID) around a
// NegTokenInit (or Microsoft's NegTokenInit2 with negHints); every later token
// is a bare NegTokenResp. Decoding is strict DER (der.ts): context tags in
// ascending order, each at most once, nothing unknown, nothing trailing. The
// raw DER of mechTypes is kept because the mechListMIC is computed over it.

import { AuthProtocolError } from '../errors.js';
import { context, decodeOid, DerReader, encodeOid, TAG_BIT_STRING, TAG_ENUMERATED, TAG_GENERAL_STRING, TAG_GSS_APPLICATION_0, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, tlv, type DerLimits, type Tlv } from './der.js';

export const OID_SPNEGO = '1.3.6.1.5.5.2';
export const OID_NTLM = '1.3.6.1.4.1.311.2.2.10';
export const OID_KRB5 = '1.2.840.113554.1.2.2';
/** The "erroneous" Kerberos OID Windows lists first (MS-SPNG 3.2.5). */
export const OID_MS_KRB5 = '1.2.840.48018.1.2.2';
export const OID_KRB5_USER_TO_USER = '1.2.840.113554.1.2.2.3';
export const OID_NEGOEX = '1.3.6.1.4.1.311.2.2.30';

export type NegState = 'accept-completed' | 'accept-incomplete' | 'reject' | 'request-mic';
const NEG_STATES: readonly NegState[] = ['accept-completed', 'accept-incomplete', 'reject', 'request-mic'];

export interface NegHints {
  readonly hintName?: string;
  readonly hintAddress?: Uint8Array;
}

export interface NegTokenInit {
  readonly kind: 'init';
  readonly mechTypes: readonly string[];
  /** DER of the MechTypeList (SEQUENCE OF OID), as received: what the mechListMIC covers. */
  readonly mechTypesDer: Uint8Array;
  /** ContextFlags BIT STRING value (first octet is the unused-bit count); acceptors ignore it (MS-SPNG 3.1.5.3). */
  readonly reqFlags?: Uint8Array;
  readonly mechToken?: Uint8Array;
  /** MS-SPNG NegTokenInit2 only. */
  readonly negHints?: NegHints;
  readonly mechListMIC?: Uint8Array;
}

export interface NegTokenResp {
  readonly kind: 'resp';
  readonly negState?: NegState;
  readonly supportedMech?: string;
  readonly responseToken?: Uint8Array;
  readonly mechListMIC?: Uint8Array;
}

export type NegotiationToken = NegTokenInit | NegTokenResp;

const WHERE = 'SPNEGO token';

/** Reads the context-tagged fields of a SEQUENCE: ascending tags, each once, only the allowed ones. */
function fields(r: DerReader, allowed: number, what: string): Map<number, Tlv> {
  const out = new Map<number, Tlv>();
  let last = -1;
  while (!r.done) {
    const t = r.next(`${what} field`);
    const n = t.tag & 0x1f;
    if ((t.tag & 0xe0) !== 0xa0 || n >= allowed) {
      throw new AuthProtocolError(`${what}: unexpected tag 0x${t.tag.toString(16)} at offset ${t.offset}`, r.where);
    }
    if (n <= last) throw new AuthProtocolError(`${what}: field [${n}] at offset ${t.offset} is out of order or repeated`, r.where);
    last = n;
    out.set(n, t);
  }
  return out;
}

/** The fields of the SEQUENCE inside the explicit tag `t` (negTokenInit [0], negTokenResp [1]). */
function taggedSequence(r: DerReader, t: Tlv, allowed: number, tagName: string, what: string): { body: DerReader; f: Map<number, Tlv> } {
  const outer = r.enter(t, tagName);
  const seq = outer.expect(TAG_SEQUENCE, what);
  outer.end(tagName);
  const body = outer.enter(seq, what);
  return { body, f: fields(body, allowed, what) };
}

function oidOf(r: DerReader, t: Tlv, what: string): string {
  return decodeOid(t.value, what, r.where);
}

function decodeMechTypes(r: DerReader, t: Tlv): { mechTypes: string[]; mechTypesDer: Uint8Array } {
  const c = r.enter(t, 'mechTypes');
  const list = c.expect(TAG_SEQUENCE, 'MechTypeList');
  c.end('mechTypes');
  const lr = c.enter(list, 'MechTypeList');
  const mechTypes: string[] = [];
  while (!lr.done) {
    if (mechTypes.length >= 32) throw new AuthProtocolError('mechTypes lists more than 32 mechanisms', lr.where);
    mechTypes.push(oidOf(lr, lr.expect(TAG_OID, 'MechType'), 'MechType'));
  }
  if (mechTypes.length === 0) throw new AuthProtocolError('mechTypes is empty', lr.where);
  return { mechTypes, mechTypesDer: list.raw };
}

function decodeInit(r: DerReader, t: Tlv): NegTokenInit {
  const { body, f } = taggedSequence(r, t, 5, 'negTokenInit', 'NegTokenInit');
  const mt = f.get(0);
  if (!mt) throw new AuthProtocolError('NegTokenInit has no mechTypes', body.where);
  const token: { -readonly [K in keyof NegTokenInit]: NegTokenInit[K] } = { kind: 'init', ...decodeMechTypes(body, mt) };
  const flags = f.get(1);
  if (flags) token.reqFlags = body.inner(flags, TAG_BIT_STRING, 'reqFlags').value;
  const mech = f.get(2);
  if (mech) token.mechToken = body.inner(mech, TAG_OCTET_STRING, 'mechToken').value;
  const three = f.get(3);
  if (three) {
    // [3] is mechListMIC in RFC 4178's NegTokenInit and negHints in MS-SPNG's NegTokenInit2.
    const c = body.enter(three, '[3]');
    if (c.peekTag() === TAG_SEQUENCE) token.negHints = decodeNegHints(c, c.next('negHints'));
    else token.mechListMIC = c.expect(TAG_OCTET_STRING, 'mechListMIC').value;
    c.end('[3]');
  }
  const four = f.get(4);
  if (four) {
    if (!token.negHints) throw new AuthProtocolError('field [4] (NegTokenInit2 mechListMIC) without negHints', body.where);
    token.mechListMIC = body.inner(four, TAG_OCTET_STRING, 'mechListMIC').value;
  }
  return token;
}

function decodeNegHints(r: DerReader, t: Tlv): NegHints {
  const hr = r.enter(t, 'negHints');
  const f = fields(hr, 2, 'NegHints');
  const hints: { hintName?: string; hintAddress?: Uint8Array } = {};
  const name = f.get(0);
  if (name) hints.hintName = Buffer.from(hr.inner(name, TAG_GENERAL_STRING, 'hintName').value).toString('latin1');
  const address = f.get(1);
  if (address) hints.hintAddress = hr.inner(address, TAG_OCTET_STRING, 'hintAddress').value;
  return hints;
}

function decodeResp(r: DerReader, t: Tlv): NegTokenResp {
  const { body, f } = taggedSequence(r, t, 4, 'negTokenResp', 'NegTokenResp');
  const token: { -readonly [K in keyof NegTokenResp]: NegTokenResp[K] } = { kind: 'resp' };
  const state = f.get(0);
  if (state) {
    const v = body.inner(state, TAG_ENUMERATED, 'negState');
    const n = v.value.byteLength === 1 ? v.value[0]! : -1;
    const s = NEG_STATES[n];
    if (s === undefined) throw new AuthProtocolError(`negState ${Buffer.from(v.value).toString('hex')} at offset ${v.offset} is not one of 0..3`, body.where);
    token.negState = s;
  }
  const mech = f.get(1);
  if (mech) token.supportedMech = oidOf(body, body.inner(mech, TAG_OID, 'supportedMech'), 'supportedMech');
  const resp = f.get(2);
  if (resp) token.responseToken = body.inner(resp, TAG_OCTET_STRING, 'responseToken').value;
  const mic = f.get(3);
  if (mic) token.mechListMIC = body.inner(mic, TAG_OCTET_STRING, 'mechListMIC').value;
  return token;
}

/**
 * Decodes a SPNEGO token: an InitialContextToken carrying a NegTokenInit(2),
 * or a bare NegTokenResp (RFC 4178 4.2: subsequent tokens are not wrapped).
 */
export function decodeNegotiationToken(token: Uint8Array, limits: DerLimits = {}): NegotiationToken {
  const top = new DerReader(token, WHERE, limits);
  const first = top.next('token');
  top.end('token');
  if (first.tag === TAG_GSS_APPLICATION_0) {
    const r = top.enter(first, 'InitialContextToken');
    const mech = oidOf(r, r.expect(TAG_OID, 'thisMech'), 'thisMech');
    if (mech !== OID_SPNEGO) throw new AuthProtocolError(`InitialContextToken is for mechanism ${mech}, not SPNEGO (${OID_SPNEGO})`, r.where);
    const choice = r.expect(context(0), 'negTokenInit');
    r.end('InitialContextToken');
    return decodeInit(r, choice);
  }
  if (first.tag === context(1)) return decodeResp(top, first);
  if (first.tag === context(0)) return decodeInit(top, first);
  throw new AuthProtocolError(`tag 0x${first.tag.toString(16)} at offset 0 is neither an InitialContextToken nor a NegTokenResp`, WHERE);
}

/** Whether bytes look like a SPNEGO token (not raw NTLM or Kerberos), by their first bytes only. */
export function looksLikeSpnego(token: Uint8Array): boolean {
  if (token[0] === context(1)) return true;
  if (token[0] !== TAG_GSS_APPLICATION_0) return false;
  const spnego = encodeOid(OID_SPNEGO);
  const lenBytes = token[1] !== undefined && token[1] > 0x80 ? 2 + (token[1] & 0x7f) : 2;
  return Buffer.from(token.subarray(lenBytes, lenBytes + spnego.byteLength)).equals(spnego);
}

// ---------------------------------------------------------------- encoding

/** DER of a MechTypeList (SEQUENCE OF OID). */
export function encodeMechTypes(mechTypes: readonly string[]): Uint8Array {
  return tlv(TAG_SEQUENCE, ...mechTypes.map(encodeOid));
}

const octets = (n: number, v: Uint8Array): Uint8Array => tlv(context(n), tlv(TAG_OCTET_STRING, v));

/** An InitialContextToken carrying a NegTokenInit (or NegTokenInit2 when negHints is given). */
export function encodeNegTokenInit(t: Omit<NegTokenInit, 'kind' | 'mechTypesDer'>): Uint8Array {
  const parts = [tlv(context(0), encodeMechTypes(t.mechTypes))];
  if (t.reqFlags) parts.push(tlv(context(1), tlv(TAG_BIT_STRING, t.reqFlags)));
  if (t.mechToken) parts.push(octets(2, t.mechToken));
  if (t.negHints) {
    const h: Uint8Array[] = [];
    if (t.negHints.hintName !== undefined) h.push(tlv(context(0), tlv(TAG_GENERAL_STRING, new Uint8Array(Buffer.from(t.negHints.hintName, 'latin1')))));
    if (t.negHints.hintAddress) h.push(tlv(context(1), tlv(TAG_OCTET_STRING, t.negHints.hintAddress)));
    parts.push(tlv(context(3), tlv(TAG_SEQUENCE, ...h)));
    if (t.mechListMIC) parts.push(octets(4, t.mechListMIC));
  } else if (t.mechListMIC) parts.push(octets(3, t.mechListMIC));
  return tlv(TAG_GSS_APPLICATION_0, encodeOid(OID_SPNEGO), tlv(context(0), tlv(TAG_SEQUENCE, ...parts)));
}

/** A bare NegTokenResp. */
export function encodeNegTokenResp(t: Omit<NegTokenResp, 'kind'>): Uint8Array {
  const parts: Uint8Array[] = [];
  if (t.negState) parts.push(tlv(context(0), tlv(TAG_ENUMERATED, Uint8Array.of(NEG_STATES.indexOf(t.negState)))));
  if (t.supportedMech) parts.push(tlv(context(1), encodeOid(t.supportedMech)));
  if (t.responseToken) parts.push(octets(2, t.responseToken));
  if (t.mechListMIC) parts.push(octets(3, t.mechListMIC));
  return tlv(context(1), tlv(TAG_SEQUENCE, ...parts));
}

export type InnerTokenKind = 'ntlm-negotiate' | 'ntlm-challenge' | 'ntlm-authenticate' | 'kerberos-ap-req' | 'kerberos-ap-rep' | 'kerberos-error' | 'unknown';

/** What a mechToken/responseToken carries, from its header (no full parse). */
export function innerTokenKind(token: Uint8Array): InnerTokenKind {
  if (token.byteLength >= 12 && Buffer.from(token.subarray(0, 8)).toString('latin1') === 'NTLMSSP\0') {
    return (['unknown', 'ntlm-negotiate', 'ntlm-challenge', 'ntlm-authenticate'] as const)[token[8]!] ?? 'unknown';
  }
  if (token[0] !== TAG_GSS_APPLICATION_0) return 'unknown';
  try {
    const r = new DerReader(token, 'Kerberos token');
    const t = r.next('token');
    const c = r.enter(t, 'InitialContextToken');
    const mech = decodeOid(c.expect(TAG_OID, 'thisMech').value, 'thisMech', c.where);
    if (mech !== OID_KRB5 && mech !== OID_MS_KRB5) return 'unknown';
    // RFC 1964 1.1: a two-byte TOK_ID follows the mechanism OID.
    const oidLen = encodeOid(mech).byteLength;
    const header = t.raw.byteLength - t.value.byteLength;
    const id = token.subarray(header + oidLen, header + oidLen + 2);
    const k = id[1] === 0 ? ({ 1: 'kerberos-ap-req', 2: 'kerberos-ap-rep', 3: 'kerberos-error' } as const)[id[0] as 1 | 2 | 3] : undefined;
    return k ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
