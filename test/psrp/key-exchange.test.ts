import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SESSION_KEY_VECTORS, fixtureKey } from './helpers/keys.js';
import { describe, expect, test } from 'vitest';
import {
  SessionKeyCipher,
  decryptSecureString,
  decryptSessionKeyBlob,
  encryptSecureString,
  encryptSessionKeyBlob,
  exportPublicKeyBlob,
  importPublicKeyBlob,
} from '../../src/psrp/key-exchange.js';
import { RemoteProtocolError, UsageError } from '../../src/errors.js';

const V = SESSION_KEY_VECTORS;

describe('recorded exchange (pypsrp against Windows Server 2016)', () => {
  const priv = fixtureKey();
  const pub = createPublicKey(priv);

  test('our PUBLIC_KEY blob equals the recorded one byte for byte', () => {
    expect(Buffer.from(exportPublicKeyBlob(pub)).toString('base64')).toBe(V.public_key_message.PublicKey_base64);
  });

  test('the recorded blob imports back to the same key', () => {
    const imported = importPublicKeyBlob(new Uint8Array(Buffer.from(V.public_key_message.PublicKey_base64, 'base64')));
    expect(imported.export({ format: 'jwk' })).toEqual(pub.export({ format: 'jwk' }));
  });

  test('the recorded ENCRYPTED_SESSION_KEY decrypts to the recorded AES key', () => {
    const blob = new Uint8Array(Buffer.from(V.encrypted_session_key_message.EncryptedSessionKey_base64, 'base64'));
    expect(Buffer.from(decryptSessionKeyBlob(priv, blob)).toString('hex')).toBe(V.aes_256_session_key_hex);
  });

  test('every recorded SecureString decrypts, and re-encrypts to the same bytes', () => {
    const key = new Uint8Array(Buffer.from(V.aes_256_session_key_hex, 'hex'));
    expect(V.securestrings.length).toBeGreaterThanOrEqual(4);
    for (const ss of V.securestrings) {
      const cipher = new Uint8Array(Buffer.from(ss.ss_base64, 'base64'));
      expect(decryptSecureString(key, cipher)).toBe(ss.plaintext);
      expect(Buffer.from(encryptSecureString(key, ss.plaintext)).toString('base64')).toBe(ss.ss_base64);
      const c = new SessionKeyCipher(key);
      expect(c.decryptFromBase64(ss.ss_base64)).toBe(ss.plaintext);
      expect(c.encryptToBase64(ss.plaintext)).toBe(ss.ss_base64);
      expect(JSON.stringify(c)).not.toContain(V.aes_256_session_key_hex);
    }
  });
});

describe('server side wraps, client side unwraps', () => {
  test('round trip with a fresh key pair', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sessionKey = new Uint8Array(32).map((_, i) => i * 7);
    const blob = encryptSessionKeyBlob(importPublicKeyBlob(exportPublicKeyBlob(publicKey)), sessionKey);
    expect(Array.from(blob.subarray(0, 12))).toEqual([1, 2, 0, 0, 0x10, 0x66, 0, 0, 0, 0xa4, 0, 0]);
    expect(decryptSessionKeyBlob(privateKey, blob)).toEqual(sessionKey);
  });

  test('SecureString of the empty string and of non-BMP text', () => {
    const key = new Uint8Array(32).fill(9);
    for (const s of ['', 'pässwörd', '\u{1F600}x']) expect(decryptSecureString(key, encryptSecureString(key, s))).toBe(s);
  });
});

describe('malformed input', () => {
  const priv = fixtureKey();
  const good = new Uint8Array(Buffer.from(V.encrypted_session_key_message.EncryptedSessionKey_base64, 'base64'));
  const cases: [string, () => unknown, RegExp][] = [
    ['short public key blob', () => importPublicKeyBlob(new Uint8Array(5)), /too short/],
    ['wrong public key blob type', () => { const b = new Uint8Array(Buffer.from(V.public_key_message.PublicKey_base64, 'base64')); b[0] = 7; return importPublicKeyBlob(b); }, /not a PUBLICKEYBLOB/],
    ['truncated public key blob', () => importPublicKeyBlob(new Uint8Array(Buffer.from(V.public_key_message.PublicKey_base64, 'base64')).subarray(0, 200)), /expected 276/],
    ['short session key blob', () => decryptSessionKeyBlob(priv, good.subarray(0, 12)), /too short/],
    ['wrong algorithm', () => { const b = good.slice(); b[4] = 0x0f; return decryptSessionKeyBlob(priv, b); }, /not CALG_AES_256/],
    ['wrong ciphertext length', () => decryptSessionKeyBlob(priv, good.subarray(0, 100)), /the RSA key needs 256/],
    ['corrupted ciphertext', () => { const b = good.slice(); b[100] = b[100]! ^ 0xff; return decryptSessionKeyBlob(priv, b); }, /PKCS#1|decryption/],
    ['SecureString not whole blocks', () => decryptSecureString(new Uint8Array(32), new Uint8Array(15)), /whole number of AES blocks/],
    ['SecureString with the wrong key', () => decryptSecureString(new Uint8Array(32), new Uint8Array(Buffer.from(V.securestrings[2]!.ss_base64, 'base64'))), /does not decrypt/],
  ];
  for (const [name, fn, msg] of cases) {
    test(name, () => {
      expect(fn).toThrowError(msg);
      try { fn(); } catch (e) { expect(e).toBeInstanceOf(RemoteProtocolError); expect((e as RemoteProtocolError).code).toBe('PSR_PSRP_CRYPTO'); }
    });
  }
  test('usage errors', () => {
    expect(() => encryptSecureString(new Uint8Array(16), 'x')).toThrow(UsageError);
    expect(() => new SessionKeyCipher(new Uint8Array(31))).toThrow(UsageError);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => exportPublicKeyBlob(publicKey)).toThrow(UsageError);
  });
});
