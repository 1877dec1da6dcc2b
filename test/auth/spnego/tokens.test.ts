// SPNEGO DER: the real tokens from pyspnego's AD lab parse to the values they
// carry; encoding round-trips; and every kind of malformed or truncated DER is
// a typed error (AuthProtocolError, code PSR_AUTH_INVALID, limits included) naming
// the offset, never a crash or a wrong answer.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PsRemoteError } from '../../../src/errors.js';
import { AuthProtocolError } from '../../../src/auth/errors.js';
import { decodeOid, encodeOid } from '../../../src/auth/spnego/der.js';
import {
  decodeNegotiationToken,
  encodeMechTypes,
  encodeNegTokenInit,
  encodeNegTokenResp,
  innerTokenKind,
  looksLikeSpnego,
  OID_KRB5,
  OID_KRB5_USER_TO_USER,
  OID_MS_KRB5,
  OID_NEGOEX,
  OID_NTLM,
  type NegTokenInit,
  type NegTokenResp,
} from '../../../src/auth/spnego/tokens.js';

const data = (name: string) => new Uint8Array(readFileSync(new URL(`../../../fixtures/upstream/jborean93-pyspnego/tests/data/${name}`, import.meta.url)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

describe('real tokens (pyspnego tests/data, captured in an AD lab)', () => {
  test('initial_context_token_neg_token_init: Kerberos then NTLM, an optimistic Kerberos AP-REQ', () => {
    const raw = data('initial_context_token_neg_token_init');
    expect(looksLikeSpnego(raw)).toBe(true);
    const t = decodeNegotiationToken(raw) as NegTokenInit;
    expect(t.kind).toBe('init');
    expect(t.mechTypes).toEqual([OID_KRB5, OID_NTLM]);
    expect(hex(t.mechTypesDer)).toBe(hex(encodeMechTypes([OID_KRB5, OID_NTLM])));
    expect(t.mechToken!.byteLength).toBe(1378);
    expect(innerTokenKind(t.mechToken!)).toBe('kerberos-ap-req');
    // Same framing as the separately captured AP-REQ (another capture, so the ciphertext differs).
    expect(hex(t.mechToken!.subarray(0, 0x80))).toBe(hex(data('initial_context_token_krb_ap_req').subarray(0, 0x80)));
    expect(Buffer.from(t.mechToken!).toString('latin1')).toContain('DOMAIN.LOCAL');
    expect(t.reqFlags).toBeUndefined();
    expect(t.mechListMIC).toBeUndefined();
    expect(t.negHints).toBeUndefined();
  });

  test('initial_context_token_neg_token_init2: the server-initiated NegTokenInit2 with negHints', () => {
    const t = decodeNegotiationToken(data('initial_context_token_neg_token_init2')) as NegTokenInit;
    expect(t.mechTypes).toEqual([OID_NEGOEX, OID_MS_KRB5, OID_KRB5, OID_KRB5_USER_TO_USER, OID_NTLM]);
    expect(t.negHints).toEqual({ hintName: 'not_defined_in_RFC4178@please_ignore' });
    expect(t.mechToken).toBeUndefined();
    expect(t.mechListMIC).toBeUndefined();
  });

  test('neg_token_resp: accept-completed, Kerberos, with the AP-REP as responseToken', () => {
    const raw = data('neg_token_resp');
    expect(looksLikeSpnego(raw)).toBe(true);
    const t = decodeNegotiationToken(raw) as NegTokenResp;
    expect(t).toMatchObject({ kind: 'resp', negState: 'accept-completed', supportedMech: OID_KRB5 });
    expect(t.responseToken!.byteLength).toBe(156);
    expect(innerTokenKind(t.responseToken!)).toBe('kerberos-ap-rep');
    expect(t.mechListMIC).toBeUndefined();
  });

  test('inner token kinds of the other captures; raw NTLM is not SPNEGO', () => {
    expect(innerTokenKind(data('ntlm_negotiate'))).toBe('ntlm-negotiate');
    expect(innerTokenKind(data('ntlm_challenge'))).toBe('ntlm-challenge');
    expect(innerTokenKind(data('ntlm_authenticate'))).toBe('ntlm-authenticate');
    expect(innerTokenKind(data('initial_context_token_krb_ap_rep'))).toBe('kerberos-ap-rep');
    expect(looksLikeSpnego(data('ntlm_negotiate'))).toBe(false);
    expect(looksLikeSpnego(data('initial_context_token_krb_ap_req'))).toBe(false);
  });

  test('re-encoding the decoded values gives the captured bytes back', () => {
    for (const name of ['initial_context_token_neg_token_init', 'initial_context_token_neg_token_init2']) {
      const t = decodeNegotiationToken(data(name)) as NegTokenInit;
      expect(hex(encodeNegTokenInit(t))).toBe(hex(data(name)));
    }
    const r = decodeNegotiationToken(data('neg_token_resp')) as NegTokenResp;
    expect(hex(encodeNegTokenResp(r))).toBe(hex(data('neg_token_resp')));
  });
});

describe('round trips', () => {
  test('OIDs, including multi-byte arcs and the 2.x form', () => {
    for (const oid of [OID_NTLM, OID_KRB5, OID_MS_KRB5, '1.3.6.1.5.5.2', '2.999.1', '0.0', '1.2.4294967296']) {
      const der = encodeOid(oid);
      expect(decodeOid(der.subarray(2), 'oid', 'test')).toBe(oid);
    }
    expect(hex(encodeOid(OID_NTLM))).toBe('060a2b06010401823702020a');
  });

  test('NegTokenInit, NegTokenInit2 and NegTokenResp with every field, for arbitrary contents', () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((b) => new Uint8Array(b));
    fc.assert(
      fc.property(bytes, bytes, fc.boolean(), fc.constantFrom('accept-completed', 'accept-incomplete', 'reject', 'request-mic') as fc.Arbitrary<NegTokenResp['negState'] & string>, (a, b, hints, negState) => {
        const init = { mechTypes: [OID_NTLM, OID_KRB5], reqFlags: Uint8Array.of(1, 0x60), mechToken: a, mechListMIC: b, ...(hints ? { negHints: { hintName: 'h', hintAddress: a } } : {}) };
        const d = decodeNegotiationToken(encodeNegTokenInit(init)) as NegTokenInit;
        expect(d.mechTypes).toEqual(init.mechTypes);
        expect(hex(d.mechToken!)).toBe(hex(a));
        expect(hex(d.mechListMIC!)).toBe(hex(b));
        expect(hex(d.reqFlags!)).toBe('0160');
        if (hints) expect(hex(d.negHints!.hintAddress!)).toBe(hex(a));
        const r = decodeNegotiationToken(encodeNegTokenResp({ negState, supportedMech: OID_NTLM, responseToken: a, mechListMIC: b })) as NegTokenResp;
        expect(r).toMatchObject({ kind: 'resp', negState, supportedMech: OID_NTLM });
        expect(hex(r.responseToken!)).toBe(hex(a));
        expect(hex(r.mechListMIC!)).toBe(hex(b));
      }),
      { numRuns: 200 },
    );
  });

  test('long-form lengths (a 1433-byte token) decode; an empty NegTokenResp is valid', () => {
    expect(decodeNegotiationToken(encodeNegTokenResp({}))).toEqual({ kind: 'resp' });
    const big = new Uint8Array(70_000);
    const t = decodeNegotiationToken(encodeNegTokenResp({ responseToken: big })) as NegTokenResp;
    expect(t.responseToken!.byteLength).toBe(70_000);
  });
});

describe('malformed DER is a typed error', () => {
  const resp = hex(encodeNegTokenResp({ negState: 'accept-incomplete', supportedMech: OID_NTLM, responseToken: Uint8Array.of(1, 2, 3) }));
  // a1 1a 30 18 a0 03 0a 01 01 a1 0c 06 0a <oid 10> a2 05 04 03 01 02 03
  const cases: [string, string, RegExp][] = [
    ['empty', '', /token: missing/],
    ['only a tag', 'a1', /truncated before its length/],
    ['indefinite length', 'a180' + resp.slice(4) + '0000', /indefinite length is not DER/],
    ['non-minimal long length', 'a1811a' + resp.slice(4), /not minimally encoded/],
    ['length with a leading zero', 'a182001a' + resp.slice(4), /not minimally encoded/],
    ['5-byte length', 'a18500000000001a', /too long/],
    ['truncated inside the length', 'a182', /truncated inside its length/],
    ['length past the end', resp.slice(0, -2), /runs past the end/],
    ['trailing bytes', resp + '00', /unexpected bytes after the last field/],
    ['high tag number', '1f01', /high tag number form/],
    ['unknown top-level tag', '3000', /neither an InitialContextToken nor a NegTokenResp/],
    ['NegTokenResp not a SEQUENCE', 'a1020400', /tag 0x4, expected 0x30/],
    ['fields out of order', 'a10c300aa1030601 2aa0030a0101'.replace(/ /g, ''), /out of order or repeated/],
    ['repeated field', 'a10c300aa0030a0101a0030a0101', /out of order or repeated/],
    ['unknown context field [4]', 'a1073005a4030a0101', /unexpected tag 0xa4/],
    ['negState out of range', 'a1073005a0030a0104', /negState 04 .* is not one of 0\.\.3/],
    ['negState of two bytes', 'a1083006a0040a020001', /is not one of 0\.\.3/],
    ['negState wrongly typed', 'a1073005a003020101', /tag 0x2, expected 0xa/],
    ['two values inside a context tag', 'a10a3008a0060a01000a0100', /unexpected bytes after the last field/],
    ['a primitive tag where a context field belongs', 'a1053003800100', /unexpected tag 0x80/],
    ['empty OID', 'a1063004a1020600', /empty OBJECT IDENTIFIER/],
    ['OID with 0x80 padding', 'a1093007a10506032b8001', /leading 0x80/],
    ['OID ending inside an arc', 'a1073005a103060181', /ends inside an arc/],
    ['InitialContextToken for Kerberos', hex(data('initial_context_token_krb_ap_req')), /not SPNEGO/],
    ['NegTokenInit without mechTypes', '601006062b0601050502a0063004a2020400', /has no mechTypes/],
    ['NegTokenInit with empty mechTypes', '601006062b0601050502a0063004a0023000', /mechTypes is empty/],
    ['[4] without negHints', hex(encodeNegTokenInit({ mechTypes: [OID_NTLM], mechListMIC: Uint8Array.of(7) })).replace(/a303040107$/, 'a403040107'), /without negHints/],
    ['negHints with an unknown field', hex(encodeNegTokenInit({ mechTypes: [OID_NTLM], negHints: { hintName: 'x' } })).replace(/a3073005a0031b0178$/, 'a3073005a2031b0178'), /unexpected tag 0xa2/],
  ];
  test.each(cases)('%s', (_name, h, message) => {
    let err: unknown;
    try {
      decodeNegotiationToken(fromHex(h));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PsRemoteError);
    expect((err as PsRemoteError).code).toBe('PSR_AUTH_INVALID');
    expect((err as Error).message).toMatch(message);
  });

  test('the OID with a leading 0x80 in an arc', () => {
    expect(() => decodeOid(Uint8Array.of(0x2b, 0x80, 0x01), 'MechType', 'test')).toThrow(/leading 0x80/);
  });

  test('size and depth limits', () => {
    const t = encodeNegTokenResp({ responseToken: new Uint8Array(1000) });
    expect(() => decodeNegotiationToken(t, { maxBytes: 500 })).toThrow(/SPNEGO token size limit exceeded: 1\d{3} > 500/);
    expect(() => decodeNegotiationToken(t, { maxDepth: 1 })).toThrow(/DER nesting depth limit exceeded/);
    const many = encodeNegTokenInit({ mechTypes: Array.from({ length: 33 }, (_, i) => `1.2.${i}`) });
    expect(() => decodeNegotiationToken(many)).toThrow(/more than 32 mechanisms/);
  });

  test('every truncation of every real token is a typed error, never anything else', () => {
    for (const name of ['initial_context_token_neg_token_init', 'initial_context_token_neg_token_init2', 'neg_token_resp']) {
      const raw = data(name);
      for (let n = 0; n < raw.byteLength; n++) {
        expect(() => decodeNegotiationToken(raw.subarray(0, n))).toThrow(AuthProtocolError);
      }
    }
  });

  test('random byte flips never crash: a result or a PSR_AUTH_INVALID error', () => {
    const raw = data('initial_context_token_neg_token_init2');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: raw.byteLength - 1 }), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = raw.slice();
        b[at] = v;
        try {
          decodeNegotiationToken(b);
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
          expect((e as PsRemoteError).code).toBe('PSR_AUTH_INVALID');
        }
      }),
      { numRuns: 500 },
    );
  });
});
