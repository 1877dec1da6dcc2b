// `psremote decode --clixml`: a single CLIXML value, and a `#< CLIXML` stderr
// document from powershell.exe (pypsrp fixture), as JSON Lines in the plain view.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { decodeText } from '../../src/cli/commands/decode.js';
import { PsRemoteError } from '../../src/errors.js';

const DATA = join(import.meta.dirname, '../../fixtures/upstream/jborean93-pypsrp/tests/tests_pypsrp/data');

function decode(text: string): unknown[] {
  const lines: string[] = [];
  decodeText(text, { clixml: true, source: 'test' }, (l) => lines.push(l));
  return lines.map((l) => JSON.parse(l) as unknown);
}

test('a single value is one line of plain data', () => {
  expect(decode('<Obj RefId="0"><MS><I64 N="Big">9007199254740993</I64><DT N="When">2018-06-13T23:46:28.00516+00:00</DT></MS></Obj>')).toEqual([
    { Big: '9007199254740993', When: '2018-06-13T23:46:28.00516+00:00' },
  ]);
});

test('a #< CLIXML stderr document is one line per item, with its stream', () => {
  const lines = decode(readFileSync(join(DATA, 'test_sanitise_clixml_with_error.xml'), 'utf8')) as { stream: string; data: unknown }[];
  expect(lines).toHaveLength(10);
  expect(lines[0]).toEqual({
    stream: 'progress',
    data: { SourceId: 1, Record: { Activity: 'Preparing modules for first use.', ActivityId: 0, CurrentOperation: null, ParentActivityId: -1, PercentComplete: -1, RecordType: 'Completed', SecondsRemaining: -1, StatusDescription: '\n            ' } },
  });
  expect(lines[2]).toEqual({ stream: 'Error', data: "fake : The term 'fake' is not recognized as the name of a cmdlet, function, script file, or operable program. Check \r\n" });
});

test('bad CLIXML is a typed error naming the source and offset', () => {
  let err: unknown;
  try {
    decode('<Obj RefId="0"><MS><I32 N="x">1.5</I32></MS></Obj>');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PsRemoteError);
  expect((err as Error).message).toBe('invalid CLIXML: invalid Int32 "1.5" in <I32 N="x"> (at test, offset 19)');
});
