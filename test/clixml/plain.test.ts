// The plain-JavaScript view (docs/clixml.md, "Plain view"): one assertion per
// row of the mapping table, then real output.

import { describe, expect, test } from 'vitest';
import {
  PSByte,
  PSChar,
  PSDateTime,
  PSDecimal,
  PSDouble,
  PSDuration,
  PSGuid,
  PSInt64,
  PSObject,
  PSProgressRecord,
  PSPropertySet,
  PSScriptBlock,
  PSSecureString,
  PSSingle,
  PSUInt64,
  PSUri,
  PSVersion,
  PSXmlDocument,
  parseClixml,
  toPlain,
} from '../../src/clixml/index.js';
import { recordedClixml } from './helpers.js';

describe('the mapping, row by row', () => {
  const rows: [string, unknown, unknown][] = [
    ['Nil', null, null],
    ['S', 'x', 'x'],
    ['B', true, true],
    ['I32', -5, -5],
    ['Char', new PSChar(97), 'a'],
    ['Byte and the other small integers', new PSByte(7), 7],
    ['Int64, safe', new PSInt64(2n ** 53n - 1n), 2 ** 53 - 1],
    ['Int64, beyond 2^53', new PSInt64(-(2n ** 63n)), '-9223372036854775808'],
    ['UInt64, beyond 2^53', new PSUInt64(2n ** 64n - 1n), '18446744073709551615'],
    ['Double', new PSDouble(1.5), 1.5],
    ['Double NaN', new PSDouble(NaN), 'NaN'],
    ['Double -Infinity', new PSDouble(-Infinity), '-Infinity'],
    ['Single', new PSSingle(0.5), 0.5],
    ['Decimal, up to 15 significant digits', new PSDecimal('-12.50'), -12.5],
    ['Decimal, more digits', new PSDecimal('79228162514264337593543950335'), '79228162514264337593543950335'],
    ['DateTime', PSDateTime.parse('2008-04-11T10:42:32.2731993-07:00'), '2008-04-11T10:42:32.2731993-07:00'],
    ['TimeSpan', new PSDuration(90_269_026n), 'PT9.0269026S'],
    ['byte[]', new Uint8Array([1, 2, 3, 4]), 'AQIDBA=='],
    ['Guid', new PSGuid('792E5B37-4505-47EF-B7D2-8711BB7AFFA8'), '792e5b37-4505-47ef-b7d2-8711bb7affa8'],
    ['Uri, Version, XmlDocument, ScriptBlock', [new PSUri('u'), new PSVersion('1.2'), new PSXmlDocument('<a/>'), new PSScriptBlock('gps')], ['u', '1.2', '<a/>', 'gps']],
    ['SecureString', PSSecureString.fromPlaintext('secret'), '[SecureString]'],
    ['list', PSObject.list([1, 'a']), [1, 'a']],
    ['dictionary with string and non-string keys', PSObject.dictionary([['a', 1], [2, 'b'], [new PSGuid('792e5b37-4505-47ef-b7d2-8711bb7affa8'), true]]), { a: 1, 2: 'b', '792e5b37-4505-47ef-b7d2-8711bb7affa8': true }],
    ['enum', PSObject.enum('System.ConsoleColor', 'Blue', 9), 9],
    ['extended primitive', new PSObject({ value: 'line', extended: { PSPath: 'p' } }), 'line'],
    ['object: adapted then extended, extended wins', new PSObject({ adapted: { A: 1, B: 2 }, extended: { B: 3, S: new PSPropertySet({ C: 4 }) } }), { A: 1, B: 3, S: { C: 4 } }],
    ['object without properties: its ToString', new PSObject({ toStringText: 'text' }), 'text'],
    ['object without anything', new PSObject(), {}],
    ['progress record', new PSProgressRecord({ activity: 'a' }), { Activity: 'a', ActivityId: 0, CurrentOperation: null, ParentActivityId: -1, PercentComplete: -1, RecordType: 'Processing', SecondsRemaining: -1, StatusDescription: '' }],
    ['a property named __proto__ stays data', PSObject.custom(JSON.parse('{"__proto__":1}') as Record<string, number>), JSON.parse('{"__proto__":1}')],
  ];
  for (const [name, value, plain] of rows) {
    test(name, () => {
      expect(toPlain(value)).toEqual(plain);
      // JSON.stringify uses the same view (toJSON), inside an object too (a bare Uint8Array has no toJSON).
      if (!(value instanceof Uint8Array)) expect(JSON.parse(JSON.stringify(value))).toEqual(plain);
      expect(JSON.parse(JSON.stringify(PSObject.custom({ v: value as never })))).toEqual({ v: plain });
    });
  }

  test('a cycle becomes null; the same object twice is expanded twice', () => {
    const shared = PSObject.custom({ n: 1 });
    const o = PSObject.custom({ a: shared, b: shared });
    o.setProperty('self', o);
    expect(toPlain(o)).toEqual({ a: { n: 1 }, b: { n: 1 }, self: null });
  });

  test('nesting beyond maxDepth becomes the ToString text', () => {
    let v = new PSObject({ toStringText: 'deep', extended: { x: 1 } });
    for (let i = 0; i < 5; i++) v = PSObject.custom({ v });
    expect(JSON.stringify(toPlain(v, { maxDepth: 3 }))).toBe('{"v":{"v":{"v":null}}}');
    expect(JSON.stringify(toPlain(v, { maxDepth: 5 }))).toBe('{"v":{"v":{"v":{"v":{"v":"deep"}}}}}');
  });
});

describe('real output', () => {
  test('RUNSPACEPOOL_STATE and APPLICATION_PRIVATE_DATA (test_psrp_open_runspace.yml)', () => {
    const byType = (t: string) => parseClixml(recordedClixml().find((r) => r.file === 'test_psrp_open_runspace.yml' && r.type === t)!.xml);
    expect(toPlain(byType('RUNSPACEPOOL_STATE'))).toEqual({ RunspaceState: 2 });
    const apd = toPlain(byType('APPLICATION_PRIVATE_DATA')) as { ApplicationPrivateData: { PSVersionTable: Record<string, unknown> } };
    expect(apd.ApplicationPrivateData.PSVersionTable).toMatchObject({ PSRemotingProtocolVersion: '2.3', SerializationVersion: '1.1.0.1' });
  });

  test('every recorded message has a JSON-able plain view', () => {
    for (const r of recordedClixml()) expect(() => JSON.stringify(toPlain(parseClixml(r.xml)))).not.toThrow();
  });
});
