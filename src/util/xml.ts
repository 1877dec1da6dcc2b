// The one XML reader of psremote: a strict pull scanner over a string (fast
// enough for CLIXML, where throughput matters) and a namespace-aware tree on
// top of it (for SOAP, where elements are matched by namespace URI and local
// name, never by prefix). Why our own and not saxes or fast-xml-parser:
// spec-notes/xml-reader.md.
//
// Strictness is deliberate: malformed input from a server or a file must be an
// error, not a silently different document. DOCTYPE is refused outright, which
// rules out entity expansion and external entities.

import { LimitError, RemoteProtocolError } from '../errors.js';

export interface XmlAttribute {
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  readonly value: string;
}

export interface XmlElement {
  readonly type: 'element';
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  readonly attrs: readonly XmlAttribute[];
  readonly children: readonly XmlNode[];
}

export interface XmlText {
  readonly type: 'text';
  readonly text: string;
}

export type XmlNode = XmlElement | XmlText;

export interface XmlParseOptions {
  /** Maximum element nesting depth (default 512). */
  maxDepth?: number;
  /** Maximum input length in characters (default 256 MiB). */
  maxLength?: number;
  /** Where the document came from, for error messages. */
  where?: string;
  /** Accept several top-level elements (and text between them). */
  fragment?: boolean;
}

export type XmlToken =
  | { kind: 'start'; name: string; attrs: Map<string, string>; selfClosing: boolean }
  | { kind: 'end'; name: string }
  | { kind: 'text'; text: string };

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

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
const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]+);|&/g;

/**
 * Decodes the five predefined entities and character references in `raw`;
 * anything else (DTD entities, a bare `&`, a reference to a non-XML character)
 * goes to `fail` with the offset in `raw`. Shared by this scanner and clixml's.
 */
export function decodeXmlEntities(raw: string, fail: (msg: string, offset: number) => never): string {
  return raw.replace(ENTITY, (m: string, body: string | undefined, off: number) => {
    if (body === undefined) fail('bare "&" (use &amp;)', off);
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
  });
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

interface MutableElement {
  type: 'element';
  ns: string;
  local: string;
  prefix: string;
  attrs: XmlAttribute[];
  children: XmlNode[];
}

/** Parses a whole document into a namespace-resolved tree and returns its root element. */
export function parseXml(input: string | Uint8Array, options: XmlParseOptions = {}): XmlElement {
  const roots = parseXmlNodes(input, options);
  const root = roots.find((n): n is XmlElement => n.type === 'element');
  if (!root) {
    throw new RemoteProtocolError('PSR_XML_MALFORMED', 'malformed XML: document has no root element', {
      ...(options.where ? { where: options.where } : {}),
    });
  }
  return root;
}

/** Parses a document (or, with `fragment`, a sequence of elements) into top-level nodes. */
export function parseXmlNodes(input: string | Uint8Array, options: XmlParseOptions = {}): XmlNode[] {
  const text = xmlInputToString(input, options.where);
  const scanner = new XmlScanner(text, options);
  const top: XmlNode[] = [];
  const stack: MutableElement[] = [];
  const scopes: Map<string, string>[] = [new Map([['xml', XML_NAMESPACE]])];
  const fail = (message: string): never => {
    throw new RemoteProtocolError('PSR_XML_MALFORMED', `malformed XML: ${message}`, {
      where: options.where ? `${options.where}, offset ${scanner.position}` : `offset ${scanner.position}`,
    });
  };
  for (let tok = scanner.next(); tok !== undefined; tok = scanner.next()) {
    if (tok.kind === 'text') {
      const parent = stack[stack.length - 1];
      const list = parent ? parent.children : top;
      const last = list[list.length - 1];
      if (last && last.type === 'text') list[list.length - 1] = { type: 'text', text: last.text + tok.text };
      else list.push({ type: 'text', text: tok.text });
      continue;
    }
    if (tok.kind === 'end') {
      stack.pop();
      scopes.pop();
      continue;
    }
    let scope = scopes[scopes.length - 1]!;
    let copied = false;
    for (const [name, value] of tok.attrs) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        if (!copied) {
          scope = new Map(scope);
          copied = true;
        }
        const p = name === 'xmlns' ? '' : name.slice(6);
        if (p !== '' && value === '') fail(`namespace prefix ${p} bound to an empty URI`);
        scope.set(p, value);
      }
    }
    const [prefix, local] = splitName(tok.name, fail);
    const ns = scope.get(prefix);
    if (ns === undefined && prefix !== '') fail(`unbound namespace prefix "${prefix}" on <${tok.name}>`);
    const attrs: XmlAttribute[] = [];
    for (const [name, value] of tok.attrs) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        attrs.push({ ns: XMLNS_NAMESPACE, local: name === 'xmlns' ? '' : name.slice(6), prefix: 'xmlns', value });
        continue;
      }
      const [ap, al] = splitName(name, fail);
      const ans = ap === '' ? '' : scope.get(ap);
      if (ans === undefined) fail(`unbound namespace prefix "${ap}" on attribute ${name}`);
      attrs.push({ ns: ans as string, local: al, prefix: ap, value });
    }
    const el: MutableElement = { type: 'element', ns: ns ?? '', local, prefix, attrs, children: [] };
    const parent = stack[stack.length - 1];
    (parent ? parent.children : top).push(el);
    if (!tok.selfClosing) {
      stack.push(el);
      scopes.push(scope);
    }
  }
  return top;
}

function splitName(name: string, fail: (m: string) => never): [string, string] {
  const colon = name.indexOf(':');
  if (colon < 0) return ['', name];
  if (colon === 0 || colon === name.length - 1 || name.indexOf(':', colon + 1) >= 0) fail(`invalid qualified name "${name}"`);
  return [name.slice(0, colon), name.slice(colon + 1)];
}

export function childElement(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  for (const c of el.children) if (c.type === 'element' && c.local === local && c.ns === ns) return c;
  return undefined;
}

export function childElements(el: XmlElement, ns?: string, local?: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.type !== 'element') continue;
    if (ns !== undefined && c.ns !== ns) continue;
    if (local !== undefined && c.local !== local) continue;
    out.push(c);
  }
  return out;
}

/** Concatenated text of the element and its descendants. */
export function textContent(el: XmlElement): string {
  let out = '';
  for (const c of el.children) out += c.type === 'text' ? c.text : textContent(c);
  return out;
}

/** An attribute by local name; `ns` defaults to no namespace (unprefixed attributes). */
export function attribute(el: XmlElement, local: string, ns = ''): string | undefined {
  for (const a of el.attrs) if (a.local === local && a.ns === ns) return a.value;
  return undefined;
}

// \r is escaped in text too: a conforming parser would turn a literal CR LF into LF.
const TEXT_ESCAPES = /[&<>\r]/g;
const ATTR_ESCAPES = /[&<>"'\t\n\r]/g;
const ESCAPE_MAP: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

export function escapeXmlText(s: string): string {
  return /[&<>\r]/.test(s) ? s.replace(TEXT_ESCAPES, (c) => ESCAPE_MAP[c]!) : s;
}

export function escapeXmlAttr(s: string): string {
  return /[&<>"'\t\n\r]/.test(s) ? s.replace(ATTR_ESCAPES, (c) => ESCAPE_MAP[c]!) : s;
}

/**
 * Writes an element back to XML text. Namespace declarations used in the
 * subtree but declared by an ancestor are added on the root, so a subtree cut
 * out of a larger document (a recorded envelope) stands on its own.
 */
export function serializeXml(el: XmlElement): string {
  const declared = new Map<string, string>();
  const needed = new Map<string, string>();
  const visit = (e: XmlElement, scope: Map<string, string>) => {
    let local = scope;
    for (const a of e.attrs) {
      if (a.ns === XMLNS_NAMESPACE) {
        if (local === scope) local = new Map(scope);
        local.set(a.local, a.value);
      }
    }
    const use = (prefix: string, ns: string) => {
      if (prefix === 'xml' || prefix === 'xmlns') return;
      if (local.get(prefix) !== ns && !needed.has(prefix)) needed.set(prefix, ns);
    };
    use(e.prefix, e.ns);
    for (const a of e.attrs) if (a.prefix !== '' && a.ns !== XMLNS_NAMESPACE) use(a.prefix, a.ns);
    for (const c of e.children) if (c.type === 'element') visit(c, local);
  };
  visit(el, declared);
  const write = (e: XmlElement, extra: string): string => {
    const name = e.prefix ? `${e.prefix}:${e.local}` : e.local;
    let s = `<${name}${extra}`;
    for (const a of e.attrs) {
      const an = a.ns === XMLNS_NAMESPACE ? (a.local === '' ? 'xmlns' : `xmlns:${a.local}`) : a.prefix ? `${a.prefix}:${a.local}` : a.local;
      s += ` ${an}="${escapeXmlAttr(a.value)}"`;
    }
    if (e.children.length === 0) return `${s}/>`;
    s += '>';
    for (const c of e.children) s += c.type === 'text' ? escapeXmlText(c.text) : write(c, '');
    return `${s}</${name}>`;
  };
  let extra = '';
  for (const [p, ns] of needed) extra += p === '' ? ` xmlns="${escapeXmlAttr(ns)}"` : ` xmlns:${p}="${escapeXmlAttr(ns)}"`;
  return write(el, extra);
}
