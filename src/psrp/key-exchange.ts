// The SecureString session-key exchange (MS-PSRP 3.1.4.8, 3.1.5.4.3-5,
// 2.2.2.3-4, 2.2.5.1.24), used at protocol 2.2 and 2.3 (2.4 dropped it):
//   client -> PUBLIC_KEY: its RSA-2048 public key as a CAPI PUBLICKEYBLOB
//   server -> ENCRYPTED_SESSION_KEY: a random AES-256 key, RSAES-PKCS1-v1_5
//             encrypted with that public key, wrapped in a CAPI SIMPLEBLOB
// Both sides then encrypt <SS> contents with AES-256-CBC under that key, with
// an all-zero IV and PKCS#7 padding over the UTF-16LE string (what Windows
// PowerShell does; the spec text names only "AES-256 in CBC mode").
//
// CAPI blobs store big integers little-endian, so the modulus and the RSA
// ciphertext are byte-reversed relative to what node:crypto uses.
//
// Keys are injected (no randomness here): the caller creates the RSA pair and,
// on the server side, the 32-byte session key. Node >= 20.11 refuses
// RSA_PKCS1_PADDING for private decryption (CVE-2023-46809), so the client
// decrypts with RSA_NO_PADDING and removes the PKCS#1 v1.5 padding itself.

import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from 'node:crypto';
import { RemoteProtocolError, UsageError } from '../errors.js';

const PUBLICKEYBLOB = 0x06;
const SIMPLEBLOB = 0x01;
const CUR_BLOB_VERSION = 0x02;
const CALG_RSA_KEYX = 0x0000a400;
const CALG_AES_256 = 0x00006610;
const RSA1_MAGIC = 0x31415352; // "RSA1"
const PUBLICKEYBLOB_HEADER = 20; // BLOBHEADER (8) + RSAPUBKEY (12)
const SIMPLEBLOB_HEADER = 12; // BLOBHEADER (8) + ALG_ID of the wrapping key (4)
export const SESSION_KEY_LENGTH = 32;

function reversed(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.byteLength);
  for (let i = 0; i < b.byteLength; i++) out[i] = b[b.byteLength - 1 - i]!;
  return out;
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

function bigEndianFromB64url(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function invalid(message: string, where: string, cause?: unknown): RemoteProtocolError {
  return new RemoteProtocolError('PSR_PSRP_CRYPTO', message, cause === undefined ? { where } : { where, cause });
}

/**
 * Both blobs open with a BLOBHEADER (bType, bVersion, reserved, aiKeyAlg)
 * and one more u32: RSAPUBKEY's magic in a PUBLICKEYBLOB, the wrapping key's
 * ALG_ID in a SIMPLEBLOB.
 */
function writeBlobHeader(view: DataView, type: number, keyAlg: number, next: number): void {
  view.setUint8(0, type);
  view.setUint8(1, CUR_BLOB_VERSION);
  view.setUint16(2, 0, true);
  view.setUint32(4, keyAlg, true);
  view.setUint32(8, next, true);
}

/** A view of the blob once its bType and bVersion are the ones expected. */
function blobView(blob: Uint8Array, type: number, typeName: string, where: string): DataView {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (view.getUint8(0) !== type || view.getUint8(1) !== CUR_BLOB_VERSION) {
    throw invalid(`not a ${typeName} (type 0x${view.getUint8(0).toString(16)}, version ${view.getUint8(1)})`, where);
  }
  return view;
}

/** The client's RSA public key as the PUBLICKEYBLOB carried in PUBLIC_KEY (2.2.2.3). */
export function exportPublicKeyBlob(publicKey: KeyObject): Uint8Array {
  if (publicKey.asymmetricKeyType !== 'rsa') throw new UsageError('the session key exchange needs an RSA key');
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.n === undefined || jwk.e === undefined) throw new UsageError('RSA key without modulus or exponent');
  const n = bigEndianFromB64url(jwk.n);
  const e = bigEndianFromB64url(jwk.e);
  if (e.byteLength > 4) throw new UsageError('RSA public exponent does not fit 32 bits');
  const bitLength = n.byteLength * 8;
  const out = new Uint8Array(PUBLICKEYBLOB_HEADER + n.byteLength);
  const view = new DataView(out.buffer);
  writeBlobHeader(view, PUBLICKEYBLOB, CALG_RSA_KEYX, RSA1_MAGIC);
  view.setUint32(12, bitLength, true);
  let exp = 0;
  for (const byte of e) exp = exp * 256 + byte;
  view.setUint32(16, exp, true);
  out.set(reversed(n), PUBLICKEYBLOB_HEADER);
  return out;
}

/** Server side: the RSA public key from a PUBLIC_KEY blob. */
export function importPublicKeyBlob(blob: Uint8Array, where = 'PUBLIC_KEY'): KeyObject {
  if (blob.byteLength < PUBLICKEYBLOB_HEADER) throw invalid(`public key blob of ${blob.byteLength} bytes is too short`, where);
  const view = blobView(blob, PUBLICKEYBLOB, 'PUBLICKEYBLOB', where);
  if (view.getUint32(4, true) !== CALG_RSA_KEYX) throw invalid('public key blob is not CALG_RSA_KEYX', where);
  if (view.getUint32(8, true) !== RSA1_MAGIC) throw invalid('public key blob lacks the RSA1 magic', where);
  const bitLength = view.getUint32(12, true);
  if (bitLength < 512 || bitLength > 16384 || bitLength % 8 !== 0) throw invalid(`unsupported RSA key size ${bitLength}`, where);
  const modulusLength = bitLength / 8;
  if (blob.byteLength !== PUBLICKEYBLOB_HEADER + modulusLength) {
    throw invalid(`public key blob is ${blob.byteLength} bytes, expected ${PUBLICKEYBLOB_HEADER + modulusLength}`, where);
  }
  const exp = view.getUint32(16, true);
  const eBytes: number[] = [];
  for (let v = exp; v > 0; v = Math.floor(v / 256)) eBytes.unshift(v % 256);
  const n = reversed(blob.subarray(PUBLICKEYBLOB_HEADER));
  try {
    return createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(new Uint8Array(eBytes)) }, format: 'jwk' });
  } catch (cause) {
    throw invalid('public key blob does not hold a usable RSA key', where, cause);
  }
}

/** Server side: wrap the session key for ENCRYPTED_SESSION_KEY (2.2.2.4). */
export function encryptSessionKeyBlob(publicKey: KeyObject, sessionKey: Uint8Array): Uint8Array {
  if (sessionKey.byteLength !== SESSION_KEY_LENGTH) throw new UsageError('the session key must be 32 bytes (AES-256)');
  const cipher = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sessionKey);
  const out = new Uint8Array(SIMPLEBLOB_HEADER + cipher.byteLength);
  writeBlobHeader(new DataView(out.buffer), SIMPLEBLOB, CALG_AES_256, CALG_RSA_KEYX);
  out.set(reversed(new Uint8Array(cipher)), SIMPLEBLOB_HEADER);
  return out;
}

/** Client side: unwrap the AES-256 session key from an ENCRYPTED_SESSION_KEY blob. */
export function decryptSessionKeyBlob(privateKey: KeyObject, blob: Uint8Array, where = 'ENCRYPTED_SESSION_KEY'): Uint8Array {
  if (blob.byteLength <= SIMPLEBLOB_HEADER) throw invalid(`session key blob of ${blob.byteLength} bytes is too short`, where);
  const view = blobView(blob, SIMPLEBLOB, 'SIMPLEBLOB', where);
  if (view.getUint32(4, true) !== CALG_AES_256) throw invalid('session key blob is not CALG_AES_256', where);
  if (view.getUint32(8, true) !== CALG_RSA_KEYX) throw invalid('session key blob is not wrapped with CALG_RSA_KEYX', where);
  const modulusBytes = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  const cipher = reversed(blob.subarray(SIMPLEBLOB_HEADER));
  if (cipher.byteLength !== modulusBytes) {
    throw invalid(`encrypted session key is ${cipher.byteLength} bytes, the RSA key needs ${modulusBytes}`, where);
  }
  let padded: Uint8Array;
  try {
    padded = new Uint8Array(privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, cipher));
  } catch (cause) {
    throw invalid('RSA decryption of the session key failed', where, cause);
  }
  // EME-PKCS1-v1_5: 00 02 PS(>= 8 non-zero bytes) 00 M. Checked here because
  // Node 20 refuses RSA_PKCS1_PADDING in privateDecrypt (CVE-2023-46809, Marvin).
  // The timing of this check is no oracle worth having: the only party that can
  // submit ciphertexts is the server, which chose the session key itself, and a
  // failure ends the exchange.
  let sep = -1;
  if (padded[0] === 0x00 && padded[1] === 0x02) {
    for (let i = 2; i < padded.byteLength; i++) {
      if (padded[i] === 0) {
        sep = i;
        break;
      }
    }
  }
  if (sep < 10) throw invalid('session key is not PKCS#1 v1.5 padded for this RSA key', where);
  const key = padded.slice(sep + 1);
  if (key.byteLength !== SESSION_KEY_LENGTH) throw invalid(`session key is ${key.byteLength} bytes, expected 32`, where);
  return key;
}

const ZERO_IV = new Uint8Array(16);

/** AES-256-CBC encrypt a string for <SS> (UTF-16LE, PKCS#7, zero IV). */
export function encryptSecureString(sessionKey: Uint8Array, plaintext: string): Uint8Array {
  if (sessionKey.byteLength !== SESSION_KEY_LENGTH) throw new UsageError('the session key must be 32 bytes (AES-256)');
  const c = createCipheriv('aes-256-cbc', sessionKey, ZERO_IV);
  return new Uint8Array(Buffer.concat([c.update(Buffer.from(plaintext, 'utf16le')), c.final()]));
}

/** AES-256-CBC decrypt <SS> contents back to the string. */
export function decryptSecureString(sessionKey: Uint8Array, cipher: Uint8Array, where = 'SecureString'): string {
  if (sessionKey.byteLength !== SESSION_KEY_LENGTH) throw new UsageError('the session key must be 32 bytes (AES-256)');
  if (cipher.byteLength === 0 || cipher.byteLength % 16 !== 0) {
    throw invalid(`SecureString ciphertext of ${cipher.byteLength} bytes is not a whole number of AES blocks`, where);
  }
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-cbc', sessionKey, ZERO_IV);
    plain = Buffer.concat([d.update(cipher), d.final()]);
  } catch (cause) {
    // Wrong key or corrupted data; the message never includes the data.
    throw invalid('SecureString does not decrypt with the session key', where, cause);
  }
  if (plain.byteLength % 2 !== 0) throw invalid('SecureString plaintext is not UTF-16', where);
  return plain.toString('utf16le');
}

/**
 * The session key as a SecureString cipher: what the CLIXML layer calls to
 * read and write <SS> (base64 text in, base64 text out).
 */
export class SessionKeyCipher {
  readonly #key: Uint8Array;
  constructor(sessionKey: Uint8Array) {
    if (sessionKey.byteLength !== SESSION_KEY_LENGTH) throw new UsageError('the session key must be 32 bytes (AES-256)');
    this.#key = sessionKey.slice();
  }
  encrypt(plaintext: string): Uint8Array {
    return encryptSecureString(this.#key, plaintext);
  }
  decrypt(cipher: Uint8Array): string {
    return decryptSecureString(this.#key, cipher);
  }
  encryptToBase64(plaintext: string): string {
    return Buffer.from(this.encrypt(plaintext)).toString('base64');
  }
  decryptFromBase64(text: string): string {
    return this.decrypt(new Uint8Array(Buffer.from(text, 'base64')));
  }
  /** Never print the key. */
  toJSON(): string {
    return '[SessionKeyCipher]';
  }
}
