// RFC 4757 7.2/7.3 per-message tokens for rc4-hmac (enctype 23): MIC (TOK_ID
// 01 01) and Wrap (02 01, SEAL_ALG 10 00), inside the RFC 1964 framing
// ([APPLICATION 0], krb5 OID). Pure functions over the key and a sequence
// number. Two details follow MIT (what Windows interoperates with), not the
// RC4-HMAC draft's pseudo-code: the direction bytes after SND_SEQ are 00 for
// the initiator and ff for the acceptor (RFC 1964 1.2.1.2), and the signing
// salt of a Wrap is 13 (15 is the MIC's). Data is padded to a whole byte with
// one 0x01 (RFC 4757 7.3: "all padding is rounded up to 1 byte").

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { concatBytes } from '../../../util/bytes.js';
import { AuthIntegrityError, AuthProtocolError } from '../../errors.js';
import { Rc4 } from '../../ntlm/rc4.js';
import type { KerberosKey } from '../crypto/index.js';
import { encodeLength, encodeOid } from '../../spnego/der.js';
import { OID_KRB5 } from '../../spnego/tokens.js';

const WHERE = 'Kerberos RC4 token';
const OID = encodeOid(OID_KRB5);

const hmac = (key: Uint8Array, ...data: Uint8Array[]): Uint8Array => {
  const h = createHmac('md5', key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
};
const u32le = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const SIGNATURE_KEY = new Uint8Array(Buffer.from('signaturekey\0', 'latin1'));

function frame(innerLength: number): Uint8Array {
  return concatBytes([Uint8Array.of(0x60), encodeLength(OID.byteLength + innerLength), OID]);
}

function seqBytes(seq: number, fromAcceptor: boolean): Uint8Array {
  const d = fromAcceptor ? 0xff : 0;
  return Uint8Array.of(seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff, d, d, d, d);
}

/** Strips the framing; returns the token after the OID. */
function unframe(token: Uint8Array): Uint8Array {
  if (token[0] !== 0x60 || token.byteLength < 2) throw new AuthProtocolError('an RC4 token without its [APPLICATION 0] framing', WHERE);
  let at = 2;
  let len = token[1]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || token.byteLength < 2 + n) throw new AuthProtocolError('an RC4 token with a bad framing length', WHERE);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + token[2 + i]!;
    at = 2 + n;
  }
  if (at + len !== token.byteLength) throw new AuthProtocolError(`the RC4 token framing says ${len} bytes but ${token.byteLength - at} follow`, WHERE);
  if (!Buffer.from(token.subarray(at, at + OID.byteLength)).equals(OID)) throw new AuthProtocolError('the RC4 token is not for the krb5 mechanism', WHERE);
  return token.subarray(at + OID.byteLength);
}

function encryptSeq(kss: Uint8Array, cksum: Uint8Array, seq: Uint8Array): Uint8Array {
  return new Rc4(hmac(hmac(kss, u32le(0)), cksum)).update(seq);
}

export function getMicRc4(key: KerberosKey, fromAcceptor: boolean, seq: number, message: Uint8Array): Uint8Array {
  const header = Uint8Array.of(0x01, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff);
  const md5 = createHash('md5').update(u32le(15)).update(header).update(message).digest();
  const cksum = hmac(hmac(key.value, SIGNATURE_KEY), md5).subarray(0, 8);
  const body = concatBytes([header, encryptSeq(key.value, cksum, seqBytes(seq, fromAcceptor)), cksum]);
  return concatBytes([frame(body.byteLength), body]);
}

/** Verifies a MIC token from the peer; returns its sequence number. */
export function verifyMicRc4(key: KerberosKey, fromAcceptor: boolean, message: Uint8Array, token: Uint8Array): number {
  const t = unframe(token);
  if (t.byteLength !== 24) throw new AuthProtocolError(`an RC4 MIC token of ${t.byteLength} bytes, expected 24`, WHERE);
  if (t[0] !== 1 || t[1] !== 1 || t[2] !== 0x11 || t[3] !== 0) throw new AuthProtocolError('not an RC4-HMAC MIC token (TOK_ID 01 01, SGN_ALG 11 00)', WHERE);
  const cksum = t.subarray(16, 24);
  const md5 = createHash('md5').update(u32le(15)).update(t.subarray(0, 8)).update(message).digest();
  const mine = hmac(hmac(key.value, SIGNATURE_KEY), md5).subarray(0, 8);
  if (!timingSafeEqual(mine, cksum)) throw new AuthIntegrityError('the RC4 MIC token does not verify');
  return checkSeq(encryptSeq(key.value, cksum, t.subarray(8, 16)), fromAcceptor);
}

function checkSeq(plain: Uint8Array, fromAcceptor: boolean): number {
  const d = fromAcceptor ? 0xff : 0;
  for (let i = 4; i < 8; i++) if (plain[i] !== d) throw new AuthIntegrityError(`the RC4 token's direction says it was not sent by the ${fromAcceptor ? 'acceptor' : 'initiator'} (a reflected token?)`);
  return ((plain[0]! << 24) | (plain[1]! << 16) | (plain[2]! << 8) | plain[3]!) >>> 0;
}

/** The token header (framing and the 32 fixed bytes) and the sealed data+padding, separately (gss_wrap_iov HEADER, DATA, PADDING). */
export function wrapRc4Parts(key: KerberosKey, fromAcceptor: boolean, seq: number, data: Uint8Array, confounder?: Uint8Array): { header: Uint8Array; sealed: Uint8Array } {
  const header = Uint8Array.of(0x02, 0x01, 0x11, 0x00, 0x10, 0x00, 0xff, 0xff);
  const conf = confounder ?? new Uint8Array(randomBytes(8));
  const padded = concatBytes([data, Uint8Array.of(1)]);
  const md5 = createHash('md5').update(u32le(13)).update(header).update(conf).update(padded).digest();
  const cksum = hmac(hmac(key.value, SIGNATURE_KEY), md5).subarray(0, 8);
  const plainSeq = seqBytes(seq, fromAcceptor);
  const klocal = key.value.map((b) => b ^ 0xf0);
  const kcrypt = hmac(hmac(klocal, u32le(0)), plainSeq.subarray(0, 4));
  const rc4 = new Rc4(kcrypt);
  const encConf = rc4.update(conf);
  const sealed = rc4.update(padded);
  const body = concatBytes([header, encryptSeq(key.value, cksum, plainSeq), cksum, encConf]);
  return { header: concatBytes([frame(body.byteLength + sealed.byteLength), body]), sealed };
}

export function wrapRc4(key: KerberosKey, fromAcceptor: boolean, seq: number, data: Uint8Array, confounder?: Uint8Array): Uint8Array {
  const { header, sealed } = wrapRc4Parts(key, fromAcceptor, seq, data, confounder);
  return concatBytes([header, sealed]);
}

/** Unwraps a sealed RC4 Wrap token from the peer. */
export function unwrapRc4(key: KerberosKey, fromAcceptor: boolean, token: Uint8Array): { data: Uint8Array; seq: number } {
  const t = unframe(token);
  if (t.byteLength < 33) throw new AuthProtocolError(`an RC4 wrap token of ${t.byteLength} bytes is too short`, WHERE);
  if (t[0] !== 2 || t[1] !== 1 || t[2] !== 0x11 || t[3] !== 0 || t[6] !== 0xff || t[7] !== 0xff) throw new AuthProtocolError('not an RC4-HMAC wrap token (TOK_ID 02 01, SGN_ALG 11 00)', WHERE);
  if (t[4] !== 0x10 || t[5] !== 0) throw new AuthProtocolError('the RC4 wrap token is not sealed (SEAL_ALG is not 10 00)', WHERE);
  const cksum = t.subarray(16, 24);
  const plainSeq = encryptSeq(key.value, cksum, t.subarray(8, 16));
  const seq = checkSeq(plainSeq, fromAcceptor);
  const klocal = key.value.map((b) => b ^ 0xf0);
  const rc4 = new Rc4(hmac(hmac(klocal, u32le(0)), plainSeq.subarray(0, 4)));
  const conf = rc4.update(t.subarray(24, 32));
  const padded = rc4.update(t.subarray(32));
  const md5 = createHash('md5').update(u32le(13)).update(t.subarray(0, 8)).update(conf).update(padded).digest();
  const mine = hmac(hmac(key.value, SIGNATURE_KEY), md5).subarray(0, 8);
  if (!timingSafeEqual(mine, cksum)) throw new AuthIntegrityError('the RC4 wrap token does not verify');
  const pad = padded[padded.byteLength - 1]!;
  if (pad < 1 || pad > 8 || pad > padded.byteLength) throw new AuthIntegrityError(`the RC4 wrap token has a bad padding byte ${pad}`);
  return { data: padded.subarray(0, padded.byteLength - pad), seq };
}
