// RFC 4121 4.2 per-message tokens for the AES enctypes: MIC (TOK_ID 04 04) and
// Wrap with confidentiality (TOK_ID 05 04). Pure functions over a key and a
// sequence number; context.ts keeps the sequence state.
//
// Layout of what psremote sends, the one MIT's gss_wrap_iov makes with
// HEADER/DATA/PADDING buffers (spec-notes/kerberos-wrap.md): EC 0 (CTS needs no
// padding) and RRC 28, so that after the 16-byte header come the encrypted
// header copy (16) and the HMAC (12), then the encrypted confounder (16), and
// the data is encrypted in place. The stream form (gss_wrap) is the same with
// any RRC. On receipt any EC and RRC are taken: the RFC's rotation by RRC, and
// Windows' rotation by RRC+EC (MS-KILE 3.4.5.4.1) when EC is not zero.

import { decrypt, encrypt, makeChecksum, verifyChecksum, type KerberosKey } from '../crypto/index.js';
import { AuthIntegrityError, AuthProtocolError } from '../../errors.js';
import { concatBytes } from '../../../util/bytes.js';

export const KG_USAGE_ACCEPTOR_SEAL = 22;
export const KG_USAGE_ACCEPTOR_SIGN = 23;
export const KG_USAGE_INITIATOR_SEAL = 24;
export const KG_USAGE_INITIATOR_SIGN = 25;

export const FLAG_SENT_BY_ACCEPTOR = 0x01;
export const FLAG_SEALED = 0x02;
export const FLAG_ACCEPTOR_SUBKEY = 0x04;

/** What the sender's side of the context is. */
export interface CfxDirection {
  /** True for tokens the acceptor sends. */
  readonly fromAcceptor: boolean;
  /** The context uses the acceptor's subkey (AP-REP subkey). */
  readonly acceptorSubkey: boolean;
}

const WHERE = 'Kerberos wrap token';
/** RFC 3961 for the AES enctypes: 16-byte confounder, 12-byte HMAC. */
const CONFOUNDER = 16;
const HMAC = 12;
/** The RRC MIT's gss_wrap_iov uses without a TRAILER buffer: E(header) and the HMAC. */
export const CFX_RRC = 16 + HMAC;
/** The header a WinRM message carries before the sealed data: token header, E(header), HMAC, confounder. */
export const CFX_WINRM_HEADER = 16 + CFX_RRC + CONFOUNDER;

function flagsOf(d: CfxDirection, sealed: boolean): number {
  return (d.fromAcceptor ? FLAG_SENT_BY_ACCEPTOR : 0) | (sealed ? FLAG_SEALED : 0) | (d.acceptorSubkey ? FLAG_ACCEPTOR_SUBKEY : 0);
}

function writeSeq(h: Uint8Array, at: number, seq: bigint): void {
  new DataView(h.buffer, h.byteOffset).setBigUint64(at, seq, false);
}

function rotateRight(b: Uint8Array, n: number): Uint8Array {
  if (b.byteLength === 0) return b;
  const k = n % b.byteLength;
  if (k === 0) return b;
  return concatBytes([b.subarray(b.byteLength - k), b.subarray(0, b.byteLength - k)]);
}

function rotateLeft(b: Uint8Array, n: number): Uint8Array {
  return b.byteLength === 0 ? b : rotateRight(b, b.byteLength - (n % b.byteLength));
}

function checkFlags(flags: number, d: CfxDirection, sealed: boolean, what: string): void {
  const fromAcceptor = (flags & FLAG_SENT_BY_ACCEPTOR) !== 0;
  if (fromAcceptor !== d.fromAcceptor) throw new AuthIntegrityError(`${what} says it was sent by the ${fromAcceptor ? 'acceptor' : 'initiator'}, but came from the ${d.fromAcceptor ? 'acceptor' : 'initiator'} (a reflected token?)`);
  if (((flags & FLAG_ACCEPTOR_SUBKEY) !== 0) !== d.acceptorSubkey) throw new AuthIntegrityError(`${what} has AcceptorSubkey ${flags & FLAG_ACCEPTOR_SUBKEY ? 'set' : 'clear'}, which does not match the context`);
  if (sealed && (flags & FLAG_SEALED) === 0) throw new AuthProtocolError(`${what} is not sealed, but the context requires confidentiality`, WHERE);
  if (flags & ~7) throw new AuthProtocolError(`${what} has unknown flags 0x${flags.toString(16)}`, WHERE);
}

export function getMicCfx(key: KerberosKey, d: CfxDirection, seq: bigint, message: Uint8Array): Uint8Array {
  const h = Uint8Array.of(0x04, 0x04, flagsOf(d, false), 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0);
  writeSeq(h, 8, seq);
  const usage = d.fromAcceptor ? KG_USAGE_ACCEPTOR_SIGN : KG_USAGE_INITIATOR_SIGN;
  return concatBytes([h, makeChecksum(key, usage, concatBytes([message, h])).checksum]);
}

/** Verifies a MIC token; returns its sequence number. */
export function verifyMicCfx(key: KerberosKey, d: CfxDirection, message: Uint8Array, token: Uint8Array): bigint {
  if (token.byteLength < 16 + HMAC) throw new AuthProtocolError(`a MIC token of ${token.byteLength} bytes is shorter than ${16 + HMAC}`, WHERE);
  if (token[0] !== 0x04 || token[1] !== 0x04) throw new AuthProtocolError(`MIC token TOK_ID ${token[0]?.toString(16)} ${token[1]?.toString(16)}, expected 04 04`, WHERE);
  checkFlags(token[2]!, d, false, 'the MIC token');
  for (let i = 3; i < 8; i++) if (token[i] !== 0xff) throw new AuthProtocolError('MIC token filler is not ff ff ff ff ff', WHERE);
  const h = token.subarray(0, 16);
  const usage = d.fromAcceptor ? KG_USAGE_ACCEPTOR_SIGN : KG_USAGE_INITIATOR_SIGN;
  if (!verifyChecksum(key, usage, concatBytes([message, h]), key.enctype === 17 ? 15 : 16, token.subarray(16))) throw new AuthIntegrityError('the MIC token does not verify');
  return new DataView(token.buffer, token.byteOffset).getBigUint64(8, false);
}

/** A sealed Wrap token (stream form): header | rotate_right(E(data | header), rrc). */
export function wrapCfx(key: KerberosKey, d: CfxDirection, seq: bigint, data: Uint8Array, rrc = CFX_RRC, confounder?: Uint8Array): Uint8Array {
  const h = Uint8Array.of(0x05, 0x04, flagsOf(d, true), 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  writeSeq(h, 8, seq);
  const usage = d.fromAcceptor ? KG_USAGE_ACCEPTOR_SEAL : KG_USAGE_INITIATOR_SEAL;
  // EC 0: the header copy inside the encryption has EC 0 and RRC 0.
  const e = encrypt(key, usage, concatBytes([data, h]), confounder);
  const out = Uint8Array.from(h);
  out[6] = rrc >> 8;
  out[7] = rrc & 0xff;
  return concatBytes([out, rotateRight(e, rrc)]);
}

/** Unwraps a sealed Wrap token; returns the data and the sequence number. */
export function unwrapCfx(key: KerberosKey, d: CfxDirection, token: Uint8Array): { data: Uint8Array; seq: bigint } {
  if (token.byteLength < 16 + CONFOUNDER + 16 + HMAC) throw new AuthProtocolError(`a wrap token of ${token.byteLength} bytes is too short`, WHERE);
  if (token[0] !== 0x05 || token[1] !== 0x04) throw new AuthProtocolError(`wrap token TOK_ID ${token[0]!.toString(16)} ${token[1]!.toString(16)}, expected 05 04`, WHERE);
  checkFlags(token[2]!, d, true, 'the wrap token');
  if (token[3] !== 0xff) throw new AuthProtocolError('wrap token filler is not ff', WHERE);
  const ec = (token[4]! << 8) | token[5]!;
  const rrc = (token[6]! << 8) | token[7]!;
  const body = token.subarray(16);
  if (ec > body.byteLength) throw new AuthProtocolError(`wrap token EC ${ec} is larger than the token`, WHERE);
  // RRC is outside the checksum: a rotation by a whole turn more would decrypt the
  // same, so one that is not less than the body is refused rather than taken mod its length.
  if (rrc >= body.byteLength) throw new AuthProtocolError(`wrap token RRC ${rrc} is not less than its ${body.byteLength} rotated bytes`, WHERE);
  const usage = d.fromAcceptor ? KG_USAGE_ACCEPTOR_SEAL : KG_USAGE_INITIATOR_SEAL;
  const rotations = ec !== 0 ? [rrc, rrc + ec] : [rrc];
  let plain: Uint8Array | undefined;
  for (const [i, r] of rotations.entries()) {
    try {
      plain = decrypt(key, usage, rotateLeft(body, r), 'the wrap token');
      break;
    } catch (e) {
      if (i === rotations.length - 1) throw e;
    }
  }
  if (!plain || plain.byteLength < ec + 16) throw new AuthIntegrityError('the wrap token decrypts to less than its header copy');
  const copy = plain.subarray(plain.byteLength - 16);
  for (let i = 0; i < 16; i++) {
    if (i === 6 || i === 7) continue; // RRC is not protected (RFC 4121 4.2.5)
    if (copy[i] !== token[i]) throw new AuthIntegrityError('the wrap token header does not match its encrypted copy');
  }
  return { data: plain.subarray(0, plain.byteLength - 16 - ec), seq: new DataView(token.buffer, token.byteOffset).getBigUint64(8, false) };
}
