// RFC 3961/3962 and RFC 4757 profiles against the published vectors: n-fold
// (RFC 3961 A.1), PBKDF2 string-to-key and CBC-CTS (RFC 3962 Appendix B), the
// NT hash as the rc4-hmac key; round trips and tamper detection. Interop with
// a real MIT KDC (which decrypts our PA-ENC-TIMESTAMP and whose replies we
// decrypt) is in test/transport/kerberos/.

import { describe, expect, test } from 'vitest';
import {
  ctsDecrypt,
  ctsEncrypt,
  decrypt,
  encrypt,
  makeChecksum,
  nfold,
  randomKey,
  stringToKey,
  verifyChecksum,
  type EncType,
} from '../../../src/auth/kerberos/crypto/index.js';
import { AuthIntegrityError } from '../../../src/auth/errors.js';
import { LimitError, UsageError } from '../../../src/errors.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const iter = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

describe('n-fold (RFC 3961 A.1)', () => {
  test.each([
    ['012345', 64, 'be072631276b1955'],
    ['password', 56, '78a07b6caf85fa'],
    ['Rough Consensus, and Running Code', 64, 'bb6ed30870b7f0e0'],
    ['password', 168, '59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e'],
    ['MASSACHVSETTS INSTITVTE OF TECHNOLOGY', 192, 'db3b0d8f0b061e603282b308a50841229ad798fab9540c1b'],
    ['Q', 168, '518a54a215a8452a518a54a215a8452a518a54a215'],
    ['ba', 168, 'fb25d531ae8974499f52fd92ea9857c4ba24cf297e'],
    ['kerberos', 64, '6b65726265726f73'],
    ['kerberos', 128, '6b65726265726f737b9b5b2b93132b93'],
    ['kerberos', 168, '8372c236344e5f1550cd0747e15d62ca7a5a3bcea4'],
    ['kerberos', 256, '6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4'],
  ])('%s to %i bits', (input, bits, out) => {
    expect(toHex(nfold(ascii(input), bits / 8))).toBe(out);
  });
});

describe('AES string-to-key (RFC 3962 Appendix B)', () => {
  const vectors: [number, string, string, string, string][] = [
    [1, 'password', 'ATHENA.MIT.EDUraeburn', '42263c6e89f4fc28b8df68ee09799f15', 'fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161'],
    [2, 'password', 'ATHENA.MIT.EDUraeburn', 'c651bf29e2300ac27fa469d693bdda13', 'a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff'],
    [1200, 'password', 'ATHENA.MIT.EDUraeburn', '4c01cd46d632d01e6dbe230a01ed642a', '55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a'],
    [5, 'password', '\x12\x34\x56\x78\x78\x56\x34\x12', 'e9b23d52273747dd5c35cb55be619d8e', '97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31'],
    [1200, 'X'.repeat(64), 'pass phrase equals block size', '59d1bb789a828b1aa54ef9c2883f69ed', '89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34'],
    [1200, 'X'.repeat(65), 'pass phrase exceeds block size', 'cb8005dc5f90179a7f02104c0018751d', 'd78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b'],
    [50, '\u{1d11e}', 'EXAMPLE.COMpianist', 'f149c1f2e154a73452d43e7fe62a56e5', '4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e'],
  ];
  test.each(vectors)('%i iterations, %s', (n, password, salt, k128, k256) => {
    expect(toHex(stringToKey(17, password, salt, iter(n)).value)).toBe(k128);
    expect(toHex(stringToKey(18, password, salt, iter(n)).value)).toBe(k256);
  });

  test('without s2kparams the iteration count is 4096', () => {
    expect(stringToKey(18, 'password', 'ATHENA.MIT.EDUraeburn').value).toEqual(stringToKey(18, 'password', 'ATHENA.MIT.EDUraeburn', iter(4096)).value);
  });

  test('an iteration count beyond the limit (and 0, meaning 2^32) is a LimitError, not hours of work', () => {
    expect(() => stringToKey(18, 'p', 's', iter(0))).toThrow(LimitError);
    expect(() => stringToKey(17, 'p', 's', iter(0x7fffffff))).toThrow(LimitError);
    expect(() => stringToKey(17, 'p', 's', new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INVALID', where: 's2kparams' }));
  });
});

describe('AES CBC with ciphertext stealing (RFC 3962 Appendix B)', () => {
  const key = ascii('chicken teriyaki');
  const input = hex('4920776f756c64206c696b652074686520476e6572616c20476175277320436869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e'.replace('476e6572616c', '47656e6572616c'));
  const vectors: [number, string][] = [
    [17, 'c6353568f2bf8cb4d8a580362da7ff7f97'],
    [31, 'fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5'],
    [32, '39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584'],
    [47, '97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5'],
    [48, '97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8'],
    [64, '97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8'],
  ];
  test('the input is the RFC text', () => {
    expect(new TextDecoder().decode(input)).toBe("I would like the General Gau's Chicken, please, and wonton soup.");
  });
  test.each(vectors)('%i bytes', (n, out) => {
    const plain = input.subarray(0, n);
    expect(toHex(ctsEncrypt(key, plain))).toBe(out);
    expect(toHex(ctsDecrypt(key, hex(out)))).toBe(toHex(plain));
  });
  test('every length from one block to four round-trips', () => {
    for (let n = 16; n <= 64; n++) expect(ctsDecrypt(key, ctsEncrypt(key, input.subarray(0, n)))).toEqual(input.subarray(0, n));
  });
});

describe('rc4-hmac (RFC 4757)', () => {
  test('the key is the NT hash of the password, whatever the salt', () => {
    expect(toHex(stringToKey(23, 'password', 'EXAMPLE.COMuser').value)).toBe('8846f7eaee8fb117ad06bdd830b7586c');
    expect(stringToKey(23, 'password', 'other').value).toEqual(stringToKey(23, 'password', '').value);
  });
  test('the ciphertext is checksum(16) | RC4(confounder(8) | data) and AS-REP usage 3 is message type 8', () => {
    const key = stringToKey(23, 'password', '');
    const conf = hex('0102030405060708');
    const c3 = encrypt(key, 3, ascii('hello'), conf);
    expect(c3.byteLength).toBe(16 + 8 + 5);
    expect(encrypt(key, 8, ascii('hello'), conf)).toEqual(c3);
    expect(encrypt(key, 2, ascii('hello'), conf)).not.toEqual(c3);
    expect(decrypt(key, 8, c3)).toEqual(ascii('hello'));
  });
});

describe.each([17, 18, 23] as EncType[])('enctype %i', (enctype) => {
  const key = randomKey(enctype);
  const other = randomKey(enctype);
  const plain = ascii('The quick brown fox jumps over the lazy dog, twice over to pass two blocks.');

  test('encrypt/decrypt round-trips for lengths 0..70 with a fresh confounder each time', () => {
    for (let n = 0; n <= 70; n++) {
      const c = encrypt(key, 11, plain.subarray(0, n));
      expect(decrypt(key, 11, c)).toEqual(plain.subarray(0, n));
    }
    expect(encrypt(key, 11, plain)).not.toEqual(encrypt(key, 11, plain));
  });

  test('the same confounder gives the same ciphertext; the usage changes it', () => {
    const conf = new Uint8Array(enctype === 23 ? 8 : 16).fill(7);
    expect(encrypt(key, 7, plain, conf)).toEqual(encrypt(key, 7, plain, conf));
    expect(encrypt(key, 7, plain, conf)).not.toEqual(encrypt(key, 8, plain, conf));
  });

  test('any flipped bit, truncation, a wrong key or a wrong usage fails the integrity check', () => {
    const c = encrypt(key, 2, plain);
    for (let i = 0; i < c.byteLength; i += 5) {
      const t = c.slice();
      t[i]! ^= 0x01;
      expect(() => decrypt(key, 2, t)).toThrow(AuthIntegrityError);
    }
    expect(() => decrypt(key, 2, c.subarray(0, c.byteLength - 1))).toThrow(AuthIntegrityError);
    expect(() => decrypt(key, 2, c.subarray(0, 10))).toThrow(/shorter than/);
    expect(() => decrypt(other, 2, c)).toThrow(AuthIntegrityError);
    expect(() => decrypt(key, 3, c)).toThrow(AuthIntegrityError);
    expect(() => decrypt(other, 2, c, 'Ticket enc-part')).toThrow(/^Ticket enc-part: integrity check failed/);
    expect(() => decrypt(other, 2, c, 'Ticket enc-part')).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY', what: 'Ticket enc-part' }));
  });

  test('checksums verify, and fail for other data, keys, usages and checksum types', () => {
    const { cksumtype, checksum } = makeChecksum(key, 10, plain);
    expect(cksumtype).toBe(enctype === 17 ? 15 : enctype === 18 ? 16 : -138);
    expect(checksum.byteLength).toBe(enctype === 23 ? 16 : 12);
    expect(verifyChecksum(key, 10, plain, cksumtype, checksum)).toBe(true);
    expect(verifyChecksum(key, 10, plain.subarray(1), cksumtype, checksum)).toBe(false);
    expect(verifyChecksum(other, 10, plain, cksumtype, checksum)).toBe(false);
    expect(verifyChecksum(key, 6, plain, cksumtype, checksum)).toBe(false);
    expect(verifyChecksum(key, 10, plain, 1, checksum)).toBe(false);
    expect(verifyChecksum(key, 10, plain, cksumtype, checksum.subarray(1))).toBe(false);
  });

  test('a key of the wrong size, a bad usage or confounder is a UsageError', () => {
    expect(() => encrypt({ enctype, value: new Uint8Array(5) }, 1, plain)).toThrow(UsageError);
    expect(() => encrypt(key, -1, plain)).toThrow(UsageError);
    expect(() => encrypt(key, 1, plain, new Uint8Array(3))).toThrow(UsageError);
  });
});
