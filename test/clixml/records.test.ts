// Typed readers of the MS-PSRP 2.2.3 records, on real records from the pypsrp
// recordings and the ironPosh fixture; builders checked through the readers.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  PSDateTime,
  PSObject,
  makeErrorRecord,
  makeInformationRecord,
  makeInformationalRecord,
  makeProgressRecord,
  parseClixml,
  parseClixmlDocument,
  readErrorRecord,
  readInformationRecord,
  readInformationalRecord,
  readProgressRecord,
  serializeClixml,
} from '../../src/clixml/index.js';
import { FIXTURES, recordedClixml, specExample } from './helpers.js';

const recorded = (file: string, type: string): PSObject => {
  const r = recordedClixml().find((x) => x.file === file && x.type === type);
  if (r === undefined) throw new Error(`${file} has no ${type}`);
  return parseClixml(r.xml) as PSObject;
};

describe('ErrorRecord (2.2.3.15)', () => {
  test('Write-Error output with InvocationInfo (test_psrp_merge_commands.yml)', () => {
    const e = readErrorRecord(recorded('test_psrp_merge_commands.yml', 'ERROR_RECORD'))!;
    expect(e.message).toBe('error stream');
    expect(e.exceptionMessage).toBe('error stream');
    expect(e.exceptionTypeNames?.[0]).toBe('Microsoft.PowerShell.Commands.WriteErrorException');
    expect(e.fullyQualifiedErrorId).toBe('Microsoft.PowerShell.Commands.WriteErrorException');
    expect(e.category.name).toBe('NotSpecified');
    expect(e.targetObject).toBeNull();
  });

  test('the failure of a pipeline (PIPELINE_STATE ExceptionAsErrorRecord, test_client_execute_ps_failure.yml)', () => {
    const state = recorded('test_client_execute_ps_failure.yml', 'PIPELINE_STATE');
    const e = readErrorRecord(state.get('ExceptionAsErrorRecord') as PSObject)!;
    expect(e.fullyQualifiedErrorId).toBe('CommandNotFoundException,Microsoft.PowerShell.Commands.InvokeExpressionCommand');
    expect(e.category).toEqual({
      value: 13,
      name: 'ObjectNotFound',
      activity: 'Invoke-Expression',
      reason: 'CommandNotFoundException',
      targetName: 'Get-ServiceTypo',
      targetType: 'String',
      message: 'ObjectNotFound: (Get-ServiceTypo:String) [Invoke-Expression], CommandNotFoundException',
    });
    expect(e.message).toMatch(/^The term 'Get-ServiceTypo' is not recognized as the name of a cmdlet/);
    expect(readErrorRecord(state)).toBeUndefined();
  });

  test('a pretty-printed ErrorRecord (ironPosh fixture)', () => {
    const xml = readFileSync(join(FIXTURES, 'Devolutions-ironPosh/crates/ironposh-psrp/src/tests/resource/error_record.xml'), 'utf8');
    const e = readErrorRecord(parseClixml(xml))!;
    expect(e.exceptionTypeNames?.[0]).toBe('System.Management.Automation.CommandNotFoundException');
    expect(e.message).toMatch(/^The term 'ed' is not recognized/);
  });

  test('makeErrorRecord writes what readErrorRecord reads', () => {
    const v = parseClixml(serializeClixml(makeErrorRecord({ message: 'boom', category: 7, fullyQualifiedErrorId: 'X,Y', targetObject: 'it' })));
    expect(readErrorRecord(v)).toMatchObject({ message: 'boom', fullyQualifiedErrorId: 'X,Y', targetObject: 'it', category: { value: 7, name: 'InvalidOperation' } });
  });
});

describe('Warning, Verbose and Debug records (2.2.3.16)', () => {
  for (const [type, kind, message] of [
    ['WARNING_RECORD', 'Warning', 'warning stream'],
    ['VERBOSE_RECORD', 'Verbose', 'verbose stream'],
    ['DEBUG_RECORD', 'Debug', 'debug stream'],
  ] as const) {
    test(`${type} with invocation info (test_psrp_merge_commands.yml)`, () => {
      const r = readInformationalRecord(recorded('test_psrp_merge_commands.yml', type))!;
      expect(r.kind).toBe(kind);
      expect(r.message).toBe(message);
      expect(r.pipelineIterationInfo).toEqual([0, 0]);
      expect(r.invocationInfo).toMatchObject({ historyId: 1, pipelineLength: 1, pipelinePosition: 1, commandOrigin: 'Runspace', expectingInput: false });
    });
  }

  test('makeInformationalRecord', () => {
    const r = readInformationalRecord(parseClixml(serializeClixml(makeInformationalRecord('Verbose', 'hi'))));
    expect(r).toEqual({ kind: 'Verbose', message: 'hi', invocationInfo: undefined, pipelineIterationInfo: undefined });
  });
});

describe('InformationRecord (2.2.5.1.26)', () => {
  test('Write-Information output (test_psrp_merge_commands.yml)', () => {
    const r = readInformationRecord(recorded('test_psrp_merge_commands.yml', 'INFORMATION_RECORD'))!;
    expect(r).toMatchObject({ message: 'information stream', source: 'Write-Information', tags: [], user: 'WIN-NNMU24VVKJ0\\vagrant', computer: 'WIN-NNMU24VVKJ0', processId: 2636, nativeThreadId: 2840, managedThreadId: 7 });
    expect(r.timeGenerated).toEqual(PSDateTime.parse('2018-06-13T23:46:28.00516+00:00'));
  });

  test('makeInformationRecord', () => {
    const r = readInformationRecord(parseClixml(serializeClixml(makeInformationRecord({ messageData: 'x', source: 's', tags: ['a', 'b'] }))));
    expect(r).toMatchObject({ message: 'x', source: 's', tags: ['a', 'b'], processId: 0 });
  });
});

describe('ProgressRecord (2.2.5.1.25)', () => {
  const expected = { activity: 'Preparing modules for first use.', activityId: 0, statusDescription: ' ', currentOperation: null, parentActivityId: -1, percentComplete: -1, secondsRemaining: -1, recordType: 'Completed' };

  test('the PSRP form from a recording, the spec example, and the <PR> form read the same way', () => {
    expect(readProgressRecord(recorded('test_client_copy_expand_vars.yml', 'PROGRESS_RECORD'))).toEqual(expected);
    expect(readProgressRecord(parseClixml(specExample('2.2.5.1.25')))).toEqual({
      activity: 'Activity Name', activityId: 4, statusDescription: 'Good', currentOperation: 'Down loading', parentActivityId: -1, percentComplete: 20, secondsRemaining: 30, recordType: 'Processing',
    });
    const stderr = readFileSync(join(FIXTURES, 'jborean93-pypsrp/tests/tests_pypsrp/data/test_sanitise_clixml_with_no_errors.xml'), 'utf8').replace(/^#< CLIXML\r?\n/, '');
    const pr = (parseClixmlDocument(stderr).items[0]!.value as PSObject).get('Record');
    expect(readProgressRecord(pr as never)).toEqual({ ...expected, statusDescription: '\n            ' });
  });

  test('makeProgressRecord writes the PSRP form', () => {
    const v = parseClixml(serializeClixml(makeProgressRecord({ activity: 'a', percentComplete: 50, recordType: 'Completed' })));
    expect(readProgressRecord(v)).toEqual({ activity: 'a', activityId: 0, statusDescription: '', currentOperation: null, parentActivityId: -1, percentComplete: 50, secondsRemaining: -1, recordType: 'Completed' });
  });

  test('readers return undefined for other values', () => {
    for (const v of [null, 'x', 1, new PSObject()]) {
      expect([readErrorRecord(v), readInformationalRecord(v), readInformationRecord(v), readProgressRecord(v)]).toEqual([undefined, undefined, undefined, undefined]);
    }
  });
});
