// CredSSP's DER structures against pyspnego's real samples
// (fixtures/upstream/jborean93-pyspnego/tests/data/credssp_*): each decodes to
// the values pyspnego's own tests assert and re-encodes to the same bytes.
// Then the strictness: non-DER, unknown and repeated fields are refused with
// AuthProtocolError naming the field; and a fast-check property that any
// TSRequest round-trips and any byte string either decodes or is refused
// with a typed error (never a crash).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CredType,
  decodeTSCredentials,
  decodeTSPasswordCreds,
  decodeTSRequest,
  encodeInteger,
  encodePasswordCredentials,
  encodeTSCredentials,
  encodeTSPasswordCreds,
  encodeTSRequest,
  type TSRequest,
} from '../../../src/auth/credssp/ts-request.js';
import { PsRemoteError } from '../../../src/errors.js';

const data = (name: string) => new Uint8Array(readFileSync(new URL(`../../../fixtures/upstream/jborean93-pyspnego/tests/data/${name}`, import.meta.url)));
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pyspnego CredSSP samples', () => {
  test('credssp_ts_request: every field, re-encoded identically', () => {
    const raw = data('credssp_ts_request');
    const m = decodeTSRequest(raw);
    expect(m.version).toBe(6);
    expect(m.negoTokens).toEqual([ascii('123')]);
    expect(m.authInfo).toEqual(ascii('auth info'));
    expect(m.pubKeyAuth).toEqual(ascii('pub key auth'));
    expect(m.errorCode).toBe(10);
    expect(m.clientNonce).toEqual(ascii('client nonce'));
    expect(hex(encodeTSRequest(m))).toBe(hex(raw));
  });

  test('credssp_ts_credential_password: TSCredentials(password) and TSPasswordCreds', () => {
    const raw = data('credssp_ts_credential_password');
    const c = decodeTSCredentials(raw);
    expect(c.credType).toBe(CredType.Password);
    const p = decodeTSPasswordCreds(c.credentials);
    expect(p).toEqual({ domainName: 'domain name', userName: 'username', password: 'password' });
    expect(hex(encodeTSPasswordCreds(p))).toBe(hex(c.credentials));
    expect(hex(encodePasswordCredentials(p))).toBe(hex(raw));
  });

  test.each([
    ['credssp_ts_credential_smart_card', CredType.SmartCard],
    ['credssp_ts_credential_smart_card_full', CredType.SmartCard],
    ['credssp_ts_credential_remote_guard_no_supplemental', CredType.RemoteGuard],
    ['credssp_ts_credential_remote_guard_empty_supplemental', CredType.RemoteGuard],
    ['credssp_ts_credential_remote_guard_multiple', CredType.RemoteGuard],
  ])('%s: credType %i kept as raw DER, re-encoded identically', (name, type) => {
    const raw = data(name);
    const c = decodeTSCredentials(raw);
    expect(c.credType).toBe(type);
    expect(c.credentials[0]).toBe(0x30);
    expect(hex(encodeTSCredentials(c))).toBe(hex(raw));
  });
});

describe('strict DER', () => {
  const base: TSRequest = { version: 6, negoTokens: [ascii('tok')] };
  const expectInvalid = (b: Uint8Array, what: RegExp) => {
    let err: unknown;
    try {
      decodeTSRequest(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PsRemoteError);
    expect((err as PsRemoteError).code).toBe('PSR_AUTH_INVALID');
    expect((err as Error).message).toMatch(what);
  };

  test('a missing version, trailing bytes, an unknown field, fields out of order', () => {
    expectInvalid(Uint8Array.of(0x30, 0x00), /version is missing/);
    expectInvalid(Uint8Array.of(...encodeTSRequest(base), 0x00), /unexpected bytes/);
    expectInvalid(Uint8Array.of(0x30, 0x08, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa7, 0x01, 0x00), /unknown field/);
    expectInvalid(Uint8Array.of(0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa0, 0x03, 0x02, 0x01, 0x06), /out of order or repeated/);
  });

  test('a non-minimal INTEGER and an empty NegoData', () => {
    expectInvalid(Uint8Array.of(0x30, 0x06, 0xa0, 0x04, 0x02, 0x02, 0x00, 0x06), /not minimally encoded/);
    expectInvalid(Uint8Array.of(0x30, 0x09, 0xa0, 0x03, 0x02, 0x01, 0x06, 0xa1, 0x02, 0x30, 0x00), /empty NegoData/);
  });

  test('an NTSTATUS errorCode in either encoding', () => {
    // 0xC000006D (STATUS_LOGON_FAILURE) as the signed 32-bit value and as its positive 5-byte form.
    expect(decodeTSRequest(encodeTSRequest({ version: 6, errorCode: 0xc000006d | 0 })).errorCode! >>> 0).toBe(0xc000006d);
    expect(decodeTSRequest(encodeTSRequest({ version: 6, errorCode: 0xc000006d })).errorCode! >>> 0).toBe(0xc000006d);
    expect(hex(encodeInteger(0xc000006d | 0))).toBe('0204c000006d');
    expect(hex(encodeInteger(0xc000006d))).toBe('020500c000006d');
  });
});

describe('properties', () => {
  const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => new Uint8Array(b));
  const request = fc.record(
    {
      version: fc.integer({ min: 1, max: 6 }),
      negoTokens: fc.array(bytes, { minLength: 1, maxLength: 3 }),
      authInfo: bytes,
      pubKeyAuth: bytes,
      errorCode: fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
      clientNonce: bytes,
    },
    { requiredKeys: ['version'] },
  );

  test('every TSRequest round-trips', () => {
    fc.assert(
      fc.property(request, (m) => {
        const enc = encodeTSRequest(m as TSRequest);
        expect(decodeTSRequest(enc)).toEqual(m);
        expect(hex(encodeTSRequest(decodeTSRequest(enc)))).toBe(hex(enc));
      }),
    );
  });

  test('any bytes, or a valid TSRequest with one byte changed, decode or give a typed error', () => {
    const mutated = fc.tuple(request, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([m, at, v]) => {
      const b = encodeTSRequest(m as TSRequest).slice();
      b[at % b.byteLength] = v;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(bytes, mutated), (b) => {
        try {
          decodeTSRequest(b);
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
