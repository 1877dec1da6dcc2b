// The NTLM one-way functions and key derivations (MS-NLMP 3.3.2, 3.4.5).
// MD5 and HMAC-MD5 come from node:crypto (Node 20's OpenSSL 3 still has them);
// MD4 and RC4 are ours. Nothing here does I/O or keeps state.

import { createHash, createHmac } from 'node:crypto';
import { concatBytes } from '../../util/bytes.js';
import { md4 } from './md4.js';
import { rc4 } from './rc4.js';
import { hasFlag, NTLMSSP_NEGOTIATE_128, NTLMSSP_NEGOTIATE_56, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY, NTLMSSP_NEGOTIATE_KEY_EXCH, NTLMSSP_NEGOTIATE_SEAL, NTLMSSP_NEGOTIATE_SIGN } from './flags.js';

export function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function utf16le(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf16le'));
}

export function fromUtf16le(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf16le');
}

/** NTOWFv1: the NT hash, MD4(UTF-16LE(password)). */
export function ntowfv1(password: string): Uint8Array {
  return md4(utf16le(password));
}

/** NTOWFv2 = HMAC_MD5(NT hash, UTF-16LE(Uppercase(User) + UserDom)). */
export function ntowfv2(ntHash: Uint8Array, user: string, domain: string): Uint8Array {
  return hmacMd5(ntHash, utf16le(user.toUpperCase() + domain));
}

/**
 * The NTLMv2_CLIENT_CHALLENGE ("temp" in 3.3.2): RespType 1, HiRespType 1,
 * 6 zero bytes, the FILETIME, the client challenge, 4 zero bytes, the AV
 * pairs (ending with MsvAvEOL), then 4 more zero bytes.
 */
export function ntlmv2ClientChallenge(time: Uint8Array, clientChallenge: Uint8Array, avPairs: Uint8Array): Uint8Array {
  return concatBytes([new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0]), time, clientChallenge, new Uint8Array(4), avPairs, new Uint8Array(4)]);
}

export interface Ntlmv2Response {
  readonly ntProofStr: Uint8Array;
  readonly ntChallengeResponse: Uint8Array;
  readonly lmChallengeResponse: Uint8Array;
  readonly sessionBaseKey: Uint8Array;
}

/** ComputeResponse for NTLMv2 (3.3.2), given NTOWFv2 (= ResponseKeyNT = ResponseKeyLM). */
export function computeNtlmv2Response(responseKey: Uint8Array, serverChallenge: Uint8Array, clientChallenge: Uint8Array, temp: Uint8Array): Ntlmv2Response {
  const ntProofStr = hmacMd5(responseKey, serverChallenge, temp);
  return {
    ntProofStr,
    ntChallengeResponse: concatBytes([ntProofStr, temp]),
    lmChallengeResponse: concatBytes([hmacMd5(responseKey, serverChallenge, clientChallenge), clientChallenge]),
    sessionBaseKey: hmacMd5(responseKey, ntProofStr),
  };
}

/**
 * KXKEY for NTLM v1 with extended session security (3.4.5.1); for NTLMv2 the
 * key exchange key is the session base key itself.
 */
export function kxkeyV1Ess(sessionBaseKey: Uint8Array, serverChallenge: Uint8Array, lmChallengeResponse: Uint8Array): Uint8Array {
  return hmacMd5(sessionBaseKey, serverChallenge, lmChallengeResponse.subarray(0, 8));
}

/** Whether the AUTHENTICATE carries an EncryptedRandomSessionKey (key exchange in use). */
export function usesKeyExchange(flags: number): boolean {
  return hasFlag(flags, NTLMSSP_NEGOTIATE_KEY_EXCH) && (hasFlag(flags, NTLMSSP_NEGOTIATE_SIGN) || hasFlag(flags, NTLMSSP_NEGOTIATE_SEAL));
}

/** EncryptedRandomSessionKey = RC4K(KeyExchangeKey, ExportedSessionKey), and its inverse. */
export function encryptSessionKey(keyExchangeKey: Uint8Array, exportedSessionKey: Uint8Array): Uint8Array {
  return rc4(keyExchangeKey, exportedSessionKey);
}
export const decryptSessionKey = encryptSessionKey;

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(`${s}\0`, 'latin1'));
const CLIENT_SIGN = ascii('session key to client-to-server signing key magic constant');
const SERVER_SIGN = ascii('session key to server-to-client signing key magic constant');
const CLIENT_SEAL = ascii('session key to client-to-server sealing key magic constant');
const SERVER_SEAL = ascii('session key to server-to-client sealing key magic constant');

export type Mode = 'Client' | 'Server';

/** SIGNKEY (3.4.5.2); only defined with extended session security. */
export function signKey(flags: number, exportedSessionKey: Uint8Array, mode: Mode): Uint8Array | undefined {
  if (!hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) return undefined;
  return md5(exportedSessionKey, mode === 'Client' ? CLIENT_SIGN : SERVER_SIGN);
}

/** SEALKEY (3.4.5.3) with extended session security: 128, 56 or 40 bits of the session key, hashed per direction. */
export function sealKey(flags: number, exportedSessionKey: Uint8Array, mode: Mode): Uint8Array {
  if (!hasFlag(flags, NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
    // Only reachable for NTLM v1 without ESS, which psremote does not speak.
    return exportedSessionKey;
  }
  const k = hasFlag(flags, NTLMSSP_NEGOTIATE_128)
    ? exportedSessionKey
    : hasFlag(flags, NTLMSSP_NEGOTIATE_56)
      ? exportedSessionKey.subarray(0, 7)
      : exportedSessionKey.subarray(0, 5);
  return md5(k, mode === 'Client' ? CLIENT_SEAL : SERVER_SEAL);
}

/** The current time as a FILETIME (100 ns ticks since 1601-01-01), little-endian. */
export function fileTimeNow(nowMs = Date.now()): Uint8Array {
  const ticks = (BigInt(Math.floor(nowMs)) + 11_644_473_600_000n) * 10_000n;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, ticks, true);
  return out;
}

/** A FILETIME as milliseconds since the Unix epoch. */
export function fileTimeToMs(ft: Uint8Array | bigint): number {
  const ticks = typeof ft === 'bigint' ? ft : new DataView(ft.buffer, ft.byteOffset, 8).getBigUint64(0, true);
  return Number(ticks / 10_000n - 11_644_473_600_000n);
}

/** Constant-time comparison of two byte arrays of equal length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
