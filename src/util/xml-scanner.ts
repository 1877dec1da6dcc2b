// The pull scanner of the XML reader (see src/util/xml.ts): well-formedness
// only, names as written; namespaces are resolved by xml-tree.ts.

import { isAscii } from 'node:buffer';
import { LimitError, RemoteProtocolError } from '../errors.js';
import type { XmlParseOptions, XmlToken } from './xml-types.js';

const DEFAULT_MAX_DEPTH = 512;
const DEFAULT_MAX_LENGTH = 256 * 1024 * 1024;

// Characters XML 1.0 forbids in documents (before any escaping).
const INVALID_CHARS = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes bytes as UTF-8 (BOM stripped) or returns the string as is (BOM stripped). */
export function xmlInputToString(input: string | Uint8Array, where?: string): string {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else if (isAscii(input)) {
    // A SOAP body is almost always ASCII (its streams are base64); for ASCII, Latin-1
    // decodes the same and several times faster than TextDecoder, and isAscii is one
    // vectorised pass (bench/client-profile.bench.ts: decoding was 5-9% of a 50 MiB stdout).
    text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  } else {
    try {
      text = utf8.decode(input);
    } catch (cause) {
      throw new RemoteProtocolError('PSR_XML_MALFORMED', 'XML is not valid UTF-8', { cause, ...(where ? { where } : {}) });
    }
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Pull scanner: returns one token at a time, `undefined` at the end. Checks
 * well-formedness (tag nesting, attribute syntax, entities, characters) but
 * does not resolve namespaces; names are returned as written (`s:Envelope`).
 * A self-closing element is one `start` token with `selfClosing: true` and no
 * `end` token.
 */
export class XmlScanner {
  readonly #s: string;
  #pos = 0;
  readonly #stack: string[] = [];
  readonly #maxDepth: number;
  readonly #where: string | undefined;
  readonly #fragment: boolean;
  #sawRoot = false;

  constructor(text: string, options: XmlParseOptions = {}) {
    const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    if (text.length > maxLength) throw new LimitError('XML document length', maxLength, text.length, options.where);
    this.#s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    this.#maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.#where = options.where;
    this.#fragment = options.fragment ?? false;
  }

  /** Current nesting depth (open elements). */
  get depth(): number {
    return this.#stack.length;
  }

  /** Offset of the next unread character, for error messages. */
  get position(): number {
    return this.#pos;
  }

  next(): XmlToken | undefined {
    const s = this.#s;
    for (;;) {
      const pos = this.#pos;
      if (pos >= s.length) {
        if (this.#stack.length > 0) this.#fail(`unexpected end of document inside <${this.#stack[this.#stack.length - 1]}>`);
        if (!this.#sawRoot && !this.#fragment) this.#fail('document has no root element');
        return undefined;
      }
      if (s.charCodeAt(pos) !== 0x3c /* < */) {
        let end = s.indexOf('<', pos);
        if (end < 0) end = s.length;
        const raw = s.slice(pos, end);
        this.#pos = end;
        if (this.#stack.length === 0 && !this.#fragment) {
          if (!isWhitespace(raw)) this.#fail('text outside the root element', pos);
          continue;
        }
        // XML 1.0 2.4: "]]>" may not appear in character data.
        const cdataEnd = raw.indexOf(']]>');
        if (cdataEnd >= 0) this.#fail('"]]>" in character data (escape ">" as &gt;)', pos + cdataEnd);
        return { kind: 'text', text: this.#decodeText(raw, pos) };
      }
      const c1 = s.charCodeAt(pos + 1);
      if (c1 === 0x2f /* / */) return this.#endTag(pos);
      if (c1 === 0x3f /* ? */) {
        const end = s.indexOf('?>', pos + 2);
        if (end < 0) this.#fail('unterminated processing instruction', pos);
        this.#pos = end + 2;
        continue;
      }
      if (c1 === 0x21 /* ! */) {
        if (s.startsWith('<!--', pos)) {
          const end = s.indexOf('-->', pos + 4);
          if (end < 0) this.#fail('unterminated comment', pos);
          this.#pos = end + 3;
          continue;
        }
        if (s.startsWith('<![CDATA[', pos)) {
          if (this.#stack.length === 0) this.#fail('CDATA outside the root element', pos);
          const end = s.indexOf(']]>', pos + 9);
          if (end < 0) this.#fail('unterminated CDATA section', pos);
          const text = s.slice(pos + 9, end);
          if (INVALID_CHARS.test(text)) this.#fail('character not allowed in XML', pos);
          this.#pos = end + 3;
          return { kind: 'text', text };
        }
        if (s.startsWith('<!DOCTYPE', pos)) this.#fail('DOCTYPE is not allowed (entity declarations are refused)', pos);
        this.#fail('unexpected markup declaration', pos);
      }
      return this.#startTag(pos);
    }
  }

  #startTag(pos: number): XmlToken {
    const s = this.#s;
    if (this.#stack.length === 0 && this.#sawRoot && !this.#fragment) this.#fail('content after the root element', pos);
    let i = pos + 1;
    const nameStart = i;
    while (i < s.length && !isNameEnd(s.charCodeAt(i))) i++;
    const name = s.slice(nameStart, i);
    if (!isValidName(name)) this.#fail(`invalid element name "${clip(name)}"`, pos);
    const attrs = new Map<string, string>();
    for (;;) {
      const ws = i;
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      if (i >= s.length) this.#fail(`unterminated start tag <${name}>`, pos);
      const c = s.charCodeAt(i);
      if (c === 0x3e /* > */) {
        i++;
        break;
      }
      if (c === 0x2f /* / */) {
        if (s.charCodeAt(i + 1) !== 0x3e) this.#fail(`malformed start tag <${name}>`, pos);
        i += 2;
        this.#pos = i;
        this.#open(name, pos);
        this.#stack.pop();
        if (this.#stack.length === 0) this.#sawRoot = true;
        return { kind: 'start', name, attrs, selfClosing: true };
      }
      if (i === ws) this.#fail(`missing whitespace before attribute in <${name}>`, i);
      const an = i;
      while (i < s.length && !isAttrNameEnd(s.charCodeAt(i))) i++;
      const attrName = s.slice(an, i);
      if (!isValidName(attrName)) this.#fail(`invalid attribute name "${clip(attrName)}" in <${name}>`, an);
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) !== 0x3d /* = */) this.#fail(`attribute ${attrName} in <${name}> has no value`, an);
      i++;
      while (i < s.length && isSpace(s.charCodeAt(i))) i++;
      const q = s.charCodeAt(i);
      if (q !== 0x22 && q !== 0x27) this.#fail(`attribute ${attrName} in <${name}> is not quoted`, i);
      const vEnd = s.indexOf(q === 0x22 ? '"' : "'", i + 1);
      if (vEnd < 0) this.#fail(`unterminated attribute ${attrName} in <${name}>`, i);
      const raw = s.slice(i + 1, vEnd);
      if (raw.includes('<')) this.#fail(`"<" in attribute ${attrName} of <${name}>`, i);
      if (attrs.has(attrName)) this.#fail(`duplicate attribute ${attrName} in <${name}>`, an);
      attrs.set(attrName, this.#decodeText(normalizeAttr(raw), i + 1));
      i = vEnd + 1;
    }
    this.#pos = i;
    this.#open(name, pos);
    return { kind: 'start', name, attrs, selfClosing: false };
  }

  #open(name: string, pos: number): void {
    this.#stack.push(name);
    if (this.#stack.length > this.#maxDepth) {
      throw new LimitError('XML nesting depth', this.#maxDepth, this.#stack.length, this.#at(pos));
    }
  }

  #endTag(pos: number): XmlToken {
    const s = this.#s;
    const close = s.indexOf('>', pos + 2);
    if (close < 0) this.#fail('unterminated end tag', pos);
    let nameEnd = close;
    while (nameEnd > pos + 2 && isSpace(s.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = s.slice(pos + 2, nameEnd);
    const open = this.#stack.pop();
    if (open === undefined) this.#fail(`end tag </${clip(name)}> without a start tag`, pos);
    if (open !== name) this.#fail(`end tag </${clip(name)}> does not match <${open}>`, pos);
    this.#pos = close + 1;
    if (this.#stack.length === 0) this.#sawRoot = true;
    return { kind: 'end', name };
  }

  #decodeText(raw: string, pos: number): string {
    if (INVALID_CHARS.test(raw)) this.#fail('character not allowed in XML', pos);
    if (!raw.includes('&')) return raw;
    return decodeXmlEntities(raw, (msg, off) => this.#fail(msg, pos + off));
  }

  #at(pos: number): string {
    return this.#where ? `${this.#where}, offset ${pos}` : `offset ${pos}`;
  }

  #fail(message: string, pos = this.#pos): never {
    throw new RemoteProtocolError('PSR_XML_MALFORMED', `malformed XML: ${message}`, { where: this.#at(pos) });
  }
}

// Bounded digits: a longer reference is no character, and is reported as a bare "&".
const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]+);/y;
// Decoded text is flushed into a flat string every so many pieces, so memory stays a small
// multiple of the input however many references it has (String.replace with a callback
// cost 2.1 GB for 62 MiB of "&amp;").
const PIECES_PER_CHUNK = 4096;

/**
 * Decodes the five predefined entities and character references in `raw`;
 * anything else (DTD entities, a bare `&`, a reference to a non-XML character)
 * goes to `fail` with the offset in `raw`. Shared by this scanner and clixml's.
 */
export function decodeXmlEntities(raw: string, fail: (msg: string, offset: number) => never): string {
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  const chunks: string[] = [];
  let pieces: string[] = [];
  let from = 0;
  while (amp >= 0) {
    if (amp > from) pieces.push(raw.slice(from, amp));
    ENTITY.lastIndex = amp;
    const m = ENTITY.exec(raw);
    if (m === null) fail('bare "&" (use &amp;)', amp);
    pieces.push(entityValue(m[0], m[1]!, amp, fail));
    from = amp + m[0].length;
    if (pieces.length >= PIECES_PER_CHUNK) {
      chunks.push(pieces.join(''));
      pieces = [];
    }
    amp = raw.indexOf('&', from);
  }
  if (from < raw.length) pieces.push(raw.slice(from));
  chunks.push(pieces.join(''));
  return chunks.length === 1 ? chunks[0]! : chunks.join('');
}

function entityValue(m: string, body: string, off: number, fail: (msg: string, offset: number) => never): string {
  switch (body) {
    case 'amp':
      return '&';
    case 'lt':
      return '<';
    case 'gt':
      return '>';
    case 'quot':
      return '"';
    case 'apos':
      return "'";
  }
  const shown = m.length > 40 ? `${m.slice(0, 40)}…` : m;
  if (body.charCodeAt(0) !== 0x23 /* # */) fail(`unknown entity ${shown} (only the five predefined ones and character references are allowed)`, off);
  const code = body.charCodeAt(1) === 0x78 ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  if (!isValidXmlCodePoint(code)) fail(`character reference ${shown} is not an XML character`, off);
  return String.fromCodePoint(code);
}

export function isValidXmlCodePoint(c: number): boolean {
  return (
    c === 0x9 ||
    c === 0xa ||
    c === 0xd ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

// Attribute value normalisation (XML 1.0 §3.3.3): literal whitespace becomes a space; character
// references (&#9; &#10; &#13;) are decoded afterwards and so survive, as the spec requires.
function normalizeAttr(v: string): string {
  return /[\t\n\r]/.test(v) ? v.replace(/\r\n|[\t\n\r]/g, ' ') : v;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

function isNameEnd(c: number): boolean {
  return isSpace(c) || c === 0x3e || c === 0x2f;
}

function isAttrNameEnd(c: number): boolean {
  return isSpace(c) || c === 0x3d || c === 0x3e || c === 0x2f;
}

const NAME = /^[A-Za-z_:\u00C0-\uFFFD][-A-Za-z0-9._:\u00B7\u00C0-\uFFFD]*$/;

function isValidName(name: string): boolean {
  return name.length > 0 && NAME.test(name);
}

function isWhitespace(s: string): boolean {
  return /^[ \t\r\n]*$/.test(s);
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

