// toPlain (the JSON view of CLIXML values, as `invoke --json` prints them). The
// real engine (test/peer) sends `1.5` as <Db>1.5</Db>; JSON output must show a number.
import { expect, test } from 'vitest';
import { decodeValue } from '../../src/psrp/messages.js';
import { toPlain } from '../../src/clixml/plain.js';

test('doubles and singles become numbers; NaN and infinities stay text', () => {
  expect(toPlain(decodeValue('<Db>1.5</Db>'))).toBe(1.5);
  expect(toPlain(decodeValue('<Sg>-2.25E+20</Sg>'))).toBe(-2.25e20);
  expect(toPlain(decodeValue('<Db>NaN</Db>'))).toBe('NaN');
  expect(toPlain(decodeValue('<Db>INF</Db>'))).toBe('Infinity'); // docs/clixml.md: non-finite numbers by their JavaScript names
  expect(toPlain(decodeValue('<D>1.10</D>'))).toBe(1.1); // docs/clixml.md: a decimal of ≤ 15 digits is a number in the plain view
  expect(toPlain(decodeValue('<D>1234567890.1234567890</D>'))).toBe('1234567890.1234567890'); // …longer ones keep their text
  expect(toPlain(decodeValue('<I64>9007199254740993</I64>'))).toBe('9007199254740993');
});
