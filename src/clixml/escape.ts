// String encoding of MS-PSRP 2.2.5.3.2 (_xHHHH_) and the XML escaping on top.
//
// Encoding follows PowerShell's serializer: C0 controls, DEL and C1 controls
// (U+007F-U+009F), every surrogate code unit (so a pair becomes two escapes and
// a lone surrogate survives), U+FFFE/U+FFFF, and an underscore followed by "x"
// or "X" (so literal "_x0041_" text is not read back as "A"). Decoding follows
// XmlConvert.DecodeName, which PowerShell's deserializer uses: _xHHHH_ and the
// 8-digit _xHHHHHHHH_ form, "x" in either case, hex digits in either case.

import { UsageError } from '../errors.js';

const NEEDS_ENCODING = /[\x00-\x1F\x7F-\x9F\uD800-\uDFFF\uFFFE\uFFFF]|_[xX]/;
const ENCODE_ALL = /[\x00-\x1F\x7F-\x9F\uD800-\uDFFF\uFFFE\uFFFF]|_(?=[xX])/g;
const HEX4 = (c: number): string => `_x${c.toString(16).toUpperCase().padStart(4, '0')}_`;

/** _xHHHH_-encodes a string (no XML escaping). */
export function encodeClixmlString(s: string): string {
  return NEEDS_ENCODING.test(s) ? s.replace(ENCODE_ALL, (c) => HEX4(c.charCodeAt(0))) : s;
}

const DECODE = /_[xX]([0-9A-Fa-f]{4}|[0-9A-Fa-f]{8})_/g;

/**
 * Decodes _xHHHH_ escapes. Returns undefined when an 8-digit escape names no
 * Unicode code point (the caller reports where).
 */
export function decodeClixmlString(s: string): string | undefined {
  const u = s.indexOf('_');
  if (u < 0) return s;
  if (s.indexOf('_x', u) < 0 && s.indexOf('_X', u) < 0) return s;
  let bad = false;
  const out = s.replace(DECODE, (_m, hex: string) => {
    const cp = parseInt(hex, 16);
    if (hex.length === 4) return String.fromCharCode(cp);
    if (cp > 0x10ffff) {
      bad = true;
      return '';
    }
    return String.fromCodePoint(cp);
  });
  return bad ? undefined : out;
}

const XML_TEXT = /[&<>]/;
const XML_TEXT_ALL = /[&<>]/g;
const XML_ATTR = /[&<>"]/;
const XML_ATTR_ALL = /[&<>"]/g;
const XML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const xmlEsc = (c: string): string => XML_ESC[c]!;

// After _x encoding no control character is left, so only the markup characters need escaping.
const TEXT_FAST_OK = /[&<>\x00-\x1F\x7F-\x9F\uD800-\uDFFF\uFFFE\uFFFF]|_[xX]/;

/** _x-encodes and XML-escapes element text. */
export function encodeText(s: string): string {
  if (!TEXT_FAST_OK.test(s)) return s;
  const e = encodeClixmlString(s);
  return XML_TEXT.test(e) ? e.replace(XML_TEXT_ALL, xmlEsc) : e;
}

/** _x-encodes and XML-escapes an attribute value (property names). */
export function encodeAttr(s: string): string {
  const e = encodeClixmlString(s);
  return XML_ATTR.test(e) ? e.replace(XML_ATTR_ALL, xmlEsc) : e;
}

/** XML-escapes text that needs no _x encoding (numbers, base64, RefIds). */
export function escapeXml(s: string): string {
  return XML_TEXT.test(s) ? s.replace(XML_TEXT_ALL, xmlEsc) : s;
}

/** Throws for strings the serializer cannot write (not a string at all). */
export function assertString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new UsageError(`${what} must be a string, got ${typeof v}`);
  return v;
}
