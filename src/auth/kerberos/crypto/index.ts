// The Kerberos encryption and checksum profiles (RFC 3961) psremote speaks:
// aes256-cts-hmac-sha1-96 (18), aes128-cts-hmac-sha1-96 (17) and rc4-hmac
// (23). One entry point per operation, dispatching on the key's enctype, so
// messages and GSS tokens never branch on the cipher themselves.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../../../errors.js';
import { aesChecksum, aesDecrypt, aesEncrypt, aesStringToKey } from './aes.js';
import { rc4Checksum, rc4Decrypt, rc4Encrypt, rc4StringToKey } from './rc4-hmac.js';

export type EncType = 17 | 18 | 23;
export interface KerberosKey {
  readonly enctype: EncType;
  readonly value: Uint8Array;
}

export const ENCTYPE_AES128_CTS_HMAC_SHA1_96 = 17;
export const ENCTYPE_AES256_CTS_HMAC_SHA1_96 = 18;
export const ENCTYPE_RC4_HMAC = 23;
/** RFC 3962 7 and RFC 4757: the mandatory keyed checksum of each enctype. */
export const CKSUMTYPE_HMAC_SHA1_96_AES128 = 15;
export const CKSUMTYPE_HMAC_SHA1_96_AES256 = 16;
export const CKSUMTYPE_HMAC_MD5 = -138;

/** Strongest first: the order psremote offers them to a KDC. */
export const SUPPORTED_ENCTYPES: readonly EncType[] = [18, 17, 23];

const KEY_BYTES: Record<EncType, number> = { 17: 16, 18: 32, 23: 16 };
const CONFOUNDER_BYTES: Record<EncType, number> = { 17: 16, 18: 16, 23: 8 };
const CKSUMTYPE: Record<EncType, number> = { 17: CKSUMTYPE_HMAC_SHA1_96_AES128, 18: CKSUMTYPE_HMAC_SHA1_96_AES256, 23: CKSUMTYPE_HMAC_MD5 };
const NAMES: Record<EncType, string> = { 17: 'aes128-cts-hmac-sha1-96', 18: 'aes256-cts-hmac-sha1-96', 23: 'rc4-hmac' };

export function isSupportedEnctype(n: number): n is EncType {
  return n === 17 || n === 18 || n === 23;
}

/** MIT's name for an enctype number (also for ones psremote does not support, by number). */
export function enctypeName(n: number): string {
  return isSupportedEnctype(n) ? NAMES[n] : `enctype ${n}`;
}

export function checksumTypeOf(enctype: EncType): number {
  return CKSUMTYPE[enctype];
}

function checkKey(key: KerberosKey): void {
  if (!isSupportedEnctype(key.enctype)) throw new UsageError(`unsupported Kerberos enctype ${String(key.enctype)}`);
  if (key.value.byteLength !== KEY_BYTES[key.enctype]) {
    throw new UsageError(`a ${NAMES[key.enctype]} key is ${KEY_BYTES[key.enctype]} bytes, not ${key.value.byteLength}`);
  }
}

function checkUsage(usage: number): void {
  if (!Number.isInteger(usage) || usage < 0 || usage > 0xffffffff) throw new UsageError(`Kerberos key usage must be a 32-bit unsigned integer, not ${usage}`);
}

/**
 * The long-term key of a password (RFC 3961 3). `salt` is the KDC's
 * (PA-ETYPE-INFO2) or the default realm + name components; `s2kparams` the
 * KDC's iteration count for AES. rc4-hmac ignores both (the NT hash).
 */
export function stringToKey(enctype: EncType, password: string, salt: string, s2kparams?: Uint8Array): KerberosKey {
  switch (enctype) {
    case 17:
      return { enctype, value: aesStringToKey(16, password, salt, s2kparams) };
    case 18:
      return { enctype, value: aesStringToKey(32, password, salt, s2kparams) };
    case 23:
      return { enctype, value: rc4StringToKey(password) };
    default:
      throw new UsageError(`unsupported Kerberos enctype ${String(enctype)}`);
  }
}

export function randomKey(enctype: EncType): KerberosKey {
  if (!isSupportedEnctype(enctype)) throw new UsageError(`unsupported Kerberos enctype ${String(enctype)}`);
  return { enctype, value: new Uint8Array(randomBytes(KEY_BYTES[enctype])) };
}

/** The EncryptedData.cipher of `plaintext` (confounder, encryption and integrity). `confounder` is for tests. */
export function encrypt(key: KerberosKey, usage: number, plaintext: Uint8Array, confounder?: Uint8Array): Uint8Array {
  checkKey(key);
  checkUsage(usage);
  const n = CONFOUNDER_BYTES[key.enctype];
  const conf = confounder ?? new Uint8Array(randomBytes(n));
  if (conf.byteLength !== n) throw new UsageError(`a ${NAMES[key.enctype]} confounder is ${n} bytes, not ${conf.byteLength}`);
  return key.enctype === 23 ? rc4Encrypt(key.value, usage, plaintext, conf) : aesEncrypt(key.value, usage, plaintext, conf);
}

/** The plaintext of an EncryptedData.cipher; an AuthIntegrityError when it does not verify. `what` names it in the error. */
export function decrypt(key: KerberosKey, usage: number, ciphertext: Uint8Array, what = `data of key usage ${usage}`): Uint8Array {
  checkKey(key);
  checkUsage(usage);
  return key.enctype === 23 ? rc4Decrypt(key.value, usage, ciphertext, what) : aesDecrypt(key.value, usage, ciphertext, what);
}

export function makeChecksum(key: KerberosKey, usage: number, data: Uint8Array): { cksumtype: number; checksum: Uint8Array } {
  checkKey(key);
  checkUsage(usage);
  const checksum = key.enctype === 23 ? rc4Checksum(key.value, usage, data) : aesChecksum(key.value, usage, data);
  return { cksumtype: CKSUMTYPE[key.enctype], checksum };
}

/** True when `checksum` is the key's mandatory checksum of `data`; another cksumtype never verifies. */
export function verifyChecksum(key: KerberosKey, usage: number, data: Uint8Array, cksumtype: number, checksum: Uint8Array): boolean {
  if (cksumtype !== CKSUMTYPE[key.enctype]) return false;
  const mine = makeChecksum(key, usage, data).checksum;
  return mine.byteLength === checksum.byteLength && timingSafeEqual(mine, checksum);
}

export { nfold } from './nfold.js';
export { ctsEncrypt, ctsDecrypt, deriveKey, AES_DEFAULT_ITERATIONS, AES_MAX_ITERATIONS } from './aes.js';
