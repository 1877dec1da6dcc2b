// Every primitive of MS-PSRP 2.2.5.1: the spec's own examples, the boundaries
// of each type (hand-written, since recordings only contain a few types) and
// the real DateTime/SecureString values from the pypsrp recordings.

import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import {
  PSByte,
  PSChar,
  PSDateTime,
  PSDecimal,
  PSDouble,
  PSDuration,
  PSGuid,
  PSInt16,
  PSInt64,
  PSSByte,
  PSScriptBlock,
  PSSecureString,
  PSSingle,
  PSUInt16,
  PSUInt32,
  PSUInt64,
  PSUri,
  PSVersion,
  PSXmlDocument,
  parseClixml,
  serializeClixml,
  type PSValue,
} from '../../src/clixml/index.js';
import { SessionKeyCipher } from '../../src/psrp/key-exchange.js';
import { SESSION_KEY_VECTORS } from '../psrp/helpers/keys.js';
import { specExample, typedError } from './helpers.js';

const roundTrip = (xml: string): PSValue => parseClixml(serializeClixml(parseClixml(xml)));

describe('the spec example of each primitive parses to its type and is written back as the same text', () => {
  const cases: [string, (v: PSValue) => void][] = [
    ['2.2.5.1.1', (v) => expect(v).toBe('This is a string')],
    ['2.2.5.1.2', (v) => expect(v).toEqual(new PSChar('a'))],
    ['2.2.5.1.4', (v) => {
      const dt = v as PSDateTime;
      expect(dt).toBeInstanceOf(PSDateTime);
      expect(dt.kind).toBe('Local');
      expect(dt.offsetMinutes).toBe(-420);
      // 2008-04-11T10:42:32 local clock time, computed independently of the parser.
      expect(dt.ticks).toBe((BigInt(Date.UTC(2008, 3, 11, 10, 42, 32)) + 62_135_596_800_000n) * 10_000n + 2_731_993n);
      expect(dt.toDate().toISOString()).toBe('2008-04-11T17:42:32.273Z');
    }],
    ['2.2.5.1.5', (v) => expect(v).toEqual(new PSDuration(90_269_026n))],
    ['2.2.5.1.6', (v) => expect(v).toEqual(new PSByte(254))],
    ['2.2.5.1.7', (v) => expect(v).toEqual(new PSSByte(-127))],
    ['2.2.5.1.8', (v) => expect(v).toEqual(new PSUInt16(65535))],
    ['2.2.5.1.9', (v) => expect(v).toEqual(new PSInt16(-32767))],
    ['2.2.5.1.10', (v) => expect(v).toEqual(new PSUInt32(4294967295))],
    ['2.2.5.1.11', (v) => expect(v).toBe(-2147483648)],
    ['2.2.5.1.12', (v) => expect(v).toEqual(new PSUInt64(18446744073709551615n))],
    ['2.2.5.1.13', (v) => expect(v).toEqual(new PSInt64(-9223372036854775808n))],
    ['2.2.5.1.14', (v) => expect(v).toEqual(new PSSingle(12.34))],
    ['2.2.5.1.15', (v) => expect(v).toEqual(new PSDouble(12.34))],
    ['2.2.5.1.16', (v) => expect(v).toEqual(new PSDecimal('12.34'))],
    ['2.2.5.1.17', (v) => expect(v).toEqual(new Uint8Array([1, 2, 3, 4]))],
    ['2.2.5.1.18', (v) => expect(v).toEqual(new PSGuid('792e5b37-4505-47ef-b7d2-8711bb7affa8'))],
    ['2.2.5.1.19', (v) => expect(v).toEqual(new PSUri('http://www.microsoft.com/'))],
    ['2.2.5.1.21', (v) => expect(v).toEqual(new PSVersion('6.2.1.3'))],
    ['2.2.5.1.23', (v) => expect(v).toEqual(new PSScriptBlock('get-command -type cmdlet'))],
  ];
  for (const [section, check] of cases) {
    test(section, () => {
      const xml = specExample(section);
      const v = parseClixml(xml);
      check(v);
      expect(serializeClixml(v)).toBe(xml);
    });
  }

  test('2.2.5.1.20 Nil', () => {
    expect(parseClixml(specExample('2.2.5.1.20'))).toBeNull();
    expect(serializeClixml(null)).toBe('<Nil />');
    expect(serializeClixml(undefined)).toBe('<Nil />');
  });

  test('2.2.5.1.3 Boolean (the spec example is damaged in transcription; hand-written)', () => {
    expect(parseClixml('<B>true</B>')).toBe(true);
    expect(parseClixml('<B>false</B>')).toBe(false);
    // xs:boolean also allows 1/0 and surrounding whitespace.
    expect(parseClixml('<B> 1 </B>')).toBe(true);
    expect(parseClixml('<B>0</B>')).toBe(false);
    expect(serializeClixml(true)).toBe('<B>true</B>');
    expect(typedError(() => parseClixml('<B>True</B>')).code).toBe('PSR_CLIXML_INVALID');
  });

  test('2.2.5.1.24 SecureString without a key keeps its ciphertext and writes it back', () => {
    const xml = specExample('2.2.5.1.24');
    const v = parseClixml(xml) as PSSecureString;
    expect(v).toBeInstanceOf(PSSecureString);
    expect(v.isDecrypted).toBe(false);
    expect(v.reveal()).toBeUndefined();
    expect(v.encrypted).toMatch(/^bs7MU5rXWiJF.*zQ==$/);
    expect(parseClixml(serializeClixml(v))).toEqual(v);
  });
});

describe('integer types: every boundary, and one past it', () => {
  const types: [string, number | bigint, number | bigint, (x: never) => PSValue][] = [
    ['SB', -128, 127, (x) => new PSSByte(x)],
    ['By', 0, 255, (x) => new PSByte(x)],
    ['I16', -32768, 32767, (x) => new PSInt16(x)],
    ['U16', 0, 65535, (x) => new PSUInt16(x)],
    ['I32', -2147483648, 2147483647, (x) => x],
    ['U32', 0, 4294967295, (x) => new PSUInt32(x)],
    ['I64', -(2n ** 63n), 2n ** 63n - 1n, (x) => new PSInt64(x)],
    ['U64', 0n, 2n ** 64n - 1n, (x) => new PSUInt64(x)],
    ['C', 0, 65535, (x) => new PSChar(x)],
  ];
  for (const [tag, min, max, make] of types) {
    test(tag, () => {
      for (const x of [min, max]) {
        const v = parseClixml(`<${tag}>${x}</${tag}>`);
        expect(v).toEqual(make(x as never));
        expect(serializeClixml(v)).toBe(`<${tag}>${x}</${tag}>`);
      }
      const below = typeof min === 'bigint' ? min - 1n : min - 1;
      const above = typeof max === 'bigint' ? max + 1n : max + 1;
      for (const x of [below, above, '12a', '', '1.0', '--1', '0x10', '1e3', '١٢']) {
        const e = typedError(() => parseClixml(`<${tag} N="P">${x}</${tag}>`));
        expect(e.code).toBe('PSR_CLIXML_INVALID');
        expect(e.message).toMatch(new RegExp(`invalid .* in <${tag} N="P">.*offset 0`));
      }
      // XML Schema lexical forms: sign, leading zeros, surrounding whitespace.
      expect(parseClixml(`<${tag}> +007 </${tag}>`)).toEqual(make((typeof min === 'bigint' ? 7n : 7) as never));
    });
  }

  test('a plain JavaScript number is an I32 when it is a 32-bit integer, else a Double', () => {
    expect(serializeClixml(5)).toBe('<I32>5</I32>');
    expect(serializeClixml(2147483648)).toBe('<Db>2147483648</Db>');
    expect(serializeClixml(1.5)).toBe('<Db>1.5</Db>');
    expect(serializeClixml(-0)).toBe('<Db>-0</Db>');
    expect(serializeClixml(12n)).toBe('<I64>12</I64>');
    expect(serializeClixml(2n ** 63n)).toBe('<U64>9223372036854775808</U64>');
    expect(typedError(() => serializeClixml(2n ** 64n)).code).toBe('PSR_USAGE');
  });

  test('wrappers check their range when built', () => {
    expect(() => new PSByte(256)).toThrow(/Byte: 256 is out of range/);
    expect(() => new PSInt64(2n ** 63n)).toThrow(/Int64/);
    expect(() => new PSUInt32(1.5)).toThrow(/UInt32/);
    expect(() => new PSChar('ab')).toThrow(/Char/);
    // valueOf makes arithmetic work.
    expect(+new PSUInt16(7) * 2).toBe(14);
    expect(new PSInt64(5n).valueOf() + 1n).toBe(6n);
  });
});

describe('floating point and decimal', () => {
  test('Double: special values, extremes, exact bits', () => {
    const cases: [string, number, string][] = [
      ['INF', Infinity, 'INF'],
      ['-INF', -Infinity, '-INF'],
      ['NaN', NaN, 'NaN'],
      ['-0', -0, '-0'],
      ['1.7976931348623157E+308', Number.MAX_VALUE, '1.7976931348623157e+308'],
      ['4.9E-324', Number.MIN_VALUE, '5e-324'],
      ['0.1', 0.1, '0.1'],
      ['1E+21', 1e21, '1e+21'],
      [' 2 ', 2, '2'],
    ];
    for (const [text, value, written] of cases) {
      const v = parseClixml(`<Db>${text}</Db>`) as PSDouble;
      expect(v).toBeInstanceOf(PSDouble);
      expect(Object.is(v.value, value)).toBe(true);
      expect(serializeClixml(v)).toBe(`<Db>${written}</Db>`);
    }
    // A Double holding an integer stays a Double.
    expect(roundTrip('<Db>3</Db>')).toEqual(new PSDouble(3));
    for (const bad of ['1,5', 'Infinity', 'inf', '1e', '.', '+-1', '0x1p3']) {
      expect(typedError(() => parseClixml(`<Db>${bad}</Db>`)).code).toBe('PSR_CLIXML_INVALID');
    }
  });

  test('Single: float32 precision and the shortest text that reads back the same', () => {
    const v = parseClixml('<Sg>0.1</Sg>') as PSSingle;
    expect(v.value).toBe(Math.fround(0.1));
    expect(serializeClixml(v)).toBe('<Sg>0.1</Sg>');
    expect(serializeClixml(new PSSingle(16777217))).toBe('<Sg>16777216</Sg>');
    expect(serializeClixml(new PSSingle(3.4028234663852886e38))).toBe('<Sg>3.4028235e+38</Sg>');
    for (const x of [1.1, 1e-45, 123456.789, -0.000123]) {
      const s = new PSSingle(x);
      expect(roundTrip(serializeClixml(s))).toEqual(s);
    }
  });

  test('Decimal: exact text, scale kept, no rounding', () => {
    for (const d of ['79228162514264337593543950335', '-0.0000000000000000000000000001', '1.50', '0', '-12.340']) {
      const v = parseClixml(`<D>${d}</D>`);
      expect(v).toEqual(new PSDecimal(d));
      expect(serializeClixml(v)).toBe(`<D>${d}</D>`);
    }
    for (const bad of ['1e5', 'NaN', '1.2.3', '']) expect(typedError(() => parseClixml(`<D>${bad}</D>`)).code).toBe('PSR_CLIXML_INVALID');
  });
});

describe('DateTime keeps kind, offset and 100-ns ticks', () => {
  test('real values from the pypsrp recordings (Windows writes +00:00, trims trailing zeros)', () => {
    for (const text of ['2018-06-13T23:46:27.9270288+00:00', '2018-06-13T23:46:28.00516+00:00']) {
      const v = parseClixml(`<DT>${text}</DT>`) as PSDateTime;
      expect(v.kind).toBe('Local');
      expect(v.offsetMinutes).toBe(0);
      expect(serializeClixml(v)).toBe(`<DT>${text}</DT>`);
    }
  });

  test('Utc, Unspecified, Local with offsets; fractions of every length', () => {
    const cases: [string, PSDateTime['kind'], number, number][] = [
      ['2024-02-29T23:59:59.9999999Z', 'Utc', 0, 9_999_999],
      ['0001-01-01T00:00:00', 'Unspecified', 0, 0],
      ['9999-12-31T23:59:59.9999999+14:00', 'Local', 840, 9_999_999],
      ['2000-01-01T00:00:00.1-12:30', 'Local', -750, 1_000_000],
      ['2000-01-01T00:00:00.0000001Z', 'Utc', 0, 1],
    ];
    for (const [text, kind, offset, frac] of cases) {
      const v = parseClixml(`<DT>${text}</DT>`) as PSDateTime;
      expect([v.kind, v.offsetMinutes, v.fractionTicks]).toEqual([kind, offset, frac]);
      expect(serializeClixml(v)).toBe(`<DT>${text}</DT>`);
    }
    expect((parseClixml('<DT>0001-01-01T00:00:00</DT>') as PSDateTime).ticks).toBe(0n);
    expect((parseClixml('<DT>9999-12-31T23:59:59.9999999Z</DT>') as PSDateTime).ticks).toBe(3_155_378_975_999_999_999n);
  });

  test('more than 7 fraction digits round to 100 ns, as .NET does', () => {
    expect(String(parseClixml('<DT>2020-01-01T00:00:00.12345675Z</DT>'))).toBe('2020-01-01T00:00:00.1234568Z');
    expect(String(parseClixml('<DT>2020-01-01T00:00:00.999999999Z</DT>'))).toBe('2020-01-01T00:00:01Z');
  });

  test('invalid dates are refused', () => {
    for (const bad of ['2023-02-29T00:00:00Z', '2020-01-01T24:00:00Z', '2020-13-01T00:00:00Z', '2020-01-01 00:00:00Z', '0000-01-01T00:00:00Z', '2020-01-01T00:00:00+15:00', '2020-01-01T00:00:00.Z', '2020-01-01T00:00:60Z', '2020-01-01', '20-01-01T00:00:00Z', '2020-01-01T00:00:00+0100']) {
      const e = typedError(() => parseClixml(`<DT N="When">${bad}</DT>`));
      expect(e.code).toBe('PSR_CLIXML_INVALID');
      expect(e.message).toContain('invalid DateTime');
    }
  });

  test('from and to JavaScript Dates', () => {
    const d = new Date('2021-05-06T07:08:09.123Z');
    const v = PSDateTime.fromDate(d);
    expect(String(v)).toBe('2021-05-06T07:08:09.123Z');
    expect(v.toDate().getTime()).toBe(d.getTime());
    expect(serializeClixml(d)).toBe('<DT>2021-05-06T07:08:09.123Z</DT>');
    const local = PSDateTime.fromDate(d, 'Local');
    expect(local.toDate().getTime()).toBe(d.getTime());
    expect(local.offsetMinutes).toBe(-d.getTimezoneOffset());
  });
});

describe('TimeSpan (xs:duration) as ticks', () => {
  test('the forms XmlConvert writes', () => {
    const cases: [string, bigint][] = [
      ['PT0S', 0n],
      ['PT9.0269026S', 90_269_026n],
      ['P1D', 864_000_000_000n],
      ['-PT0.0000001S', -1n],
      ['P1DT2H3M4.5S', (((24n + 2n) * 60n + 3n) * 60n + 4n) * 10_000_000n + 5_000_000n],
      ['P10675199DT2H48M5.4775807S', 2n ** 63n - 1n],
      ['-P10675199DT2H48M5.4775808S', -(2n ** 63n)],
    ];
    for (const [text, ticks] of cases) {
      const v = parseClixml(`<TS>${text}</TS>`);
      expect(v).toEqual(new PSDuration(ticks));
      expect(serializeClixml(v)).toBe(`<TS>${text}</TS>`);
    }
  });

  test('other xs:duration spellings read as .NET reads them', () => {
    expect((parseClixml('<TS>P1Y</TS>') as PSDuration).ticks).toBe(365n * 864_000_000_000n);
    expect((parseClixml('<TS>P1M</TS>') as PSDuration).ticks).toBe(30n * 864_000_000_000n);
    expect((parseClixml('<TS>PT90M</TS>') as PSDuration).ticks).toBe(90n * 600_000_000n);
    expect(String(parseClixml('<TS>PT1.123456789S</TS>'))).toBe('PT1.1234567S');
    for (const bad of ['P', 'PT', 'P1H', '1S', 'PT1.S', 'P-1D', 'P10675200D', 'PT1,5S']) {
      expect(typedError(() => parseClixml(`<TS>${bad}</TS>`)).code).toBe('PSR_CLIXML_INVALID');
    }
  });
});

describe('text-like primitives', () => {
  test('Guid: braces and upper case accepted, written lower case as .NET does', () => {
    expect(parseClixml('<G>{792E5B37-4505-47EF-B7D2-8711BB7AFFA8}</G>')).toEqual(new PSGuid('792e5b37-4505-47ef-b7d2-8711bb7affa8'));
    for (const bad of ['792e5b37450547efb7d28711bb7affa8x', '792e5b37-4505-47ef-b7d2-8711bb7affa', 'zzzzzzzz-4505-47ef-b7d2-8711bb7affa8', '']) {
      expect(typedError(() => parseClixml(`<G>${bad}</G>`)).code).toBe('PSR_CLIXML_INVALID');
    }
  });

  test('Version: two to four non-negative Int32 parts', () => {
    const v = parseClixml('<Version>10.0.17763.01</Version>') as PSVersion;
    expect([v.major, v.minor, v.build, v.revision]).toEqual([10, 0, 17763, 1]);
    expect(serializeClixml(v)).toBe('<Version>10.0.17763.1</Version>');
    expect((parseClixml('<Version>2.3</Version>') as PSVersion).build).toBe(-1);
    for (const bad of ['1', '1.2.3.4.5', 'a.b', '-1.0', '1.2147483648', '1..2']) {
      expect(typedError(() => parseClixml(`<Version>${bad}</Version>`)).code).toBe('PSR_CLIXML_INVALID');
    }
  });

  test('byte[]: strict base64, whitespace between characters allowed', () => {
    expect(parseClixml('<BA>AQID\n BA==</BA>')).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(parseClixml('<BA />')).toEqual(new Uint8Array(0));
    expect(serializeClixml(new Uint8Array(0))).toBe('<BA />');
    for (const bad of ['AQIDBA=', 'AQI*BA==', 'AQIDBA===', 'A', '====']) {
      const e = typedError(() => parseClixml(`<BA>${bad}</BA>`));
      expect(e.code).toBe('PSR_CLIXML_INVALID');
      expect(e.message).toContain('base64');
    }
  });

  test('URI, XmlDocument and ScriptBlock are _x-encoded text', () => {
    const sbk = new PSScriptBlock('param($a)\r\n"x_y" + $a');
    expect(serializeClixml(sbk)).toBe('<SBK>param($a)_x000D__x000A_"x_y" + $a</SBK>');
    expect(roundTrip(serializeClixml(sbk))).toEqual(sbk);
    const xd = new PSXmlDocument('<name attribute="value">Content</name>');
    expect(serializeClixml(xd)).toBe('<XD>&lt;name attribute="value"&gt;Content&lt;/name&gt;</XD>');
    expect(roundTrip(serializeClixml(xd))).toEqual(xd);
    expect(roundTrip('<URI>http://h/a%20b?q=1&amp;r=_x0041_</URI>')).toEqual(new PSUri('http://h/a%20b?q=1&r=A'));
  });

  test('2.2.5.1.22: the spec writes the document as raw markup inside <XD>, which is not CLIXML', () => {
    const e = typedError(() => parseClixml(specExample('2.2.5.1.22')));
    expect(e.code).toBe('PSR_CLIXML_INVALID');
    expect(e.message).toContain('<name> inside <XD>');
  });
});

describe('SecureString with the session key (the real key exchange of test_psrp_pshost_ui_mocked_methods.yml)', () => {
  const cipher = new SessionKeyCipher(new Uint8Array(Buffer.from(SESSION_KEY_VECTORS.aes_256_session_key_hex, 'hex')));

  test('every recorded SecureString decrypts to its plaintext and encrypts back to the same bytes', () => {
    expect(SESSION_KEY_VECTORS.securestrings.length).toBeGreaterThan(0);
    for (const ss of SESSION_KEY_VECTORS.securestrings) {
      const v = parseClixml(`<SS>${ss.ss_base64}</SS>`, { cipher }) as PSSecureString;
      expect(v.reveal()).toBe(ss.plaintext);
      expect(serializeClixml(v, { cipher })).toBe(`<SS>${ss.ss_base64}</SS>`);
    }
  });

  test('the plaintext never shows in JSON, inspect, String() or the plain view', () => {
    const v = PSSecureString.fromPlaintext('hunter2');
    expect(JSON.stringify({ v })).toBe('{"v":"[SecureString]"}');
    expect(inspect(v)).not.toContain('hunter2');
    expect(String(v)).toBe('[SecureString]');
  });

  test('writing a plaintext SecureString without a key is a typed error; a wrong key is too', () => {
    expect(typedError(() => serializeClixml(PSSecureString.fromPlaintext('x'))).code).toBe('PSR_PSRP_CRYPTO');
    const wrong = new SessionKeyCipher(new Uint8Array(32));
    const e = typedError(() => parseClixml(`<SS>${SESSION_KEY_VECTORS.securestrings[0]!.ss_base64}</SS>`, { cipher: wrong }));
    expect(e.code).toBe('PSR_PSRP_CRYPTO');
    expect(typedError(() => parseClixml('<SS>not base64!</SS>')).code).toBe('PSR_CLIXML_INVALID');
  });
});
