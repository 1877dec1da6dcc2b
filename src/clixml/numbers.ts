// Number texts of CLIXML (XML Schema lexical forms, as XmlConvert reads and
// writes them). Parsers take the element text with surrounding XML whitespace
// allowed (schema "collapse") and return undefined when it is not a valid
// value of the type, so the caller can say which element and where.

import { decodeBase64Checked } from '../util/base64.js';

/** Trims XML whitespace (space, tab, CR, LF) only. */
export function trimXml(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isXmlSpace(s.charCodeAt(a))) a++;
  while (b > a && isXmlSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** An integer text within [min, max] (both within ±2^53). */
export function parseSmallInt(text: string, min: number, max: number): number | undefined {
  const s = text;
  let i = 0;
  let n = s.length;
  while (i < n && isXmlSpace(s.charCodeAt(i))) i++;
  while (n > i && isXmlSpace(s.charCodeAt(n - 1))) n--;
  if (i === n) return undefined;
  let neg = false;
  const c0 = s.charCodeAt(i);
  if (c0 === 0x2d || c0 === 0x2b) {
    neg = c0 === 0x2d;
    if (++i === n) return undefined;
  }
  let v = 0;
  const limit = Math.max(max, -min) + 1;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
    if (v > limit) return undefined;
  }
  if (neg) v = -v;
  if (v < min || v > max) return undefined;
  return v === 0 ? 0 : v;
}

const BIGINT_RE = /^[+-]?\d+$/;

/** A 64-bit integer text within [min, max]. */
export function parseBigInt(text: string, min: bigint, max: bigint): bigint | undefined {
  const s = trimXml(text);
  // 20 digits plus sign and some leading zeros is plenty; refuse megabyte-long numbers before BigInt sees them.
  if (s.length > 64 || !BIGINT_RE.test(s)) return undefined;
  const v = BigInt(s);
  return v < min || v > max ? undefined : v;
}

const FLOAT_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** xs:double / xs:float text (INF, -INF, NaN included). */
export function parseFloatText(text: string): number | undefined {
  const s = trimXml(text);
  if (s.length > 1100) return undefined;
  if (FLOAT_RE.test(s)) return Number(s);
  switch (s) {
    case 'INF':
    case '+INF':
      return Infinity;
    case '-INF':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  return undefined;
}

/** The text XmlConvert writes for a double: R format, INF/-INF/NaN, -0. */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return String(v);
}

/** Shortest text that reads back as the same float32. */
export function formatSingle(v: number): string {
  if (!Number.isFinite(v) || v === 0) return formatDouble(v);
  for (let p = 1; p <= 9; p++) {
    const n = Number(v.toPrecision(p));
    if (Math.fround(n) === v) return String(n);
  }
  return String(v);
}

const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** xs:decimal text (kept as text by the caller). */
export function parseDecimalText(text: string): string | undefined {
  const s = trimXml(text);
  return s.length <= 1100 && DECIMAL_RE.test(s) ? s : undefined;
}

const HAS_WS = /[ \t\r\n]/;
const WS_ALL = /[ \t\r\n]/g;

/** Strict base64 (whitespace allowed between characters, as Convert.FromBase64String does). */
export function parseBase64(text: string): Uint8Array | undefined {
  const s = HAS_WS.test(text) ? text.replace(WS_ALL, '') : text;
  const b = decodeBase64Checked(s);
  if (!b) return undefined;
  // A copy, so the result never shares Buffer's pool with unrelated data.
  return new Uint8Array(b);
}

export function formatBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}
