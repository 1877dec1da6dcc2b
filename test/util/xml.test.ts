import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  XmlScanner,
  attribute,
  childElement,
  childElements,
  escapeXmlAttr,
  escapeXmlText,
  parseXml,
  parseXmlNodes,
  textContent,
  type XmlToken,
} from '../../src/util/xml.js';
import { LimitError, RemoteProtocolError } from '../../src/errors.js';

const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const ADDR = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';

function tokens(xml: string): XmlToken[] {
  const s = new XmlScanner(xml);
  const out: XmlToken[] = [];
  for (let t = s.next(); t; t = s.next()) out.push(t);
  return out;
}

function expectMalformed(xml: string, fragment: string): void {
  let err: unknown;
  try {
    parseXml(xml, { where: 'test.xml' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(RemoteProtocolError);
  expect((err as RemoteProtocolError).code).toBe('PSR_XML_MALFORMED');
  expect((err as Error).message).toContain(fragment);
  expect((err as Error).message).toContain('test.xml');
}

describe('XmlScanner', () => {
  test('emits start, text and end tokens with decoded entities', () => {
    expect(tokens('<?xml version="1.0"?><a x="1 &amp; 2"><b/>t&lt;&#x41;&#66;<![CDATA[<raw>]]></a>')).toEqual([
      { kind: 'start', name: 'a', attrs: new Map([['x', '1 & 2']]), selfClosing: false },
      { kind: 'start', name: 'b', attrs: new Map(), selfClosing: true },
      { kind: 'text', text: 't<AB' },
      { kind: 'text', text: '<raw>' },
      { kind: 'end', name: 'a' },
    ]);
  });

  test('keeps whitespace and digits exactly (no value coercion)', () => {
    const t = tokens('<S>  007 </S>');
    expect(t[1]).toEqual({ kind: 'text', text: '  007 ' });
  });

  test('strips a BOM and skips comments and processing instructions', () => {
    expect(tokens('\uFEFF<!-- c --><?pi x?><a><!--x--></a>')).toEqual([
      { kind: 'start', name: 'a', attrs: new Map(), selfClosing: false },
      { kind: 'end', name: 'a' },
    ]);
  });
});

describe('strictness', () => {
  test.each([
    ['<a><b></a>', 'does not match'],
    ['<a>unclosed', 'unexpected end of document'],
    ['<a x="1" x="2"/>', 'duplicate attribute'],
    ['<a>&bogus;</a>', 'unknown entity'],
    ['<a>fish & chips</a>', 'bare "&"'],
    ['<a x=1/>', 'not quoted'],
    ['<a/><b/>', 'content after the root element'],
    ['text<a/>', 'text outside the root element'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', 'DOCTYPE is not allowed'],
    ['<a>\u0001</a>', 'character not allowed'],
    ['<a>&#0;</a>', 'is not an XML character'],
    ['<p:a/>', 'unbound namespace prefix "p"'],
    ['</a>', 'without a start tag'],
    ['', 'no root element'],
    ['<a x="<"/>', '"<" in attribute'],
    ['<1a/>', 'invalid element name'],
  ])('%s is refused', (xml, fragment) => expectMalformed(xml, fragment));

  test('depth beyond the limit is a LimitError, not a stack overflow', () => {
    const deep = '<a>'.repeat(10_000) + '</a>'.repeat(10_000);
    expect(() => parseXml(deep)).toThrow(LimitError);
    try {
      parseXml(deep, { maxDepth: 100 });
    } catch (e) {
      expect((e as LimitError).code).toBe('PSR_LIMIT');
      expect((e as LimitError).actual).toBe(101);
    }
  });

  test('length beyond the limit is refused before parsing', () => {
    expect(() => parseXml('<a/>'.padEnd(100, ' '), { maxLength: 50 })).toThrow(/XML document length limit exceeded: 100 > 50/);
  });

  test('invalid UTF-8 bytes are refused', () => {
    expect(() => parseXml(new Uint8Array([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e]))).toThrow(/not valid UTF-8/);
  });

  test('bytes: ASCII (decoded as Latin-1), UTF-8, a BOM, a view into a larger buffer, control characters still refused', () => {
    const bytes = (t: string) => new Uint8Array(Buffer.from(t, 'utf8'));
    expect(textContent(parseXml(bytes('<a>aGVsbG8h</a>')))).toBe('aGVsbG8h');
    expect(textContent(parseXml(bytes('<a>grüße €</a>')))).toBe('grüße €');
    expect(textContent(parseXml(bytes('\uFEFF<a>x</a>')))).toBe('x');
    // Only the view's bytes are read, not the buffer around it.
    const big = Buffer.from('junk<a>inside</a>junk', 'latin1');
    expect(textContent(parseXml(big.subarray(4, big.length - 4)))).toBe('inside');
    expect(textContent(parseXml(new Uint8Array(big.buffer, big.byteOffset + 4, big.length - 8)))).toBe('inside');
    expect(() => parseXml(bytes('<a>x\u0001y</a>'))).toThrow(/character not allowed/);
    expect(() => parseXml(bytes('<a>x\u0000</a>'))).toThrow(/character not allowed/);
    expect(() => parseXml(bytes('<a>\uFFFE</a>'))).toThrow(/character not allowed/);
    expect(() => parseXml(new Uint8Array([0x3c, 0x61, 0x3e, 0xc3, 0x3c, 0x2f, 0x61, 0x3e]))).toThrow(/not valid UTF-8/);
  });
});

describe('namespaces', () => {
  test('elements and attributes resolve by URI, whatever the prefix', () => {
    for (const p of ['s', 'env', 'soap']) {
      const root = parseXml(
        `<${p}:Envelope xmlns:${p}="${SOAP}" xmlns:a="${ADDR}"><${p}:Header><a:Action ${p}:mustUnderstand="true">x</a:Action></${p}:Header></${p}:Envelope>`,
      );
      expect(root.ns).toBe(SOAP);
      expect(root.local).toBe('Envelope');
      const header = childElement(root, SOAP, 'Header')!;
      const action = childElement(header, ADDR, 'Action')!;
      expect(textContent(action)).toBe('x');
      expect(attribute(action, 'mustUnderstand', SOAP)).toBe('true');
      expect(attribute(action, 'mustUnderstand')).toBeUndefined();
    }
  });

  test('default namespace applies to elements, not attributes, and can be reset', () => {
    const root = parseXml('<a xmlns="urn:x" k="v"><b xmlns=""><c/></b><d/></a>');
    expect(root.ns).toBe('urn:x');
    expect(attribute(root, 'k')).toBe('v');
    const [b, d] = childElements(root);
    expect(b!.ns).toBe('');
    expect(childElements(b!)[0]!.ns).toBe('');
    expect(d!.ns).toBe('urn:x');
  });

  test('fragment mode returns several top-level nodes', () => {
    const nodes = parseXmlNodes('<a/>x<b/>', { fragment: true });
    expect(nodes.map((n) => (n.type === 'element' ? n.local : n.text))).toEqual(['a', 'x', 'b']);
  });
});

describe('escaping', () => {
  test('text and attribute escapes round-trip through the parser', () => {
    const nasty = `a&b<c>d"e'f\tg\nh\ri`;
    const root = parseXml(`<x a="${escapeXmlAttr(nasty)}">${escapeXmlText(nasty)}</x>`);
    expect(attribute(root, 'a')).toBe(nasty);
    expect(textContent(root)).toBe(nasty);
  });
});

describe('real SOAP from the recordings', () => {
  test('every request and response body in the pypsrp recordings parses with a SOAP Envelope root', () => {
    const dir = 'fixtures/upstream/jborean93-pypsrp/tests/tests_pypsrp/responses';
    let count = 0;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yml') && !n.startsWith('_'))) {
      const doc = parseYaml(readFileSync(join(dir, f), 'utf8')) as { messages: { request: string; response: string }[] };
      for (const [i, m] of doc.messages.entries()) {
        for (const body of [m.request, m.response]) {
          if (typeof body !== 'string' || body.trim() === '') continue;
          const root = parseXml(body, { where: `${f}#${i}` });
          expect(root.ns).toBe(SOAP);
          expect(root.local).toBe('Envelope');
          count++;
        }
      }
    }
    expect(count).toBeGreaterThan(700);
  });
});
