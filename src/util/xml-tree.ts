// The namespace-resolving tree of the XML reader (see src/util/xml.ts) and the
// small queries SOAP code uses on it.

import { LimitError, RemoteProtocolError } from '../errors.js';
import { XmlScanner, xmlInputToString } from './xml-scanner.js';
import { XML_NAMESPACE, XMLNS_NAMESPACE, type XmlAttribute, type XmlElement, type XmlNode, type XmlParseOptions } from './xml-types.js';

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

const DEFAULT_MAX_DECLARATIONS_PER_ELEMENT = 256;
const DEFAULT_MAX_DECLARATIONS = 65_536;

/**
 * Parses a document (or, with `fragment`, a sequence of elements) into top-level nodes.
 *
 * Prefix bindings live in one map with an undo log: an element's declarations
 * overwrite the map and record what they replaced, and its end tag restores
 * that. Each declaration costs O(1) in and O(1) out, so a document of n
 * declarations is O(n) however they nest (copying the map per element, as
 * before, made 30,000 declarations cost minutes).
 */
export function parseXmlNodes(input: string | Uint8Array, options: XmlParseOptions = {}): XmlNode[] {
  const text = xmlInputToString(input, options.where);
  const scanner = new XmlScanner(text, options);
  const maxPerElement = options.maxNamespaceDeclarationsPerElement ?? DEFAULT_MAX_DECLARATIONS_PER_ELEMENT;
  const maxTotal = options.maxNamespaceDeclarations ?? DEFAULT_MAX_DECLARATIONS;
  const top: XmlNode[] = [];
  const stack: MutableElement[] = [];
  const bindings = new Map<string, string | undefined>([['xml', XML_NAMESPACE]]);
  // Undo log: [prefix, previous URI or undefined] pairs; `marks` holds the log length at each open element.
  const undo: (string | undefined)[] = [];
  const marks: number[] = [];
  let declarations = 0;
  const where = (): string => (options.where ? `${options.where}, offset ${scanner.position}` : `offset ${scanner.position}`);
  const fail = (message: string): never => {
    throw new RemoteProtocolError('PSR_XML_MALFORMED', `malformed XML: ${message}`, { where: where() });
  };
  const restore = (mark: number): void => {
    while (undo.length > mark) {
      const previous = undo.pop();
      const prefix = undo.pop() as string;
      // Set, never delete: a V8 Map that is deleted from and added to keeps rehashing.
      bindings.set(prefix, previous);
    }
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
      restore(marks.pop() ?? 0);
      continue;
    }
    const mark = undo.length;
    let here = 0;
    for (const [name, value] of tok.attrs) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        if (++here > maxPerElement) throw new LimitError('XML namespace declarations per element', maxPerElement, here, where());
        if (++declarations > maxTotal) throw new LimitError('XML namespace declarations', maxTotal, declarations, where());
        const p = name === 'xmlns' ? '' : name.slice(6);
        if (p !== '' && value === '') fail(`namespace prefix ${p} bound to an empty URI`);
        undo.push(p, bindings.get(p));
        bindings.set(p, value);
      }
    }
    const [prefix, local] = splitName(tok.name, fail);
    const ns = bindings.get(prefix);
    if (ns === undefined && prefix !== '') fail(`unbound namespace prefix "${prefix}" on <${tok.name}>`);
    const attrs: XmlAttribute[] = [];
    for (const [name, value] of tok.attrs) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        attrs.push({ ns: XMLNS_NAMESPACE, local: name === 'xmlns' ? '' : name.slice(6), prefix: 'xmlns', value });
        continue;
      }
      const [ap, al] = splitName(name, fail);
      const ans = ap === '' ? '' : bindings.get(ap);
      if (ans === undefined) fail(`unbound namespace prefix "${ap}" on attribute ${name}`);
      attrs.push({ ns: ans as string, local: al, prefix: ap, value });
    }
    const el: MutableElement = { type: 'element', ns: ns ?? '', local, prefix, attrs, children: [] };
    const parent = stack[stack.length - 1];
    (parent ? parent.children : top).push(el);
    if (tok.selfClosing) {
      restore(mark);
    } else {
      stack.push(el);
      marks.push(mark);
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

