// The XML layer under the CLIXML reader: a cursor over the document string
// that reads exactly the XML CLIXML uses (elements, attributes, character data,
// comments, processing instructions, CDATA inside text) with the strictness of
// util/xml.ts and none of its allocation per token. Why a second scanner:
// spec-notes/xml-reader.md ("CLIXML"). XML errors are PSR_XML_MALFORMED, as
// from util/xml.ts; the CLIXML reader adds PSR_CLIXML_INVALID on top.

import { InternalError, LimitError, RemoteProtocolError } from '../errors.js';
import { decodeXmlEntities } from '../util/xml.js';

export const PS_NAMESPACE = 'http://schemas.microsoft.com/powershell/2004/04';

// Characters XML 1.0 forbids (before escaping) plus the ones that need work: & and CR.
// ">" too: text holding "]]>" is refused (XML 1.0 2.4), checked in decodeText.
const TEXT_SPECIAL = /[&\r>\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const INVALID_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

// Element names CLIXML uses. A name read from the document is matched against
// these by (length, first two characters), verified, and replaced by the
// constant, so the reader's switches compare interned strings and the common
// case allocates no name string at all.
const KNOWN_TAGS = [
  'S', 'B', 'C', 'D', 'G', 'T', 'By', 'SB', 'Sg', 'Db', 'DT', 'TS', 'BA', 'SS', 'PR', 'TN', 'MS', 'IE', 'En', 'XD',
  'AV', 'AI', 'PI', 'PC', 'SR', 'SD', 'I32', 'I16', 'I64', 'U16', 'U32', 'U64', 'Nil', 'Obj', 'Ref', 'URI', 'SBK',
  'LST', 'STK', 'QUE', 'DCT', 'Objs', 'TNRef', 'Props', 'Version', 'ToString',
];
const tagKey = (len: number, c0: number, c1: number): number => len * 0x1000000 + c0 * 0x10000 + c1;
const TAG_TABLE = new Map<number, string>();
for (const t of KNOWN_TAGS) {
  const k = tagKey(t.length, t.charCodeAt(0), t.length > 1 ? t.charCodeAt(1) : 0);
  if (TAG_TABLE.has(k)) throw new InternalError(`tag table collision: ${t}`);
  TAG_TABLE.set(k, t);
}

// Property names seen recently, by hash, shared by all documents: PSRP sends one
// object per message, so a per-document cache would start cold every time.
// Entries are verified against the document before use, so a collision or a
// hostile peer can only cost speed; the size is bounded by clearing.
const NAME_CACHE = new Map<number, string>();

export interface ScannerLimits {
  readonly maxStringLength: number;
}

/**
 * Attributes CLIXML knows. Anything else on an element is an error (the
 * reader is strict); xmlns must name the PowerShell namespace.
 */
export class StartTag {
  name = '';
  /** Offset of the "<". */
  at = 0;
  selfClosing = false;
  n: string | undefined = undefined;
  /** A number for the usual decimal RefIds ("0", "17"), else the text. */
  refId: number | string | undefined = undefined;
  /** Stream name on top-level items of powershell -OutputFormat xml (<Obj S="progress">). */
  s: string | undefined = undefined;
  /** <Objs Version="1.1.0.1">. */
  version: string | undefined = undefined;
}

export class Scanner {
  readonly s: string;
  pos = 0;
  readonly where: string;
  readonly maxStringLength: number;
  readonly tag = new StartTag();

  constructor(text: string, where: string, limits: ScannerLimits) {
    this.s = text;
    this.where = where;
    this.maxStringLength = limits.maxStringLength;
  }

  at(pos: number): string {
    return `${this.where}, offset ${pos}`;
  }

  xmlError(message: string, pos = this.pos): RemoteProtocolError {
    return new RemoteProtocolError('PSR_XML_MALFORMED', `malformed XML: ${message}`, { where: this.at(pos) });
  }

  clixmlError(message: string, pos = this.pos): RemoteProtocolError {
    return new RemoteProtocolError('PSR_CLIXML_INVALID', `invalid CLIXML: ${message}`, { where: this.at(pos) });
  }

  /**
   * Skips whitespace, comments and processing instructions between elements.
   * Returns the char code at the new position (-1 at the end). Text that is
   * not whitespace is left for the caller to reject.
   */
  skipMisc(): number {
    const s = this.s;
    for (;;) {
      let c = s.charCodeAt(this.pos);
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.pos);
      if (c !== 0x3c) return Number.isNaN(c) ? -1 : c;
      const c1 = s.charCodeAt(this.pos + 1);
      if (c1 === 0x21 /* ! */) {
        if (s.startsWith('<!--', this.pos)) {
          const end = s.indexOf('-->', this.pos + 4);
          if (end < 0) throw this.xmlError('unterminated comment');
          this.pos = end + 3;
          continue;
        }
        if (s.startsWith('<!DOCTYPE', this.pos)) throw this.xmlError('DOCTYPE is not allowed (entity declarations are refused)');
        return c;
      }
      if (c1 === 0x3f /* ? */) {
        const end = s.indexOf('?>', this.pos + 2);
        if (end < 0) throw this.xmlError('unterminated processing instruction');
        this.pos = end + 2;
        continue;
      }
      return c;
    }
  }

  /** Reads a start tag at pos (which is at "<" followed by a name character) into `this.tag`. */
  readStartTag(): StartTag {
    const s = this.s;
    const t = this.tag;
    const start = this.pos;
    t.at = start;
    t.n = undefined;
    t.refId = undefined;
    t.s = undefined;
    t.version = undefined;
    let i = start + 1;
    let c = s.charCodeAt(i);
    while (c > 0x20 && c !== 0x3e && c !== 0x2f) c = s.charCodeAt(++i);
    const len = i - start - 1;
    if (len === 0) throw this.xmlError('"<" not followed by an element name', start);
    const known = TAG_TABLE.get(tagKey(len, s.charCodeAt(start + 1), len > 1 ? s.charCodeAt(start + 2) : 0));
    t.name = known !== undefined && (len <= 2 || s.startsWith(known, start + 1)) ? known : s.slice(start + 1, i);
    for (;;) {
      const ws = i;
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
      if (c === 0x3e /* > */) {
        this.pos = i + 1;
        t.selfClosing = false;
        return t;
      }
      if (c === 0x2f /* / */) {
        if (s.charCodeAt(i + 1) !== 0x3e) throw this.xmlError(`malformed start tag <${clip(t.name)}>`, start);
        this.pos = i + 2;
        t.selfClosing = true;
        return t;
      }
      if (Number.isNaN(c)) throw this.xmlError(`unterminated start tag <${clip(t.name)}>`, start);
      if (i === ws) throw this.xmlError(`missing whitespace before an attribute in <${clip(t.name)}>`, i);
      const an = i;
      while (c > 0x20 && c !== 0x3d && c !== 0x3e && c !== 0x2f) c = s.charCodeAt(++i);
      const anEnd = i;
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
      if (c !== 0x3d) throw this.xmlError(`attribute ${clip(s.slice(an, anEnd))} in <${clip(t.name)}> has no value`, an);
      c = s.charCodeAt(++i);
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
      if (c !== 0x22 && c !== 0x27) throw this.xmlError(`attribute ${clip(s.slice(an, anEnd))} in <${clip(t.name)}> is not quoted`, i);
      const vEnd = s.indexOf(c === 0x22 ? '"' : "'", i + 1);
      if (vEnd < 0) throw this.xmlError(`unterminated attribute ${clip(s.slice(an, anEnd))} in <${clip(t.name)}>`, i);
      const alen = anEnd - an;
      const a0 = s.charCodeAt(an);
      if (alen === 1 && a0 === 0x4e /* N */) {
        if (t.n !== undefined) throw this.xmlError(`duplicate attribute N in <${t.name}>`, an);
        t.n = this.nameValue(i + 1, vEnd);
      } else if (alen === 5 && s.startsWith('RefId', an)) {
        if (t.refId !== undefined) throw this.xmlError(`duplicate attribute RefId in <${t.name}>`, an);
        t.refId = this.refIdValue(i + 1, vEnd);
      } else if (alen === 1 && a0 === 0x53 /* S */) {
        if (t.s !== undefined) throw this.xmlError(`duplicate attribute S in <${t.name}>`, an);
        t.s = this.attrValue(i + 1, vEnd, 'S');
      } else if (alen === 7 && s.startsWith('Version', an)) {
        if (t.version !== undefined) throw this.xmlError(`duplicate attribute Version in <${t.name}>`, an);
        t.version = this.attrValue(i + 1, vEnd, 'Version');
      } else if (alen === 5 && s.startsWith('xmlns', an)) {
        const value = this.attrValue(i + 1, vEnd, 'xmlns');
        if (value !== PS_NAMESPACE) throw this.clixmlError(`<${clip(t.name)}> is in namespace ${JSON.stringify(clip(value))}, not ${PS_NAMESPACE}`, an);
      } else {
        throw this.clixmlError(`unknown attribute ${clip(s.slice(an, anEnd))} on <${clip(t.name)}>`, an);
      }
      i = vEnd + 1;
      c = s.charCodeAt(i);
    }
  }

  /**
   * Property names (N) repeat from object to object. A name made of plain
   * characters is hashed while it is checked and looked up by hash, verified
   * in place, so a known name costs no allocation and no string hashing.
   */
  private nameValue(from: number, to: number): string {
    const s = this.s;
    const len = to - from;
    if (len > 64) return this.attrValue(from, to, 'N');
    let h = len;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x26 /* & */ || c === 0x3c /* < */ || c >= 0xfffe) return this.attrValue(from, to, 'N');
      h = (Math.imul(h, 31) + c) | 0;
    }
    const known = NAME_CACHE.get(h);
    if (known !== undefined && known.length === len && s.startsWith(known, from)) return known;
    const v = s.slice(from, to);
    if (NAME_CACHE.size >= 4096) NAME_CACHE.clear();
    NAME_CACHE.set(h, v);
    return v;
  }

  // "0".."999999999" without leading zeros become numbers (cheap map keys); anything else stays text.
  private refIdValue(from: number, to: number): number | string {
    const s = this.s;
    const len = to - from;
    if (len > 0 && len <= 9) {
      let v = 0;
      let i = from;
      for (; i < to; i++) {
        const d = s.charCodeAt(i) - 0x30;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (i === to && (len === 1 || s.charCodeAt(from) !== 0x30)) return v;
    }
    return this.attrValue(from, to, 'RefId');
  }

  private attrValue(from: number, to: number, attr: string): string {
    if (to - from > this.maxStringLength) throw new LimitError('CLIXML string length', this.maxStringLength, to - from, this.at(from));
    const s = this.s;
    let plain = true;
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x26 /* & */ || c === 0x3c /* < */ || c >= 0xfffe) {
        plain = false;
        break;
      }
    }
    let v = s.slice(from, to);
    if (plain) return v;
    if (v.indexOf('<') >= 0) throw this.xmlError(`"<" in attribute ${attr}`, from);
    if (INVALID_CHARS.test(v)) throw this.xmlError(`character not allowed in XML in attribute ${attr}`, from);
    // Attribute-value normalisation (XML 1.0 3.3.3): literal whitespace becomes a space;
    // character references are decoded afterwards and survive.
    v = v.replace(/\r\n|[\t\n\r]/g, ' ');
    if (v.indexOf('&') >= 0) v = this.decodeEntities(v, from);
    return v;
  }

  /**
   * Reads the character data of a text-only element whose start tag was just
   * read (not self-closing), through its end tag. Child elements are a CLIXML
   * error; comments are skipped and CDATA sections are included.
   */
  readText(name: string): string {
    const s = this.s;
    const from = this.pos;
    const lt = s.indexOf('<', from);
    if (lt < 0) throw this.xmlError(`unexpected end of document inside <${name}>`);
    if (s.charCodeAt(lt + 1) === 0x2f && this.matchEndTag(name, lt)) {
      if (lt - from > this.maxStringLength) throw new LimitError('CLIXML string length', this.maxStringLength, lt - from, this.at(from));
      const raw = s.slice(from, lt);
      return (lt - from > 48 ? TEXT_SPECIAL.test(raw) : needsDecoding(s, from, lt)) ? this.decodeText(raw, from) : raw;
    }
    return this.readMixedText(name, from);
  }

  // Text with comments, CDATA or processing instructions in it (rare).
  private readMixedText(name: string, from: number): string {
    const s = this.s;
    let out = '';
    let i = from;
    for (;;) {
      const lt = s.indexOf('<', i);
      if (lt < 0) throw this.xmlError(`unexpected end of document inside <${name}>`);
      const raw = s.slice(i, lt);
      out += TEXT_SPECIAL.test(raw) ? this.decodeText(raw, i) : raw;
      if (out.length > this.maxStringLength) throw new LimitError('CLIXML string length', this.maxStringLength, out.length, this.at(from));
      const c1 = s.charCodeAt(lt + 1);
      if (c1 === 0x2f) {
        if (this.matchEndTag(name, lt)) return out;
        throw this.xmlError(`end tag does not match <${name}>`, lt);
      }
      if (s.startsWith('<!--', lt)) {
        const end = s.indexOf('-->', lt + 4);
        if (end < 0) throw this.xmlError('unterminated comment', lt);
        i = end + 3;
      } else if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end < 0) throw this.xmlError('unterminated CDATA section', lt);
        const cdata = s.slice(lt + 9, end);
        if (INVALID_CHARS.test(cdata)) throw this.xmlError('character not allowed in XML', lt);
        out += cdata.indexOf('\r') >= 0 ? cdata.replace(/\r\n?/g, '\n') : cdata;
        i = end + 3;
      } else if (c1 === 0x3f) {
        const end = s.indexOf('?>', lt + 2);
        if (end < 0) throw this.xmlError('unterminated processing instruction', lt);
        i = end + 2;
      } else if (s.startsWith('<!DOCTYPE', lt)) {
        throw this.xmlError('DOCTYPE is not allowed (entity declarations are refused)', lt);
      } else {
        let e = lt + 1;
        while (e < s.length && s.charCodeAt(e) > 0x20 && s.charCodeAt(e) !== 0x3e && s.charCodeAt(e) !== 0x2f) e++;
        throw this.clixmlError(`<${clip(s.slice(lt + 1, e))}> inside <${name}>, which holds only text`, lt);
      }
    }
  }

  /**
   * Fast path for the usual <I32>123</I32>: digits read in place, no string
   * made. Returns undefined for anything else (whitespace, entities, out of
   * range...), leaving pos unchanged so the caller takes the general path.
   */
  tryReadInt(name: string, min: number, max: number): number | undefined {
    const s = this.s;
    let i = this.pos;
    let c = s.charCodeAt(i);
    const neg = c === 0x2d;
    if (neg) c = s.charCodeAt(++i);
    const start = i;
    let v = 0;
    while (c >= 0x30 && c <= 0x39 && i - start < 15) {
      v = v * 10 + (c - 0x30);
      c = s.charCodeAt(++i);
    }
    if (i === start || c !== 0x3c || s.charCodeAt(i + 1) !== 0x2f) return undefined;
    if (neg) v = -v;
    if (v < min || v > max || !s.startsWith(name, i + 2) || s.charCodeAt(i + 2 + name.length) !== 0x3e) return undefined;
    this.pos = i + 3 + name.length;
    return v === 0 ? 0 : v;
  }

  /** Fast path for <B>true</B> / <B>false</B>; undefined for anything else. */
  tryReadBool(): boolean | undefined {
    if (this.s.startsWith('true</B>', this.pos)) {
      this.pos += 8;
      return true;
    }
    if (this.s.startsWith('false</B>', this.pos)) {
      this.pos += 9;
      return false;
    }
    return undefined;
  }

  /** At `lt` is "</": consumes the end tag when it closes `name` (pos moves past it). */
  private matchEndTag(name: string, lt: number): boolean {
    const s = this.s;
    const after = lt + 2 + name.length;
    if (!s.startsWith(name, lt + 2)) {
      throw this.xmlError(`end tag </${clip(endName(s, lt))}> does not match <${name}>`, lt);
    }
    let c = s.charCodeAt(after);
    let i = after;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
    if (c !== 0x3e) throw this.xmlError(`end tag </${clip(endName(s, lt))}> does not match <${name}>`, lt);
    this.pos = i + 1;
    return true;
  }

  /**
   * After skipMisc() returned "<": true and the start tag read into `tag`
   * for a child, false after consuming the end tag of `parent`.
   */
  nextChild(parent: string): boolean {
    const c = this.skipMisc();
    const s = this.s;
    if (c === 0x3c) {
      const c1 = s.charCodeAt(this.pos + 1);
      if (c1 === 0x2f) {
        this.matchEndTag(parent, this.pos);
        return false;
      }
      if (c1 === 0x21) throw this.clixmlError(`CDATA or markup declaration inside <${parent}>, which holds only elements`);
      this.readStartTag();
      return true;
    }
    if (c < 0) throw this.xmlError(`unexpected end of document inside <${parent}>`);
    throw this.clixmlError(`text inside <${parent}>, which holds only elements`);
  }

  decodeText(raw: string, pos: number): string {
    if (INVALID_CHARS.test(raw)) throw this.xmlError('character not allowed in XML', pos + raw.search(INVALID_CHARS));
    const cdataEnd = raw.indexOf(']]>');
    if (cdataEnd >= 0) throw this.xmlError('"]]>" in character data (escape ">" as &gt;)', pos + cdataEnd);
    if (raw.indexOf('&') >= 0) return this.decodeEntities(raw, pos);
    // End-of-line handling (XML 1.0 2.11); CLIXML itself escapes CR as _x000D_.
    return raw.indexOf('\r') >= 0 ? raw.replace(/\r\n?/g, '\n') : raw;
  }

  private decodeEntities(raw: string, pos: number): string {
    // Literal CRs are normalised before references are decoded, so &#13; survives.
    const text = raw.indexOf('\r') >= 0 ? raw.replace(/\r\n?/g, '\n') : raw;
    return decodeXmlEntities(text, (msg, off) => {
      throw this.xmlError(msg, pos + off);
    });
  }
}

// For short texts a loop is cheaper than a regex call; long ones go to the regex engine.
function needsDecoding(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 ? c !== 0x0a && c !== 0x09 : c === 0x26 || c === 0x3e || c >= 0xfffe) return true;
  }
  return false;
}

function endName(s: string, lt: number): string {
  const gt = s.indexOf('>', lt);
  return s.slice(lt + 2, gt < 0 ? Math.min(s.length, lt + 42) : gt).trim();
}

export function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
