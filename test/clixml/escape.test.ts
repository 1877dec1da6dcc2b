// _xHHHH_ string encoding (MS-PSRP 2.2.5.3.2) in element text and property
// names, and the XML escaping on top of it.

import { describe, expect, test } from 'vitest';
import { PSObject, decodeClixmlString, encodeClixmlString, parseClixml, serializeClixml } from '../../src/clixml/index.js';
import { recordedClixml, typedError } from './helpers.js';

describe('the spec examples of 2.2.5.3.2', () => {
  test('"Order\\nDetails" is Order_x000A_Details', () => {
    expect(encodeClixmlString('Order\nDetails')).toBe('Order_x000A_Details');
    expect(parseClixml('<S>Order_x000A_Details</S>')).toBe('Order\nDetails');
  });
  test('Order_Details is not encoded; Order_x0020_ becomes Order_x005F_x0020_', () => {
    expect(encodeClixmlString('Order_Details')).toBe('Order_Details');
    expect(encodeClixmlString('Order_x0020_')).toBe('Order_x005F_x0020_');
    expect(parseClixml('<S>Order_x005F_x0020_</S>')).toBe('Order_x0020_');
  });
});

describe('what gets encoded, as PowerShell encodes it', () => {
  test('control characters, DEL and C1 controls, U+FFFE/U+FFFF', () => {
    expect(encodeClixmlString('a\tb\r\nc\x00\x1f\x7f\x80\x9f\ufffe\uffff')).toBe(
      'a_x0009_b_x000D__x000A_c_x0000__x001F__x007F__x0080__x009F__xFFFE__xFFFF_',
    );
    expect(encodeClixmlString('\xa0é日本')).toBe('\xa0é日本');
  });

  test('surrogate pairs are encoded unit by unit; lone surrogates survive', () => {
    expect(encodeClixmlString('😀')).toBe('_xD83D__xDE00_');
    for (const s of ['😀', '\ud800', '\udc00x', 'a\ud83d', '\ude00\ud83d']) {
      expect(parseClixml(serializeClixml(s))).toBe(s);
    }
  });

  test('"_x" in either case is escaped, other underscores are not', () => {
    expect(encodeClixmlString('_X0041_ and _x and __ and _y')).toBe('_x005F_X0041_ and _x005F_x and __ and _y');
  });
});

describe('decoding, as XmlConvert.DecodeName does', () => {
  test('4- and 8-digit forms, either case of x and hex digits', () => {
    expect(decodeClixmlString('_x0041__X0042__x00e9_')).toBe('ABé');
    expect(decodeClixmlString('_x0001F600_')).toBe('😀');
    // The 4-digit form wins when both would match.
    expect(decodeClixmlString('_x000A_0041_')).toBe('\n0041_');
  });
  test('sequences that are not escapes stay as they are', () => {
    for (const s of ['_x41_', '_x004_', '_x00411', '_xZZZZ_', '_', '_x', 'x0041_']) expect(decodeClixmlString(s)).toBe(s);
  });
  test('an 8-digit escape beyond U+10FFFF is a typed error naming the element', () => {
    const e = typedError(() => parseClixml('<S>_x00110000_</S>'));
    expect(e.code).toBe('PSR_CLIXML_INVALID');
    expect(e.message).toMatch(/_xHHHHHHHH_ escape in <S>/);
  });
});

describe('XML escaping on top of _x encoding', () => {
  test('markup characters in text and in property names', () => {
    const o = PSObject.custom({ 'a<b>&"c"\n': 'x < y && z > "w"' });
    const xml = serializeClixml(o);
    expect(xml).toContain('<S N="a&lt;b&gt;&amp;&quot;c&quot;_x000A_">x &lt; y &amp;&amp; z &gt; "w"</S>');
    expect(parseClixml(xml)).toEqual(o);
  });

  test('entities and character references are decoded before _x escapes', () => {
    expect(parseClixml('<S>&lt;&#x5F;x0041_&gt;&#65;&amp;amp;</S>')).toBe('<A>A&amp;');
    // A literal CR LF in XML text is a newline (XML end-of-line handling); &#13; is a CR.
    expect(parseClixml('<S>a\r\nb&#13;</S>')).toBe('a\nb\r');
    expect(parseClixml('<S><![CDATA[<not markup> & _x0041_]]></S>')).toBe('<not markup> & A');
    expect(parseClixml('<S>a<!-- comment -->b</S>')).toBe('ab');
  });

  test('property names with escapes (N attribute), including attribute-value normalisation', () => {
    const o = parseClixml('<Obj RefId="0"><MS><S N="a_x0020_b&#10;c\td">v</S></MS></Obj>') as PSObject;
    expect([...o.extended.keys()]).toEqual(['a b\nc d']);
    expect(parseClixml(serializeClixml(o))).toEqual(o);
  });

  test('every escape in the recordings decodes and re-encodes to the same text', () => {
    const seen = new Set<string>();
    for (const r of recordedClixml()) for (const m of r.xml.matchAll(/_x[0-9A-F]{4}_/g)) seen.add(m[0]);
    expect([...seen].sort()).toEqual(['_x000A_', '_x000D_']);
    for (const e of seen) expect(encodeClixmlString(decodeClixmlString(e)!)).toBe(e);
  });
});
