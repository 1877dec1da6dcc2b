// Malformed CLIXML of every kind gives a typed error naming what and where,
// never a crash, a hang or unbounded work. The documents here are
// hand-written (no real server sends them), except the truncation source,
// which is a real ErrorRecord from the pypsrp recordings.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LimitError, PsRemoteError } from '../../src/errors.js';
import { parseClixml, parseClixmlDocument, serializeClixml, toPlain } from '../../src/clixml/index.js';
import { recordedClixml, typedError } from './helpers.js';

const ALLOWED = new Set(['PSR_XML_MALFORMED', 'PSR_CLIXML_INVALID', 'PSR_CLIXML_DEPTH_LIMIT', 'PSR_LIMIT']);

function rejects(xml: string | Uint8Array, code: string, message: RegExp): PsRemoteError {
  const e = typedError(() => parseClixml(xml, { where: 'test input' }));
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
  return e;
}

describe('structure', () => {
  const cases: [string, string, string, RegExp][] = [
    ['unknown element', '<Bogus />', 'PSR_CLIXML_INVALID', /unknown CLIXML element <Bogus>.*offset 0/],
    ['unknown element inside an object', '<Obj RefId="0"><MS><I32 N="a">1</I32><Foo N="b" /></MS></Obj>', 'PSR_CLIXML_INVALID', /unknown CLIXML element <Foo>.*offset 37/],
    ['a structure element where a value belongs', '<LST><I32>1</I32></LST>', 'PSR_CLIXML_INVALID', /<LST> where a value belongs \(it goes directly inside <Obj>\)/],
    ['a prefixed element', '<ps:Obj RefId="0" />', 'PSR_CLIXML_INVALID', /unknown CLIXML element <ps:Obj>/],
    ['unknown attribute', '<S Foo="1">x</S>', 'PSR_CLIXML_INVALID', /unknown attribute Foo on <S>/],
    ['another namespace', '<S xmlns="urn:other">x</S>', 'PSR_CLIXML_INVALID', /namespace "urn:other"/],
    ['text inside an object', '<Obj RefId="0">hello<MS /></Obj>', 'PSR_CLIXML_INVALID', /text inside <Obj>, which holds only elements/],
    ['CDATA inside an object', '<Obj RefId="0"><![CDATA[x]]></Obj>', 'PSR_CLIXML_INVALID', /CDATA or markup declaration inside <Obj>/],
    ['two bodies', '<Obj RefId="0"><LST /><DCT /></Obj>', 'PSR_CLIXML_INVALID', /two bodies \(<LST> and <DCT>\)/],
    ['a value and a list', '<Obj RefId="0"><I32>1</I32><LST /></Obj>', 'PSR_CLIXML_INVALID', /two bodies \(<I32> and <LST>\)/],
    ['two type name lists', '<Obj RefId="0"><TN RefId="0"><T>a</T></TN><TNRef RefId="0" /></Obj>', 'PSR_CLIXML_INVALID', /two type name lists/],
    ['two ToString', '<Obj RefId="0"><ToString>a</ToString><ToString>b</ToString></Obj>', 'PSR_CLIXML_INVALID', /two <ToString>/],
    ['two MS', '<Obj RefId="0"><MS /><MS /></Obj>', 'PSR_CLIXML_INVALID', /two <MS>/],
    ['a duplicate property', '<Obj RefId="0"><Props><I32 N="X">1</I32><I32 N="X">2</I32></Props></Obj>', 'PSR_CLIXML_INVALID', /property "X" appears twice in <Props>/],
    ['a property set in adapted properties', '<Obj RefId="0"><Props><MS N="x" /></Props></Obj>', 'PSR_CLIXML_INVALID', /<MS> where a value belongs/],
    ['a dictionary entry without a value', '<Obj RefId="0"><DCT><En><S N="Key">k</S></En></DCT></Obj>', 'PSR_CLIXML_INVALID', /<En> without a Value/],
    ['a dictionary entry with two keys', '<Obj RefId="0"><DCT><En><S N="Key">k</S><S N="Key">j</S></En></DCT></Obj>', 'PSR_CLIXML_INVALID', /<En> child named "Key" \(expected one Key and one Value\)/],
    ['a dictionary holding something else', '<Obj RefId="0"><DCT><S>x</S></DCT></Obj>', 'PSR_CLIXML_INVALID', /<S> inside <DCT>, which holds only <En>/],
    ['type names holding something else', '<Obj RefId="0"><TN RefId="0"><S>x</S></TN></Obj>', 'PSR_CLIXML_INVALID', /<S> inside <TN>, which holds only <T>/],
    ['Nil with content', '<Nil>x</Nil>', 'PSR_CLIXML_INVALID', /invalid Nil \(it must be empty\)/],
    ['an element inside a string', '<S>a<B>true</B></S>', 'PSR_CLIXML_INVALID', /<B> inside <S>, which holds only text/],
    ['a progress record out of order', '<PR><AI>1</AI></PR>', 'PSR_CLIXML_INVALID', /<AI> in <PR> where <AV> belongs/],
    ['two top-level values', '<S>a</S><S>b</S>', 'PSR_CLIXML_INVALID', /more than one top-level element/],
    ['an empty document', '  ', 'PSR_CLIXML_INVALID', /no CLIXML element/],
    ['text before the root', 'x<S>a</S>', 'PSR_XML_MALFORMED', /text outside the root element/],
    ['text after the root', '<S>a</S>x', 'PSR_XML_MALFORMED', /text after the root element/],
    ['a mismatched end tag', '<Obj RefId="0"><MS></LST></Obj>', 'PSR_XML_MALFORMED', /end tag <\/LST> does not match <MS>.*offset 19/],
    ['an end tag that is a longer name', '<S>x</SS>', 'PSR_XML_MALFORMED', /end tag <\/SS> does not match <S>/],
    ['an unquoted attribute', '<Obj RefId=0 />', 'PSR_XML_MALFORMED', /attribute RefId in <Obj> is not quoted/],
    ['a duplicate attribute', '<S N="a" N="b">x</S>', 'PSR_XML_MALFORMED', /duplicate attribute N/],
    ['"<" in an attribute', '<S N="a<b">x</S>', 'PSR_XML_MALFORMED', /"<" in attribute N/],
    ['a raw control character', '<S>a\u0001b</S>', 'PSR_XML_MALFORMED', /character not allowed in XML.*offset 4/],
    ['a control character in a name', '<Obj RefId="0"><MS><S N="a\u0002">x</S></MS></Obj>', 'PSR_XML_MALFORMED', /character not allowed in XML in attribute N/],
  ];
  for (const [name, xml, code, message] of cases) test(name, () => rejects(xml, code, message));
});

describe('references', () => {
  const cases: [string, string, RegExp][] = [
    ['a dangling Ref', '<Obj RefId="0"><LST><Ref RefId="5" /></LST></Obj>', /<Ref RefId="5"> names no earlier <Obj>/],
    ['a forward Ref', '<Obj RefId="0"><LST><Ref RefId="1" /><Obj RefId="1" /></LST></Obj>', /<Ref RefId="1"> names no earlier <Obj>/],
    ['a Ref without RefId', '<Obj RefId="0"><LST><Ref /></LST></Obj>', /<Ref> without a RefId/],
    ['a Ref with content', '<Obj RefId="0"><LST><Ref RefId="0">x</Ref></LST></Obj>', /<Ref> has content/],
    ['a dangling TNRef', '<Obj RefId="0"><TNRef RefId="3" /></Obj>', /<TNRef RefId="3"> names no earlier <TN>/],
    ['a duplicate RefId', '<Obj RefId="0"><LST><Obj RefId="0" /></LST></Obj>', /RefId "0" is used by two <Obj> elements/],
    ['a duplicate TN RefId', '<Obj RefId="0"><LST><Obj RefId="1"><TN RefId="0"><T>a</T></TN></Obj><Obj RefId="2"><TN RefId="0"><T>b</T></TN></Obj></LST></Obj>', /<TN RefId="0"> is defined twice/],
  ];
  for (const [name, xml, message] of cases) test(name, () => rejects(xml, 'PSR_CLIXML_INVALID', message));
});

describe('entities and DTDs', () => {
  test('DOCTYPE is refused: no entity expansion (billion laughs), no external entities', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><S>&lol2;</S>';
    rejects(laughs, 'PSR_XML_MALFORMED', /DOCTYPE is not allowed/);
    rejects('<!DOCTYPE S SYSTEM "file:///etc/passwd"><S>&xxe;</S>', 'PSR_XML_MALFORMED', /DOCTYPE is not allowed/);
    rejects('<S>a<!DOCTYPE x>b</S>', 'PSR_XML_MALFORMED', /DOCTYPE is not allowed/);
  });

  test('only the five predefined entities and character references', () => {
    rejects('<S>&xxe;</S>', 'PSR_XML_MALFORMED', /unknown entity &xxe;/);
    rejects('<S>&nbsp;</S>', 'PSR_XML_MALFORMED', /unknown entity &nbsp;/);
    rejects('<S>a & b</S>', 'PSR_XML_MALFORMED', /bare "&"/);
    rejects('<S>&#0;</S>', 'PSR_XML_MALFORMED', /&#0; is not an XML character/);
    rejects('<S>&#xD800;</S>', 'PSR_XML_MALFORMED', /&#xD800; is not an XML character/);
    rejects('<S>&#x110000;</S>', 'PSR_XML_MALFORMED', /not an XML character/);
    rejects('<S>&#99999999999;</S>', 'PSR_XML_MALFORMED', /bare "&"/);
    rejects('<Obj RefId="0"><MS><S N="&foo;">x</S></MS></Obj>', 'PSR_XML_MALFORMED', /unknown entity &foo;/);
    // Decoded once: &amp;lt; is the text "&lt;".
    expect(parseClixml('<S>&amp;lt;&#x1F600;</S>')).toBe('&lt;😀');
  });
});

describe('limits', () => {
  test('depth 10,000 of objects, of lists, of property sets and of dictionary keys: a LimitError, no stack overflow', () => {
    const n = 10_000;
    const docs = [
      '<Obj><LST>'.repeat(n) + '</LST></Obj>'.repeat(n),
      '<Obj><MS><Obj N="a">'.repeat(n) + '</Obj></MS></Obj>'.repeat(n),
      '<Obj><MS>' + '<MS N="a">'.repeat(n) + '</MS>'.repeat(n) + '</MS></Obj>',
      '<Obj><DCT><En>' + '<Obj N="Key"><DCT><En>'.repeat(n),
    ];
    for (const xml of docs) {
      const e = rejects(xml, 'PSR_CLIXML_DEPTH_LIMIT', /CLIXML depth limit exceeded: 257 > 256/);
      expect(e).toBeInstanceOf(LimitError);
    }
    // The limit can be raised (a little) or lowered.
    expect(typedError(() => parseClixml('<Obj><LST><Obj /></LST></Obj>', { maxDepth: 1 })).code).toBe('PSR_CLIXML_DEPTH_LIMIT');
    expect(() => parseClixml('<Obj><LST>'.repeat(300) + '</LST></Obj>'.repeat(300), { maxDepth: 400 })).not.toThrow();
  });

  test('document length, string length and value count', () => {
    expect(typedError(() => parseClixml('<S>abc</S>', { maxLength: 5 })).message).toMatch(/CLIXML document length limit exceeded: 10 > 5/);
    expect(typedError(() => parseClixml(`<S>${'x'.repeat(100)}</S>`, { maxStringLength: 50 })).message).toMatch(/CLIXML string length limit exceeded: 100 > 50/);
    expect(typedError(() => parseClixml(`<S N="${'x'.repeat(100)}">a</S>`, { maxStringLength: 50 })).code).toBe('PSR_LIMIT');
    expect(typedError(() => parseClixml(`<S>a<!--c-->${'x'.repeat(100)}</S>`, { maxStringLength: 50 })).code).toBe('PSR_LIMIT');
    const many = `<Obj RefId="0"><LST>${'<I32>1</I32>'.repeat(1000)}</LST></Obj>`;
    expect(typedError(() => parseClixml(many, { maxObjects: 500 })).message).toMatch(/CLIXML value count limit exceeded: 501 > 500/);
  });

  test('CLIXML declares no lengths; oversized numbers are refused before any work on them', () => {
    const huge = '9'.repeat(1_000_000);
    for (const tag of ['I32', 'I64', 'U64', 'Db', 'Sg', 'D', 'By']) rejects(`<${tag}>${huge}</${tag}>`, 'PSR_CLIXML_INVALID', new RegExp(`invalid .* in <${tag}>`));
    rejects(`<Version>1.${huge}</Version>`, 'PSR_CLIXML_INVALID', /invalid Version/);
    rejects(`<TS>P${huge}D</TS>`, 'PSR_CLIXML_INVALID', /invalid TimeSpan/);
  });

  test('the plain view of an exponentially shared graph stops at its node budget', () => {
    // 40 levels, each list holding the previous level and a Ref to it: 2^40 nodes if expanded.
    let doc = '<Obj RefId="0"><MS><I32 N="leaf">1</I32></MS></Obj>';
    for (let i = 1; i <= 40; i++) doc = `<Obj RefId="${i}"><LST>${doc}<Ref RefId="${i - 1}" /></LST></Obj>`;
    const v = parseClixml(doc);
    expect(serializeClixml(v).length).toBeLessThan(3000);
    const e = typedError(() => toPlain(v));
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toMatch(/plain view node count limit exceeded: 1000001 > 1000000/);
  });
});

describe('truncation and encoding', () => {
  test('every truncation of a real ErrorRecord is a typed error', () => {
    const xml = recordedClixml().find((r) => r.type === 'ERROR_RECORD')!.xml;
    expect(xml.length).toBeGreaterThan(2000);
    for (let n = 0; n < xml.length; n++) {
      let err: unknown;
      try {
        parseClixml(xml.slice(0, n));
      } catch (e) {
        err = e;
      }
      expect(err, `prefix of ${n} characters`).toBeInstanceOf(PsRemoteError);
      expect(ALLOWED).toContain((err as PsRemoteError).code);
    }
  });

  test('invalid UTF-8 input is refused; a UTF-8 BOM is fine', () => {
    rejects(new Uint8Array([0x3c, 0x53, 0x3e, 0xff, 0x3c, 0x2f, 0x53, 0x3e]), 'PSR_XML_MALFORMED', /not valid UTF-8/);
    expect(parseClixml(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('<S>é</S>')]))).toBe('é');
    expect(parseClixmlDocument('\ufeff<?xml version="1.0"?><!-- c --><S>a</S><!-- d -->').items).toHaveLength(1);
  });
});

describe('fuzz: random damage to real documents gives a value or a typed error', () => {
  const docs = recordedClixml().filter((_, i) => i % 25 === 0).map((r) => r.xml);

  test('mutations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: docs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 8 }), fc.constantFrom('', '<', '>', '/', '"', '&', '_x', 'Obj', '<Obj>', '</MS>', 'RefId="0"', '<Ref RefId="1"/>', '\u0000', '&#0;', ']]>', '<![CDATA[', '<!--')), { minLength: 1, maxLength: 4 }),
        (i, edits) => {
          let xml = docs[i]!;
          for (const [at, del, ins] of edits) {
            const p = at % (xml.length + 1);
            xml = xml.slice(0, p) + ins + xml.slice(p + del);
          }
          try {
            const v = parseClixml(xml);
            // Whatever parses must also write and read back.
            expect(parseClixml(serializeClixml(v))).toEqual(v);
          } catch (e) {
            expect(e).toBeInstanceOf(PsRemoteError);
            expect(ALLOWED).toContain((e as PsRemoteError).code);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('random CLIXML-ish token soup', () => {
    const token = fc.constantFrom('<Obj RefId="0">', '<Obj RefId="1">', '</Obj>', '<MS>', '</MS>', '<LST>', '</LST>', '<DCT>', '</DCT>', '<En>', '</En>', '<S N="Key">k</S>', '<I32 N="Value">1</I32>', '<Ref RefId="0" />', '<TN RefId="0"><T>x</T></TN>', '<TNRef RefId="0" />', '<Nil />', '<S>', '</S>', 'text', ' ', '<PR>', '</PR>', '<AV>a</AV>', '<AI>1</AI>');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), (tokens) => {
        try {
          parseClixml(tokens.join(''));
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
          expect(ALLOWED).toContain((e as PsRemoteError).code);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
