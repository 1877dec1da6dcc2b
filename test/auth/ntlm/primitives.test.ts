// MD4 and RC4 (ours, because Node 20's OpenSSL refuses them) against their
// published vectors, and node:crypto's MD5/HMAC-MD5 on this Node.
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { md4 } from '../../../src/auth/ntlm/md4.js';
import { Rc4, rc4 } from '../../../src/auth/ntlm/rc4.js';
import { hmacMd5, md5 } from '../../../src/auth/ntlm/crypto.js';
import { UsageError } from '../../../src/errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('MD4 (RFC 1320 appendix A.5)', () => {
  const vectors: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  test.each(vectors)('md4(%j)', (input, digest) => {
    expect(hex(md4(ascii(input)))).toBe(digest);
  });

  test('every length around the 56/64-byte padding boundaries gives 16 bytes and differs from its neighbours', () => {
    const seen = new Set<string>();
    for (let n = 50; n <= 130; n++) {
      const d = md4(new Uint8Array(n).fill(0x61));
      expect(d.byteLength).toBe(16);
      seen.add(hex(d));
    }
    expect(seen.size).toBe(81);
  });

  test('a 1 MB input hashes like the legacy OpenSSL MD4 (value computed with `openssl dgst -md4 -provider legacy`)', () => {
    // printf 'a%.0s' {1..1000000} | openssl dgst -md4 -provider legacy -provider default
    expect(hex(md4(new Uint8Array(1_000_000).fill(0x61)))).toBe('bbce80cc6bb65e5c6745e30d4eeca9a4');
  });
});

describe('RC4', () => {
  test('RFC 6229: 40-bit key 0x0102030405, keystream bytes 0..31', () => {
    expect(hex(rc4(new Uint8Array([1, 2, 3, 4, 5]), new Uint8Array(32)))).toBe(
      'b2396305f03dc027ccc3524a0a1118a86982944f18fc82d589c403a47a0d0919',
    );
  });

  test('RFC 6229: 128-bit key 0x0102..10, keystream bytes 0..31 and 1024..1039', () => {
    const key = new Uint8Array(16).map((_, i) => i + 1);
    const ks = rc4(key, new Uint8Array(1040));
    expect(hex(ks.subarray(0, 32))).toBe('9ac7cc9a609d1ef7b2932899cde41b975248c4959014126a6e8a84f11d1a9e1c');
    expect(hex(ks.subarray(1024, 1040))).toBe('bdf0324e6083dcc6d3cedd3ca8c53c16');
  });

  test.each([
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ])('rc4(%j, %j)', (key, plain, cipher) => {
    expect(hex(rc4(ascii(key), ascii(plain)))).toBe(cipher);
  });

  test('the handle keeps its keystream across calls: split updates equal one update', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), fc.nat(300), (key, data, cut) => {
        const at = Math.min(cut, data.byteLength);
        const h = new Rc4(key);
        const split = [...h.update(data.subarray(0, at)), ...h.update(data.subarray(at))];
        expect(split).toEqual([...rc4(key, data)]);
        expect([...rc4(key, rc4(key, data))]).toEqual([...data]);
      }),
      { numRuns: 200 },
    );
  });

  test('a key of 0 or more than 256 bytes is refused', () => {
    expect(() => new Rc4(new Uint8Array(0))).toThrow(UsageError);
    expect(() => new Rc4(new Uint8Array(257))).toThrow(/RC4 key must be 1..256 bytes, not 257/);
  });
});

describe('MD5 and HMAC-MD5 from node:crypto on this Node', () => {
  test('RFC 1321 and RFC 2104 vectors', () => {
    expect(process.versions.node.split('.')[0]).toBe('20');
    expect(hex(md5(ascii('')))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(hex(md5(ascii('abc')))).toBe('900150983cd24fb0d6963f7d28e17f72');
    // RFC 2104 test case 2
    expect(hex(hmacMd5(ascii('Jefe'), ascii('what do ya want for nothing?')))).toBe('750c783e6ab0b503eaa86e310a5db738');
    expect(hex(hmacMd5(ascii('k'), ascii('ab'), ascii('c')))).toBe(createHmac('md5', 'k').update('abc').digest('hex'));
    expect(hex(md5(ascii('a'), ascii('bc')))).toBe(createHash('md5').update('abc').digest('hex'));
  });

  test('MD4 and RC4 really are missing from OpenSSL here (why ours exist)', () => {
    expect(() => createHash('md4')).toThrow();
  });
});
