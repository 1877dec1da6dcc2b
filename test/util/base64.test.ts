// decodeBase64Checked must accept exactly what the regex it replaced accepted (with a length that is a multiple of 4), and decode it.
import { expect, it } from 'vitest';
import { decodeBase64Checked } from '../../src/util/base64.js';

const OLD = /^[A-Za-z0-9+/]*={0,2}$/;

it('accepts what /^[A-Za-z0-9+/]*={0,2}$/ accepts at a length that is a multiple of 4, nothing else', () => {
  const chars = 'AZaz09+/=-_ \n\u00e9\u0100!';
  let state = 7;
  const rand = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const cases = ['', '=', '==', '===', 'A', 'AA==', 'AAA=', 'A===', '====', 'AB=C', 'QUJD', 'QUJD\n', 'é', 'AB-_', 'QU JD', 'QUJDRA==', 'QUJD=A==', 'QUJDR===', 'QUJDRE=='];
  for (let i = 0; i < 5000; i++) {
    let s = '';
    const n = 4 * Math.floor(rand() * 3) + (rand() < 0.2 ? Math.floor(rand() * 4) : 0);
    for (let j = 0; j < n; j++) s += chars[Math.floor(rand() * chars.length)];
    cases.push(s);
  }
  for (const s of cases) {
    const got = decodeBase64Checked(s);
    expect(got !== undefined, JSON.stringify(s)).toBe(OLD.test(s) && s.length % 4 === 0);
    if (got) expect(got.equals(Buffer.from(s, 'base64'))).toBe(true);
  }
});
