// AV_PAIR lists (MS-NLMP 2.2.2.1): the server's TargetInfo in CHALLENGE, which
// the client copies into its NTLMv2 response and extends with MsvAvFlags,
// MsvAvChannelBindings and MsvAvTargetName. Decoding is strict: every pair must
// fit, fixed-size values must have their size, and the list must end with
// MsvAvEOL.

import { ByteWriter } from '../../util/bytes.js';
import { AuthProtocolError, tokenReader } from '../errors.js';
import { fromUtf16le, utf16le } from './crypto.js';

export const MsvAvEOL = 0x0000;
export const MsvAvNbComputerName = 0x0001;
export const MsvAvNbDomainName = 0x0002;
export const MsvAvDnsComputerName = 0x0003;
export const MsvAvDnsDomainName = 0x0004;
export const MsvAvDnsTreeName = 0x0005;
export const MsvAvFlags = 0x0006;
export const MsvAvTimestamp = 0x0007;
export const MsvAvSingleHost = 0x0008;
export const MsvAvTargetName = 0x0009;
export const MsvAvChannelBindings = 0x000a;

/** MsvAvFlags bits. */
export const AV_FLAG_CONSTRAINED = 0x1;
export const AV_FLAG_MIC_PRESENT = 0x2;
export const AV_FLAG_UNTRUSTED_SPN = 0x4;

const FIXED_SIZE: Readonly<Record<number, number>> = {
  [MsvAvFlags]: 4,
  [MsvAvTimestamp]: 8,
  [MsvAvChannelBindings]: 16,
};

const STRING_IDS = new Set([MsvAvNbComputerName, MsvAvNbDomainName, MsvAvDnsComputerName, MsvAvDnsDomainName, MsvAvDnsTreeName, MsvAvTargetName]);

export interface AvPair {
  readonly id: number;
  readonly value: Uint8Array;
}

/** Most pairs accepted in one list (a real TargetInfo has fewer than 12). */
const MAX_PAIRS = 64;

/**
 * Decodes an AV_PAIR list. `trailing` says what may follow MsvAvEOL: nothing
 * (TargetInfo), or the zero padding of an NTLMv2_CLIENT_CHALLENGE.
 */
export function decodeAvPairs(bytes: Uint8Array, where: string, trailing: 'none' | 'zeros' = 'none'): AvPair[] {
  const r = tokenReader(bytes, where);
  const pairs: AvPair[] = [];
  for (;;) {
    if (pairs.length >= MAX_PAIRS) throw new AuthProtocolError(`more than ${MAX_PAIRS} AV pairs`, where);
    const id = r.u16le('AvId');
    const len = r.u16le('AvLen');
    const value = r.bytesView(len, `value of AV pair ${id}`);
    if (id === MsvAvEOL) {
      if (len !== 0) throw new AuthProtocolError(`MsvAvEOL with length ${len}`, where);
      break;
    }
    const fixed = FIXED_SIZE[id];
    if (fixed !== undefined && len !== fixed) throw new AuthProtocolError(`AV pair ${id} must be ${fixed} bytes, not ${len}`, where);
    if (STRING_IDS.has(id) && len % 2 !== 0) throw new AuthProtocolError(`AV pair ${id} is UTF-16 but has an odd length ${len}`, where);
    pairs.push({ id, value });
  }
  const rest = r.rest();
  if (rest.byteLength > 0 && (trailing === 'none' || rest.some((b) => b !== 0))) {
    throw new AuthProtocolError(`${rest.byteLength} bytes after MsvAvEOL`, where);
  }
  return pairs;
}

/** Encodes pairs and appends MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Uint8Array {
  const w = new ByteWriter(128);
  for (const p of pairs) {
    if (p.id === MsvAvEOL) continue;
    w.u16le(p.id).u16le(p.value.byteLength).bytes(p.value);
  }
  return w.u16le(MsvAvEOL).u16le(0).finish();
}

export function findAvPair(pairs: readonly AvPair[], id: number): Uint8Array | undefined {
  return pairs.find((p) => p.id === id)?.value;
}

export const avString = (s: string): Uint8Array => utf16le(s);
export const avStringValue = (v: Uint8Array): string => fromUtf16le(v);

export function avU32(v: Uint8Array): number {
  return new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0, true);
}

export function u32Bytes(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, true);
  return out;
}

/** Names for diagnostics. */
export function avPairName(id: number): string {
  return (
    [
      'MsvAvEOL',
      'MsvAvNbComputerName',
      'MsvAvNbDomainName',
      'MsvAvDnsComputerName',
      'MsvAvDnsDomainName',
      'MsvAvDnsTreeName',
      'MsvAvFlags',
      'MsvAvTimestamp',
      'MsvAvSingleHost',
      'MsvAvTargetName',
      'MsvAvChannelBindings',
    ][id] ?? `AvId ${id}`
  );
}
