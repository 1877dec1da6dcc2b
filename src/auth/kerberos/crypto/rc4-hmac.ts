// rc4-hmac (enctype 23, draft-jaganathan-rc4-hmac / RFC 4757): the NT hash is
// the key; per message K1 = HMAC-MD5(K, T) where T is the RC4 message type
// (the key usage, except AS-REP's enc-part uses 8), checksum = HMAC-MD5(K1,
// confounder | data) sent first, and RC4 under HMAC-MD5(K1, checksum)
// encrypts the confounder and data. Node's OpenSSL 3 refuses RC4 and MD4,
// so both are the project's own (auth/ntlm).

import { createHash, timingSafeEqual } from 'node:crypto';
import { concatBytes } from '../../../util/bytes.js';
import { AuthIntegrityError } from '../../errors.js';
import { hmacMd5, ntowfv1 } from '../../ntlm/crypto.js';
import { rc4 } from '../../ntlm/rc4.js';

const CKSUM = 16;
const CONFOUNDER = 8;

/** RFC 4757 3: the usage numbers of RFC 4120 map to these message types. */
export function rc4MessageType(usage: number): number {
  // AS-REP enc-part (3) is encrypted as if a TGS-REP (8); MIT and Windows
  // also send GSS wrap sealing (22, 23, 24 in RFC 4121 terms) through their
  // own RFC 4757 GSS token format, which does not come here.
  return usage === 3 ? 8 : usage;
}

const le32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

export function rc4StringToKey(password: string): Uint8Array {
  return ntowfv1(password);
}

export function rc4Encrypt(key: Uint8Array, usage: number, plaintext: Uint8Array, confounder: Uint8Array): Uint8Array {
  const k1 = hmacMd5(key, le32(rc4MessageType(usage)));
  const data = concatBytes([confounder, plaintext]);
  const checksum = hmacMd5(k1, data);
  const k3 = hmacMd5(k1, checksum);
  return concatBytes([checksum, rc4(k3, data)]);
}

export function rc4Decrypt(key: Uint8Array, usage: number, ciphertext: Uint8Array, what: string): Uint8Array {
  if (ciphertext.byteLength < CKSUM + CONFOUNDER) {
    throw new AuthIntegrityError(`ciphertext of ${ciphertext.byteLength} bytes is shorter than a checksum and confounder (${CKSUM + CONFOUNDER})`, what);
  }
  const k1 = hmacMd5(key, le32(rc4MessageType(usage)));
  const checksum = ciphertext.subarray(0, CKSUM);
  const k3 = hmacMd5(k1, checksum);
  const data = rc4(k3, ciphertext.subarray(CKSUM));
  if (!timingSafeEqual(hmacMd5(k1, data), checksum)) {
    throw new AuthIntegrityError('integrity check failed (wrong key, or the data was altered)', what);
  }
  return data.slice(CONFOUNDER);
}

const SIGNATURE_KEY = new TextEncoder().encode('signaturekey\0');

/** hmac-md5 (cksumtype -138): HMAC-MD5(HMAC-MD5(K, "signaturekey\0"), MD5(T | data)). */
export function rc4Checksum(key: Uint8Array, usage: number, data: Uint8Array): Uint8Array {
  const ksign = hmacMd5(key, SIGNATURE_KEY);
  const tmp = new Uint8Array(createHash('md5').update(le32(rc4MessageType(usage))).update(data).digest());
  return hmacMd5(ksign, tmp);
}
