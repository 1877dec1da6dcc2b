// isBase64Text must accept exactly what the regex it replaced accepted.
import { expect, it } from 'vitest';
import { isBase64Text } from '../../src/util/base64.js';

const OLD = /^[A-Za-z0-9+/]*={0,2}$/;

it('accepts what /^[A-Za-z0-9+/]*={0,2}$/ accepts, nothing else', () => {
  const chars = 'AZaz09+/=-_ \n\u00e9\u0100!';
  let state = 7;
  const rand = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const cases = ['', '=', '==', '===', 'A', 'AA==', 'AAA=', 'A===', '====', 'AB=C', 'QUJD', 'QUJD\n', 'é'];
  for (let i = 0; i < 5000; i++) {
    let s = '';
    const n = Math.floor(rand() * 9);
    for (let j = 0; j < n; j++) s += chars[Math.floor(rand() * chars.length)];
    cases.push(s);
  }
  for (const s of cases) expect(isBase64Text(s), JSON.stringify(s)).toBe(OLD.test(s));
});
