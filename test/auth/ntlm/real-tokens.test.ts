// Real NTLM tokens captured by the pyspnego maintainer in an AD lab
// (fixtures/upstream/jborean93-pyspnego) parse to the values they carry, and
// malformed tokens (every truncation, random corruption, lying offsets) give
// typed errors, never a crash or an out-of-range read.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PsRemoteError } from '../../../src/errors.js';
import { avPairName, decodeAvPairs } from '../../../src/auth/ntlm/av-pairs.js';
import { flagNames } from '../../../src/auth/ntlm/flags.js';
import { decodeAuthenticate, decodeChallenge, decodeNegotiate } from '../../../src/auth/ntlm/messages.js';

const dir = new URL('../../../fixtures/upstream/jborean93-pyspnego/tests/data/', import.meta.url);
const token = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (id: number, v: Uint8Array) => ([1, 2, 3, 4, 5, 9].includes(id) ? Buffer.from(v).toString('utf16le') : hex(v));
const pairsOf = (nt: Uint8Array) => decodeAvPairs(nt.subarray(16 + 28), 'NTLMv2 response', 'zeros').map((p) => [avPairName(p.id), text(p.id, p.value)]);

describe('pyspnego captures', () => {
  test('NEGOTIATE (40 bytes): flags, no domain or workstation, version 10.0.17763', () => {
    const m = decodeNegotiate(token('ntlm_negotiate'));
    expect(m.flags).toBe(0xe20882b7);
    expect(flagNames(m.flags)).toEqual(['UNICODE', 'OEM', 'REQUEST_TARGET', 'SIGN', 'SEAL', 'LM_KEY', 'NTLM', 'ALWAYS_SIGN', 'EXTENDED_SESSIONSECURITY', 'VERSION', '128', 'KEY_EXCH', '56']);
    expect(m.domain).toBe('');
    expect(m.workstation).toBe('');
    expect(m.version).toEqual({ major: 10, minor: 0, build: 17763, revision: 15 });
  });

  test('CHALLENGE (206 bytes) from DC01.domain.local: challenge, target name, AV pairs and timestamp', () => {
    const m = decodeChallenge(token('ntlm_challenge'));
    expect(m.flags).toBe(0xe2898235);
    expect(flagNames(m.flags)).toContain('TARGET_TYPE_DOMAIN');
    expect(hex(m.serverChallenge)).toBe('e4101014cf8a90be');
    expect(m.targetName).toBe('DOMAIN');
    expect(m.targetInfo.map((p) => [avPairName(p.id), text(p.id, p.value)])).toEqual([
      ['MsvAvNbDomainName', 'DOMAIN'],
      ['MsvAvNbComputerName', 'DC01'],
      ['MsvAvDnsDomainName', 'domain.local'],
      ['MsvAvDnsComputerName', 'DC01.domain.local'],
      ['MsvAvDnsTreeName', 'domain.local'],
      ['MsvAvTimestamp', 'f8819288991ed601'],
    ]);
    expect(m.timestamp).toBe(0x01d61e99889281f8n);
    // 132326883824140792 ticks of 100 ns since 1601 = 2020-04-30T02:46:22.414Z
    expect(new Date(Number(m.timestamp! / 10_000n - 11_644_473_600_000n)).toISOString()).toBe('2020-04-30T02:46:22.414Z');
    expect(m.version).toEqual({ major: 10, minor: 0, build: 14393, revision: 15 });
  });

  test('AUTHENTICATE (420 bytes, UPN user, no MIC field): fields and the NTLMv2 response it carries', () => {
    const m = decodeAuthenticate(token('ntlm_authenticate'));
    expect(m.flags).toBe(0xe2898235);
    expect(m.user).toBe('vagrant-domain@DOMAIN.LOCAL');
    expect(m.domain).toBe('');
    expect(m.workstation).toBe('JBOREAN-LINUX');
    expect(m.lmChallengeResponse.byteLength).toBe(0);
    expect(m.ntChallengeResponse.byteLength).toBe(252);
    expect(hex(m.ntChallengeResponse.subarray(0, 16))).toBe('c543cc0d1a0fbd9ec05e1aab0771b124');
    expect(hex(m.encryptedRandomSessionKey)).toBe('3765d5afd13ec3a6c97c0726ce9f30c9');
    expect(m.mic).toBeUndefined();
    expect(m.version).toEqual({ major: 6, minor: 2, build: 0, revision: 15 });
    const nt = m.ntChallengeResponse;
    expect(hex(nt.subarray(16, 24))).toBe('0101000000000000');
    expect(hex(nt.subarray(24, 32))).toBe('f8819288991ed601'); // the CHALLENGE's timestamp, echoed
    expect(hex(nt.subarray(32, 40))).toBe('dc5a7473ac5672fc');
    expect(pairsOf(nt)).toEqual([
      ['MsvAvNbComputerName', 'DC01'],
      ['MsvAvNbDomainName', 'DOMAIN'],
      ['MsvAvDnsComputerName', 'DC01.domain.local'],
      ['MsvAvDnsDomainName', 'domain.local'],
      ['MsvAvDnsTreeName', 'domain.local'],
      ['MsvAvFlags', '00000000'],
      ['MsvAvTimestamp', 'f8819288991ed601'],
      ['MsvAvTargetName', 'dc01.domain.local'],
      ['MsvAvChannelBindings', '00'.repeat(16)],
    ]);
  });

  test('AUTHENTICATE without sign/seal (440 bytes): MIC field, Z(24) LM response, MsvAvFlags MIC bit, SPN', () => {
    const m = decodeAuthenticate(token('ntlm_authenticate_no_sign_seal'));
    expect(m.flags).toBe(0xe28a8205);
    expect(flagNames(m.flags)).not.toContain('SIGN');
    expect(flagNames(m.flags)).not.toContain('SEAL');
    expect(m.user).toBe('vagrant');
    expect(m.domain).toBe('');
    expect(m.workstation).toBe('JBOREAN-LINUX');
    expect(hex(m.lmChallengeResponse)).toBe('00'.repeat(24));
    expect(m.micOffset).toBe(72);
    expect(hex(m.mic!)).toBe('fe935dc88b782a1c01ae3965cf77627d');
    expect(hex(m.encryptedRandomSessionKey)).toBe('92d93576421343ceb1937aad4cd78116');
    expect(m.ntChallengeResponse.byteLength).toBe(272);
    expect(pairsOf(m.ntChallengeResponse)).toEqual([
      ['MsvAvNbDomainName', 'WIN-MJ44NRDC217'],
      ['MsvAvNbComputerName', 'WIN-MJ44NRDC217'],
      ['MsvAvDnsDomainName', 'WIN-MJ44NRDC217'],
      ['MsvAvDnsComputerName', 'WIN-MJ44NRDC217'],
      ['MsvAvTimestamp', '6bf48d865d35d601'],
      ['MsvAvChannelBindings', '00'.repeat(16)],
      ['MsvAvTargetName', 'HOST/192.168.121.229'],
      ['MsvAvFlags', '02000000'],
    ]);
  });
});

describe('malformed tokens give typed errors', () => {
  const cases: [string, (b: Uint8Array) => unknown][] = [
    ['ntlm_negotiate', decodeNegotiate],
    ['ntlm_challenge', decodeChallenge],
    ['ntlm_authenticate', decodeAuthenticate],
    ['ntlm_authenticate_no_sign_seal', decodeAuthenticate],
  ];

  test.each(cases)('every truncation of %s', (name, decode) => {
    const full = token(name);
    let failures = 0;
    for (let n = 0; n < full.byteLength; n++) {
      try {
        decode(full.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(PsRemoteError);
        expect((e as PsRemoteError).code).toBe('PSR_AUTH_INVALID');
        failures++;
      }
    }
    // A NEGOTIATE cut after its flags is a legal (old-style) message; everything else that is cut must fail.
    expect(failures).toBeGreaterThan(full.byteLength - 30);
  });

  test.each(cases)('random corruption of %s never escapes as an untyped error', (name, decode) => {
    const full = token(name);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(full.byteLength - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
        const b = new Uint8Array(full);
        for (const [at, v] of edits) b[at] = v;
        try {
          decode(b);
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('wrong signature, wrong message type, payload offset outside the message, oversized token', () => {
    const auth = token('ntlm_authenticate');
    const notNtlm = new Uint8Array(auth);
    notNtlm[0] = 0x41;
    expect(() => decodeAuthenticate(notNtlm)).toThrow(/not an NTLM message/);
    expect(() => decodeChallenge(auth)).toThrow(/MessageType is 3, expected 2/);
    const lying = new Uint8Array(auth);
    new DataView(lying.buffer).setUint32(40, 0xfffffff0, true); // UserName offset
    expect(() => decodeAuthenticate(lying)).toThrow(expect.objectContaining({ code: 'PSR_AUTH_INVALID', message: expect.stringMatching(/UserName .* lies outside the payload/) }));
    const big = new Uint8Array(70_000);
    big.set(auth);
    expect(() => decodeAuthenticate(big)).toThrow(expect.objectContaining({ code: 'PSR_LIMIT' }));
  });

  test('AV pair lists: missing MsvAvEOL, wrong fixed sizes, odd UTF-16 lengths, bytes after EOL', () => {
    const where = 'TargetInfo';
    expect(() => decodeAvPairs(new Uint8Array([2, 0, 2, 0, 0x41, 0]), where)).toThrow(/AvId needs 2 bytes/);
    expect(() => decodeAvPairs(new Uint8Array([6, 0, 2, 0, 1, 0, 0, 0, 0, 0]), where)).toThrow(/AV pair 6 must be 4 bytes, not 2/);
    expect(() => decodeAvPairs(new Uint8Array([1, 0, 3, 0, 0x41, 0, 0x42, 0, 0, 0, 0]), where)).toThrow(/odd length 3/);
    expect(() => decodeAvPairs(new Uint8Array([0, 0, 0, 0, 1]), where)).toThrow(/1 bytes after MsvAvEOL/);
    expect(() => decodeAvPairs(new Uint8Array([0, 0, 2, 0, 0, 0]), where)).toThrow(/MsvAvEOL with length 2/);
    expect(decodeAvPairs(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0]), where, 'zeros')).toEqual([]);
  });
});
