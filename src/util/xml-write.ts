// Writing XML: escaping for text and attributes, and serializing a parsed tree back.

import { XMLNS_NAMESPACE, type XmlElement } from './xml-types.js';

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
  // One binding map with an undo log, as in the reader: linear in declarations.
  const bindings = new Map<string, string | undefined>();
  const needed = new Map<string, string>();
  const visit = (e: XmlElement) => {
    const undo: [string, string | undefined][] = [];
    for (const a of e.attrs) {
      if (a.ns === XMLNS_NAMESPACE) {
        undo.push([a.local, bindings.get(a.local)]);
        bindings.set(a.local, a.value);
      }
    }
    const use = (prefix: string, ns: string) => {
      if (prefix === 'xml' || prefix === 'xmlns') return;
      if (bindings.get(prefix) !== ns && !needed.has(prefix)) needed.set(prefix, ns);
    };
    use(e.prefix, e.ns);
    for (const a of e.attrs) if (a.prefix !== '' && a.ns !== XMLNS_NAMESPACE) use(a.prefix, a.ns);
    for (const c of e.children) if (c.type === 'element') visit(c);
    for (let i = undo.length - 1; i >= 0; i--) {
      const [prefix, previous] = undo[i]!;
      // Set, never delete: a V8 Map that is deleted from and added to keeps rehashing.
      bindings.set(prefix, previous);
    }
  };
  visit(el);
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
