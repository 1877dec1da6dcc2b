// aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18), RFC 3962 on
// RFC 3961's simplified profile: keys derived per usage with DK, AES-CBC with
// ciphertext stealing (the last two blocks always swapped, zero IV), a random
// 16-byte confounder, and HMAC-SHA1 truncated to 96 bits over the plaintext.

import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { InternalError, LimitError } from '../../../errors.js';
import { concatBytes } from '../../../util/bytes.js';
import { AuthIntegrityError, AuthProtocolError } from '../../errors.js';
import { nfold } from './nfold.js';

const BLOCK = 16;
const MAC = 12;
/** RFC 3962 4: the default iteration count when s2kparams is absent. */
export const AES_DEFAULT_ITERATIONS = 4096;
/**
 * A KDC chooses the iteration count (s2kparams in PA-ETYPE-INFO2). Bounded so a
 * hostile or broken KDC cannot make us spin for hours; MIT's default is 4096,
 * and nobody deploys more than a few hundred thousand.
 */
export const AES_MAX_ITERATIONS = 1 << 24;

const cipherName = (key: Uint8Array, mode: 'cbc' | 'ecb'): string => `aes-${key.byteLength * 8}-${mode}`;

/** One AES block encryption (what DR iterates). */
function aesBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  const c = createCipheriv(cipherName(key, 'ecb'), key, null);
  c.setAutoPadding(false);
  return new Uint8Array(c.update(block));
}

/** AES-CBC with ciphertext stealing, zero IV (RFC 3962 5). Input at least one block. */
export function ctsEncrypt(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const n = plain.byteLength;
  if (n < BLOCK) throw new InternalError(`CTS needs at least ${BLOCK} bytes, not ${n}`);
  const padded = new Uint8Array(Math.ceil(n / BLOCK) * BLOCK);
  padded.set(plain);
  const c = createCipheriv(cipherName(key, 'cbc'), key, new Uint8Array(BLOCK));
  c.setAutoPadding(false);
  const out = new Uint8Array(c.update(padded));
  if (n === BLOCK) return out;
  // Swap the last two blocks and drop the padding's share of the (new) last one.
  const last = padded.byteLength - BLOCK;
  const penult = out.slice(last - BLOCK, last);
  out.copyWithin(last - BLOCK, last, last + BLOCK);
  out.set(penult, last);
  return out.subarray(0, n);
}

export function ctsDecrypt(key: Uint8Array, cipher: Uint8Array): Uint8Array {
  const n = cipher.byteLength;
  if (n < BLOCK) throw new InternalError(`CTS needs at least ${BLOCK} bytes, not ${n}`);
  const cbc = (data: Uint8Array, iv: Uint8Array): Uint8Array => {
    const d = createDecipheriv(cipherName(key, 'cbc'), key, iv);
    d.setAutoPadding(false);
    return new Uint8Array(d.update(data));
  };
  if (n === BLOCK) return cbc(cipher, new Uint8Array(BLOCK));
  const blocks = Math.ceil(n / BLOCK);
  const tail = n - (blocks - 1) * BLOCK; // 1..16 bytes in the stolen last block
  const headLen = (blocks - 2) * BLOCK;
  const out = new Uint8Array(n);
  const iv = headLen === 0 ? new Uint8Array(BLOCK) : cipher.slice(headLen - BLOCK, headLen);
  if (headLen > 0) out.set(cbc(cipher.subarray(0, headLen), new Uint8Array(BLOCK)));
  const cn = cipher.subarray(headLen, headLen + BLOCK); // really C(n), swapped forward
  const y = cipher.subarray(headLen + BLOCK); // the first `tail` bytes of C(n-1)
  const d = createDecipheriv(cipherName(key, 'ecb'), key, null);
  d.setAutoPadding(false);
  const dn = new Uint8Array(d.update(cn)); // P(n) padded, xor C(n-1)
  const cPrev = new Uint8Array(BLOCK);
  cPrev.set(y);
  cPrev.set(dn.subarray(tail), tail);
  for (let i = 0; i < tail; i++) out[headLen + BLOCK + i] = dn[i]! ^ y[i]!;
  const pPrev = cbc(cPrev, iv);
  out.set(pPrev, headLen);
  return out;
}

/** DR (RFC 3961 5.1): encrypt the n-folded constant, chaining blocks, until there is a key's worth. */
function dr(key: Uint8Array, constant: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.byteLength);
  let block = constant.byteLength === BLOCK ? constant : nfold(constant, BLOCK);
  for (let at = 0; at < out.byteLength; at += BLOCK) {
    block = aesBlock(key, block);
    out.set(block.subarray(0, Math.min(BLOCK, out.byteLength - at)), at);
  }
  return out;
}

/** DK (RFC 3961 5.1); for AES random-to-key is the identity. */
export function deriveKey(key: Uint8Array, constant: Uint8Array): Uint8Array {
  return dr(key, constant);
}

const usageConstant = (usage: number, kind: 0x99 | 0xaa | 0x55): Uint8Array => {
  const c = new Uint8Array(5);
  new DataView(c.buffer).setUint32(0, usage);
  c[4] = kind;
  return c;
};

/** The key derivation cache: keys are derived once per (key, usage, kind), not per message. */
const derived = new WeakMap<Uint8Array, Map<number, Uint8Array>>();
function usageKey(key: Uint8Array, usage: number, kind: 0x99 | 0xaa | 0x55): Uint8Array {
  let m = derived.get(key);
  if (m === undefined) derived.set(key, (m = new Map()));
  const id = usage * 256 + kind;
  let k = m.get(id);
  if (k === undefined) m.set(id, (k = deriveKey(key, usageConstant(usage, kind))));
  return k;
}

/** RFC 3962 4: tkey = PBKDF2-HMAC-SHA1(password, salt, iterations); key = DK(tkey, "kerberos"). */
export function aesStringToKey(keyBytes: 16 | 32, password: string, salt: string, s2kparams?: Uint8Array): Uint8Array {
  let iterations = AES_DEFAULT_ITERATIONS;
  if (s2kparams !== undefined) {
    if (s2kparams.byteLength !== 4) throw new AuthProtocolError(`AES s2kparams must be 4 bytes (the iteration count), not ${s2kparams.byteLength}`, 's2kparams');
    iterations = new DataView(s2kparams.buffer, s2kparams.byteOffset, 4).getUint32(0);
    // RFC 3962 4: zero stands for 2^32.
    if (iterations === 0) iterations = 2 ** 32;
  }
  if (iterations > AES_MAX_ITERATIONS) throw new LimitError('AES string-to-key iteration count', AES_MAX_ITERATIONS, iterations, 's2kparams');
  const tkey = new Uint8Array(pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), iterations, keyBytes, 'sha1'));
  return deriveKey(tkey, new TextEncoder().encode('kerberos'));
}

const hmacSha1 = (key: Uint8Array, ...data: Uint8Array[]): Uint8Array => {
  const h = createHmac('sha1', key);
  for (const d of data) h.update(d);
  return new Uint8Array(h.digest());
};

export function aesEncrypt(key: Uint8Array, usage: number, plaintext: Uint8Array, confounder: Uint8Array): Uint8Array {
  const ke = usageKey(key, usage, 0xaa);
  const ki = usageKey(key, usage, 0x55);
  const basic = concatBytes([confounder, plaintext]);
  return concatBytes([ctsEncrypt(ke, basic), hmacSha1(ki, basic).subarray(0, MAC)]);
}

export function aesDecrypt(key: Uint8Array, usage: number, ciphertext: Uint8Array, what: string): Uint8Array {
  if (ciphertext.byteLength < BLOCK + MAC) {
    throw new AuthIntegrityError(`ciphertext of ${ciphertext.byteLength} bytes is shorter than a confounder and checksum (${BLOCK + MAC})`, what);
  }
  const ke = usageKey(key, usage, 0xaa);
  const ki = usageKey(key, usage, 0x55);
  const body = ciphertext.subarray(0, ciphertext.byteLength - MAC);
  const basic = ctsDecrypt(ke, body);
  const mac = hmacSha1(ki, basic).subarray(0, MAC);
  if (!timingSafeEqual(mac, ciphertext.subarray(ciphertext.byteLength - MAC))) {
    throw new AuthIntegrityError('integrity check failed (wrong key, or the data was altered)', what);
  }
  return basic.slice(BLOCK);
}

/** hmac-sha1-96-aes128/256 (RFC 3962 7): HMAC-SHA1 with Kc = DK(key, usage | 0x99), truncated to 96 bits. */
export function aesChecksum(key: Uint8Array, usage: number, data: Uint8Array): Uint8Array {
  return hmacSha1(usageKey(key, usage, 0x99), data).subarray(0, MAC);
}
