// The GSS-API token fuzz target (fuzz/targets/krb-gss-tokens.ts) under
// fast-check: its seeds parse, mutations and random bytes give only typed
// errors; and a sealed token with any byte changed never unwraps.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import target from '../../../fuzz/targets/krb-gss-tokens.js';
import { unwrapCfx } from '../../../src/auth/kerberos/gss/cfx.js';
import { unwrapRc4 } from '../../../src/auth/kerberos/gss/rc4.js';
import { PsRemoteError } from '../../../src/errors.js';

const mutated = (seeds: Uint8Array[]) =>
  fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), fc.boolean()).map(([seed, edits, cut, doCut]) => {
    const b = seed.slice();
    for (const [at, v] of edits) b[at % b.byteLength] = v;
    return doCut ? b.subarray(0, cut % (b.byteLength + 1)) : b;
  });

describe('fuzz target krb-gss-tokens', () => {
  test('seeds parse; mutations and random bytes give only typed errors', () => {
    for (const s of target.seeds()) expect(() => target.run(s)).not.toThrow();
    fc.assert(fc.property(fc.oneof(mutated(target.seeds()), fc.uint8Array({ maxLength: 300 })), (input) => target.run(input)), { numRuns: 300 });
  });

  test('a sealed CFX or RC4 token with any byte changed does not unwrap (typed error)', () => {
    const [, , cfx, rc4] = target.seeds() as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const aes = { enctype: 18 as const, value: new Uint8Array(32).fill(7) };
    const arc = { enctype: 23 as const, value: new Uint8Array(16).fill(9) };
    expect(Buffer.from(unwrapCfx(aes, { fromAcceptor: true, acceptorSubkey: true }, cfx).data).toString()).toBe('A'.repeat(40));
    expect(Buffer.from(unwrapRc4(arc, true, rc4).data).toString()).toBe('B'.repeat(20));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, x, which) => {
        const b = (which ? cfx : rc4).slice();
        const i = at % b.byteLength;
        b[i] = b[i]! ^ x;
        const attempt = () => (which ? unwrapCfx(aes, { fromAcceptor: true, acceptorSubkey: true }, b) : unwrapRc4(arc, true, b));
        expect(attempt).toThrow(PsRemoteError);
      }),
      { numRuns: 200 },
    );
  });

  test('an RRC one whole turn more (outside the checksum, so it would decrypt the same) is refused', () => {
    const [, , cfx] = target.seeds() as [Uint8Array, Uint8Array, Uint8Array];
    const aes = { enctype: 18 as const, value: new Uint8Array(32).fill(7) };
    const b = cfx.slice();
    const rrc = ((b[6]! << 8) | b[7]!) + (b.byteLength - 16);
    b[6] = rrc >> 8;
    b[7] = rrc & 0xff;
    expect(() => unwrapCfx(aes, { fromAcceptor: true, acceptorSubkey: true }, b)).toThrow(/RRC \d+ is not less than its 84 rotated bytes/);
  });
});
