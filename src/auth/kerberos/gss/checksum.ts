// The authenticator checksum of a GSS-API AP-REQ (RFC 4121 4.1.1, cksumtype
// 0x8003): the MD5 of the channel bindings, the context flags and, with
// GSS_C_DELEG_FLAG, a KRB-CRED carrying the forwarded TGT.

import { createHash } from 'node:crypto';
import { concatBytes } from '../../../util/bytes.js';
import { AuthProtocolError } from '../../errors.js';

export const CKSUMTYPE_GSSAPI = 0x8003;

export const GSS_C_DELEG_FLAG = 1;
export const GSS_C_MUTUAL_FLAG = 2;
export const GSS_C_REPLAY_FLAG = 4;
export const GSS_C_SEQUENCE_FLAG = 8;
export const GSS_C_CONF_FLAG = 16;
export const GSS_C_INTEG_FLAG = 32;
/** MS-KILE 3.2.5.2: DCE style (three legs). psremote does not use it. */
export const GSS_C_DCE_STYLE = 0x1000;

export interface GssChecksum {
  /** MD5 of the gss_channel_bindings_struct, or 16 zero bytes without bindings. */
  readonly bnd: Uint8Array;
  readonly flags: number;
  readonly deleg?: Uint8Array;
}

/** The MD5 a checksum carries for channel bindings (auth/channel-bindings.ts gssChannelBindings). */
export function bindingsHash(channelBindings: Uint8Array | undefined): Uint8Array {
  return channelBindings ? new Uint8Array(createHash('md5').update(channelBindings).digest()) : new Uint8Array(16);
}

export function encodeGssChecksum(c: GssChecksum): Uint8Array {
  const head = new Uint8Array(24);
  const v = new DataView(head.buffer);
  v.setUint32(0, 16, true);
  head.set(c.bnd, 4);
  v.setUint32(20, c.flags | (c.deleg ? GSS_C_DELEG_FLAG : 0), true);
  if (!c.deleg) return head;
  const d = new Uint8Array(4);
  new DataView(d.buffer).setUint16(0, 1, true);
  new DataView(d.buffer).setUint16(2, c.deleg.byteLength, true);
  return concatBytes([head, d, c.deleg]);
}

export function decodeGssChecksum(b: Uint8Array): GssChecksum {
  const where = 'AP-REQ authenticator checksum';
  if (b.byteLength < 24) throw new AuthProtocolError(`the GSS checksum has ${b.byteLength} bytes, fewer than 24`, where);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0, true) !== 16) throw new AuthProtocolError(`the GSS checksum's Lgth is ${v.getUint32(0, true)}, not 16`, where);
  const flags = v.getUint32(20, true);
  const bnd = b.subarray(4, 20);
  if (!(flags & GSS_C_DELEG_FLAG) || b.byteLength === 24) return { bnd, flags: flags & ~GSS_C_DELEG_FLAG };
  if (b.byteLength < 28) throw new AuthProtocolError('the GSS checksum has the delegation flag but no DlgOpt/Dlgth', where);
  const opt = v.getUint16(24, true);
  const len = v.getUint16(26, true);
  if (opt !== 1) throw new AuthProtocolError(`the GSS checksum's DlgOpt is ${opt}, not 1`, where);
  if (28 + len > b.byteLength) throw new AuthProtocolError(`the GSS checksum's Dlgth ${len} runs past its end`, where);
  return { bnd, flags, deleg: b.subarray(28, 28 + len) };
}
