// WinRM message encryption framing (MS-WSMV 2.2.9.1): the real NTLM-sealed
// body captured by the ironPosh developers from a Windows server parses; our
// bodies round-trip through NTLM sealing (one part and x-multi-encrypted);
// malformed bodies and bad signatures give typed errors.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PsRemoteError } from '../../src/errors.js';
import { NtlmSessionSecurity } from '../../src/auth/ntlm/session-security.js';
import { CLIENT_FLAGS } from '../../src/auth/ntlm/flags.js';
import {
  buildEncryptedBody,
  encryptedContentType,
  encryptedProtocolOf,
  parseEncryptedBody,
  unwrapEncryptedBody,
} from '../../src/auth/winrm-encryption.js';

const ironPosh = new Uint8Array(
  Buffer.from(readFileSync(new URL('../../fixtures/upstream/Devolutions-ironPosh/crates/ironposh-client-core/test_data/real_encrypted_soap.txt', import.meta.url), 'utf8').trim(), 'hex'),
);

function pair() {
  const key = new Uint8Array(16).fill(7);
  return { client: new NtlmSessionSecurity(CLIENT_FLAGS, key, 'initiator'), server: new NtlmSessionSecurity(CLIENT_FLAGS, key, 'acceptor') };
}

const soap = (n: number) => new Uint8Array(Buffer.from(`<s:Envelope>${'x'.repeat(n)}</s:Envelope>`));

describe('the real sealed body from a Windows server (ironPosh capture)', () => {
  test('parses into one SPNEGO part: Length=2162, a 16-byte NTLM signature (version 1, sequence 0), 2162 sealed bytes', () => {
    const parts = parseEncryptedBody(ironPosh);
    expect(parts).toHaveLength(1);
    const p = parts[0]!;
    expect(p.protocol).toBe('application/HTTP-SPNEGO-session-encrypted');
    expect(p.originalType).toBe('application/soap+xml');
    expect(p.charset).toBe('UTF-8');
    expect(p.length).toBe(2162);
    expect(p.sealed.byteLength).toBe(2162);
    expect(Buffer.from(p.signature).toString('hex')).toBe('01000000ffdd759d0a5a826c00000000');
    expect(ironPosh.byteLength).toBe(2420);
  });

  test('unsealing it with the wrong keys is an integrity error, not garbage', () => {
    expect(() => unwrapEncryptedBody(ironPosh, pair().server)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' }));
  });
});

describe('our bodies', () => {
  test('the layout pywinrm and Windows use, byte for byte apart from the sealed bytes', () => {
    const { client } = pair();
    const { body, contentType } = buildEncryptedBody(soap(10), client);
    expect(contentType).toBe('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"');
    const text = Buffer.from(body).toString('latin1');
    expect(text.startsWith(
      '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=35\r\n' +
        '--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00\x01\x00\x00\x00',
    )).toBe(true);
    expect(text.endsWith('--Encrypted Boundary--\r\n')).toBe(true);
    expect(text).not.toContain('xxxxxxxxxx');
    expect(body.byteLength).toBe(ironPosh.byteLength - 2162 + 35 - 2 /* "2162" vs "35" */);
  });

  test('round trip through NTLM, several messages in sequence', () => {
    const { client, server } = pair();
    for (const n of [0, 1, 100, 5000]) {
      const { body } = buildEncryptedBody(soap(n), client);
      expect(Buffer.from(unwrapEncryptedBody(body, server).plain)).toEqual(Buffer.from(soap(n)));
    }
  });

  test('multipart/x-multi-encrypted: a large body in 16 KiB parts, each sealed in order', () => {
    const { client, server } = pair();
    const plain = soap(50_000);
    const { body, contentType } = buildEncryptedBody(plain, client, { chunkSize: 16384 });
    expect(contentType.startsWith('multipart/x-multi-encrypted;')).toBe(true);
    const parts = parseEncryptedBody(body);
    expect(parts.map((p) => p.length)).toEqual([16384, 16384, 16384, plain.byteLength - 3 * 16384]);
    expect(parts.map((p) => Buffer.from(p.signature.subarray(12)).readUInt32LE(0))).toEqual([0, 1, 2, 3]);
    expect(Buffer.from(unwrapEncryptedBody(body, server).plain)).toEqual(Buffer.from(plain));
  });

  test('tolerated variations: "-- Encrypted Boundary" (Exchange) and a CRLF after the sealed data', () => {
    const { client, server } = pair();
    const { body } = buildEncryptedBody(soap(20), client);
    const s = Buffer.from(body).toString('latin1').replaceAll('--Encrypted Boundary\r\n', '-- Encrypted Boundary\r\n').replace(/--Encrypted Boundary--\r\n$/, '\r\n--Encrypted Boundary--\r\n');
    expect(Buffer.from(unwrapEncryptedBody(new Uint8Array(Buffer.from(s, 'latin1')), server).plain).toString()).toContain('xxxx');
  });

  test('content types', () => {
    expect(encryptedProtocolOf(encryptedContentType())).toBe('application/HTTP-SPNEGO-session-encrypted');
    expect(encryptedProtocolOf('multipart/x-multi-encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"')).toBe('application/HTTP-SPNEGO-session-encrypted');
    expect(encryptedProtocolOf('application/soap+xml;charset=UTF-8')).toBeUndefined();
    expect(encryptedProtocolOf(undefined)).toBeUndefined();
  });
});

describe('malformed bodies', () => {
  const { client } = pair();
  const good = Buffer.from(buildEncryptedBody(soap(40), client).body).toString('latin1');
  const bad = (s: string) => () => parseEncryptedBody(new Uint8Array(Buffer.from(s, 'latin1')));

  test('each structural defect is named', () => {
    expect(good).toContain('Length=65'); // soap(40) is 65 bytes
    expect(bad('')).toThrow(/no CRLF-terminated boundary line/);
    expect(bad('hello\r\n')).toThrow(/expected the "--Encrypted Boundary" line/);
    expect(bad('--Encrypted Boundary--\r\n')).toThrow(/without encrypted parts/);
    expect(bad(good.replace('\tOriginalContent', '\tOriginal'))).toThrow(/no OriginalContent header/);
    expect(bad(good.replace('Length=65', 'Length=x'))).toThrow(/no valid Length/);
    expect(bad(good.replace('Length=65', 'Length=99999'))).toThrow(/Length=99999 but only/);
    expect(bad(good.replace('application/octet-stream', 'text/plain'))).toThrow(/expected application\/octet-stream/);
    expect(bad(good.replace('--Encrypted Boundary--\r\n', 'junk\r\n'))).toThrow(/expected the "--Encrypted Boundary" line/);
    expect(bad(`${good}trailing`)).toThrow(/after the closing boundary/);
    expect(bad(good.replace('\x10\x00\x00\x00', '\xff\xff\x00\x00'))).toThrow(expect.objectContaining({ code: 'PSR_LIMIT' }));
  });

  test('a wrong Length with a valid seal is an integrity error; every truncation and random corruption is typed', () => {
    const { client: c2, server: s2 } = pair();
    const body = Buffer.from(buildEncryptedBody(soap(40), c2).body).toString('latin1');
    // Drop the last sealed byte and lower Length to match: the signature no longer verifies.
    const cut = body.replace('Length=65', 'Length=64').replace(/.--Encrypted Boundary--\r\n$/s, '--Encrypted Boundary--\r\n');
    expect(() => unwrapEncryptedBody(new Uint8Array(Buffer.from(cut, 'latin1')), s2)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INTEGRITY' }));
    const bytes = new Uint8Array(Buffer.from(good, 'latin1'));
    for (let n = 0; n < bytes.byteLength; n++) expect(() => parseEncryptedBody(bytes.subarray(0, n))).toThrow(PsRemoteError);
    fc.assert(
      fc.property(fc.nat(bytes.byteLength - 1), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = new Uint8Array(bytes);
        b[at] = v;
        try {
          unwrapEncryptedBody(b, pair().server);
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
