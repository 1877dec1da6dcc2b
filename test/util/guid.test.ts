import { expect, test } from 'vitest';
import fc from 'fast-check';
import {
  ZERO_GUID,
  guidFromBytesLE,
  guidToBytesBE,
  guidToBytesLE,
  guidToUpper,
  isGuid,
  normalizeGuid,
} from '../../src/util/guid.js';
import { UsageError } from '../../src/errors.js';

test('.NET byte order: the first three groups are little-endian', () => {
  // Guid("846a0576-dc51-244f-9262-ca2a55464b2b").ToByteArray(), as seen in a
  // real PSRP header (fixtures/upstream/derived/psrp-fragment-vectors.json).
  const hex = '76056a8451dc4f249262ca2a55464b2b';
  expect(Buffer.from(guidToBytesLE('846a0576-dc51-244f-9262-ca2a55464b2b')).toString('hex')).toBe(hex);
  expect(guidFromBytesLE(new Uint8Array(Buffer.from(hex, 'hex')))).toBe('846a0576-dc51-244f-9262-ca2a55464b2b');
  expect(Buffer.from(guidToBytesBE('846a0576-dc51-244f-9262-ca2a55464b2b')).toString('hex')).toBe(
    '846a0576dc51244f9262ca2a55464b2b',
  );
});

test('round trip for any GUID', () => {
  fc.assert(
    fc.property(fc.uuid(), (u) => {
      expect(guidFromBytesLE(guidToBytesLE(u))).toBe(u.toLowerCase());
    }),
  );
});

test('normalisation and upper-case forms', () => {
  expect(normalizeGuid('{8476A866-BDDE-4616-A461-550AC92B1C20}')).toBe('8476a866-bdde-4616-a461-550ac92b1c20');
  expect(normalizeGuid('uuid:8476A866-BDDE-4616-A461-550AC92B1C20')).toBe('8476a866-bdde-4616-a461-550ac92b1c20');
  expect(guidToUpper('8476a866-bdde-4616-a461-550ac92b1c20')).toBe('8476A866-BDDE-4616-A461-550AC92B1C20');
  expect(isGuid(ZERO_GUID)).toBe(true);
  expect(isGuid('nope')).toBe(false);
  expect(() => normalizeGuid('8476a866-bdde-4616-a461-550ac92b1c2')).toThrow(UsageError);
  expect(() => normalizeGuid('8476a866-bdde-4616-a461-550ac92b1c2g')).toThrow(UsageError);
});

test('writes into a target at an offset and bounds-checks reads', () => {
  const out = new Uint8Array(20);
  guidToBytesLE('00000001-0000-0000-0000-000000000000', out, 4);
  expect(out[4]).toBe(1);
  expect(() => guidFromBytesLE(new Uint8Array(15))).toThrowError(expect.objectContaining({ code: 'PSR_DATA_TRUNCATED' }));
  expect(() => guidFromBytesLE(new Uint8Array(20), 5)).toThrow();
});
