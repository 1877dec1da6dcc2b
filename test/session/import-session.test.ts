// Import-PSSession / Export-PSSession without a live engine: names, types, the
// binding checks and the generated module. The command descriptions are real:
// fixtures/import/pwsh-7.6.9-discovery.json is what discoverCommands() read from
// pwsh 7.6.9 (GET_COMMAND_METADATA and the parameter-set script), and the
// replay case uses the GET_COMMAND_METADATA conversation pypsrp recorded against
// Windows 10.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bindParameters, ParameterBindingError } from '../../src/session/import/bind.js';
import { generateModule } from '../../src/session/import/codegen.js';
import type { ImportedCommand } from '../../src/session/import/discover.js';
import { discoverCommands, type Discovery } from '../../src/session/import/import-session.js';
import { functionName, functionNames, parameterName, prefixedCommandName } from '../../src/session/import/names.js';
import { typeScriptType } from '../../src/session/import/types.js';
import { recordingIds, startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import { recording } from '../helpers/recordings.js';
import { ROOT, tsc, typescriptProject } from '../helpers/typescript-project.js';

const discovery = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'import', 'pwsh-7.6.9-discovery.json'), 'utf8')) as Discovery;
const command = (name: string): ImportedCommand => discovery.commands.find((c) => c.name === name)!;

describe('names', () => {
  it.each([
    ['Get-ChildItem', undefined, 'getChildItem'],
    ['Get-ChildItem', 'Remote', 'getRemoteChildItem'],
    ['Get-ADUser', undefined, 'getAdUser'],
    ['ConvertTo-Json', undefined, 'convertToJson'],
    ['New-Guid', 'X', 'newXGuid'],
    ['Default', undefined, 'default_'],
    ['Function', undefined, 'function_'],
    ['7zip', undefined, '_7Zip'],
    ['Invoke-WebRequest2', undefined, 'invokeWebRequest2'],
    ['Ünïcode-Naïve', undefined, 'ünïcodeNaïve'],
  ])('%s (prefix %s) → %s', (name, prefix, expected) => {
    expect(functionName(name, prefix)).toBe(expected);
  });

  it('puts the prefix before the noun as Import-PSSession -Prefix does', () => {
    expect(prefixedCommandName('Get-Date', 'Srv')).toBe('Get-SrvDate');
    expect(prefixedCommandName('ipconfig', 'Srv')).toBe('Srvipconfig');
  });

  it('gives colliding names a suffix in list order', () => {
    expect([...functionNames(['Get-Item', 'Get_Item', 'get-item']).values()]).toEqual(['getItem', 'getItem_2', 'getItem_3']);
  });

  it('turns parameters into camelCase option names', () => {
    expect(['LiteralPath', 'Path', 'UFormat', 'AsUTC', 'OlderThan', 'Default'].map(parameterName)).toEqual(['literalPath', 'path', 'uFormat', 'asUtc', 'olderThan', 'default']);
  });
});

describe('types', () => {
  it.each([
    ['System.String', undefined, 'string'],
    ['System.String[]', undefined, 'string | readonly string[]'],
    ['System.Management.Automation.SwitchParameter', undefined, 'boolean'],
    ['System.Int64', undefined, 'number | bigint'],
    ['System.Nullable`1[System.DateTime]', undefined, 'Date | PSDateTime | null'],
    ['System.Int32[]', undefined, 'number | readonly number[]'],
    ['Microsoft.PowerShell.Commands.TestPathType', ['Any', 'Container', 'Leaf'], '"Any" | "Container" | "Leaf"'],
    ['System.Management.Automation.PSObject', undefined, 'PSInput'],
    ['System.Byte[]', undefined, 'Uint8Array'],
  ])('%s (enum %s) → %s', (dotnet, values, expected) => {
    expect(typeScriptType(dotnet, values)).toBe(expected);
  });

  it('reads the enums of real parameters from the discovery', () => {
    const pathType = command('Test-Path').parameters.find((p) => p.name === 'PathType')!;
    expect(pathType.enumValues).toEqual(['Any', 'Container', 'Leaf']);
  });
});

describe('binding checks before anything is sent', () => {
  const selectString = command('Select-String');

  it('refuses a missing mandatory parameter, naming it and its parameter set', () => {
    const e = (() => {
      try {
        bindParameters(selectString, { path: '/etc/hosts' }, false);
      } catch (err) {
        return err as ParameterBindingError;
      }
      throw new Error('no error');
    })();
    expect(e).toBeInstanceOf(ParameterBindingError);
    expect(e.code).toBe('PSR_PARAMETER_BINDING');
    expect(e.command).toBe('Select-String');
    expect(e.parameter).toBe('Pattern');
    expect(e.message).toMatch(/Select-String: the mandatory parameter Pattern \(pattern\) is missing \(parameter set File\)/);
  });

  it('counts pipeline input for the parameters that take it', () => {
    expect(() => bindParameters(selectString, { pattern: 'x' }, false)).toThrow(/InputObject|Path|LiteralPath/);
    expect(bindParameters(selectString, { pattern: 'x' }, true)).toEqual({ Pattern: 'x' });
  });

  it('maps option names, PowerShell names and aliases, and refuses what is not a parameter', () => {
    expect(bindParameters(selectString, { pattern: ['a', 'b'], LP: '/etc/hosts', caseSensitive: true }, false)).toEqual({ Pattern: ['a', 'b'], LiteralPath: '/etc/hosts', CaseSensitive: true });
    expect(() => bindParameters(selectString, { pattern: 'a', path: 'x', colour: 'red' }, false)).toThrow(/Select-String: it has no parameter 'colour'/);
    expect(() => bindParameters(selectString, { pattern: 'a', path: 'x', Path: 'y' }, false)).toThrow(/Path is given twice/);
    expect(() => bindParameters(selectString, { pattern: 'a', path: 'x', quiet: 'yes' }, false)).toThrow(/the switch Quiet takes true or false/);
  });

  it('refuses parameters of different parameter sets together', () => {
    expect(() => bindParameters(selectString, { pattern: 'a', path: 'x', literalPath: 'y' }, false)).toThrow(/Path, LiteralPath are not in one parameter set/);
    expect(() => bindParameters(command('Get-Date'), { unixTimeSeconds: 1, date: new Date() }, false)).toThrow(/not in one parameter set/);
  });

  it('leaves undefined options out and sends a false switch as -Switch:$false', () => {
    expect(bindParameters(command('Get-ChildItem'), { path: undefined, recurse: false }, false)).toEqual({ Recurse: false });
  });

  it('checks only the names when the endpoint would not describe its parameter sets', () => {
    const restricted: ImportedCommand = { ...selectString, parameterSets: null, parameters: selectString.parameters.map((p) => ({ ...p, sets: [] })) };
    expect(bindParameters(restricted, {}, false)).toEqual({});
    expect(() => bindParameters(restricted, { nope: 1 }, false)).toThrow(/no parameter 'nope'/);
  });
});

// tsc --strict over the generated module in a folder whose node_modules/psremote
// is this package (its dist, built by `npm test`), as a user's project would have it.
const work = mkdtempSync(join(tmpdir(), 'psremote-export-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const project = (name: string, files: Record<string, string>) => typescriptProject(join(work, name), files);

describe('the generated module', () => {
  const text = generateModule(discovery, { target: 'http://127.0.0.1:5985/wsman', configurationName: 'Microsoft.PowerShell', moduleName: 'Files', generatedAt: new Date('2026-12-01T00:00:00Z') });
  const use = `import * as remote from './remote/index.js';
import type { RunspacePool } from 'psremote';
export async function run(session: RunspacePool): Promise<number> {
  const items = await remote.getChildItem(session, { path: '/etc', name: true });
  const found = await remote.selectString(session, { pattern: 'x' }, { input: ['x', 'y'] });
  // A [PSObject] parameter is input: plain JavaScript binds (PSValue alone would refuse it).
  const plain = await remote.selectString(session, { pattern: 'x', inputObject: { line: 'x', at: new Date(0), n: 1n } });
  const when = await remote.getDate(session, { year: 2020 });
  const exists = await remote.testPath(session, { path: '/etc', pathType: 'Container' });
  let n = 0;
  for await (const o of items) if (typeof o === 'string') n++;
  return n + (await found.result()).output.length + (await plain.result()).output.length + (await when.result()).output.length + (await exists.result()).output.length;
}
`;

  it('names its source in the header and holds one function per command', () => {
    expect(text.split('\n').slice(0, 3).join('\n')).toBe(
      [
        '// Generated by `psremote export-session` as Files: 6 commands.',
        '// Host http://127.0.0.1:5985/wsman, configuration Microsoft.PowerShell,',
        '// PowerShell 7.6.9 (protocol 2.3), language mode FullLanguage; 2026-12-01T00:00:00.000Z.',
      ].join('\n'),
    );
    expect([...text.matchAll(/^export function (\w+)\(session: RunspacePool, parameters(\??):/gm)].map((m) => `${m[1]}${m[2]}`)).toEqual([
      'getChildItem?',
      'getItem?',
      'testPath?',
      'getDate?',
      'selectString',
      'getProcess?',
    ]);
  });

  it('compiles under tsc --strict with a caller, and a call without a mandatory parameter does not', () => {
    const ok = tsc(project('ok', { 'remote/index.ts': text, 'use.ts': use }));
    expect(ok.output).toBe('');
    expect(ok.status).toBe(0);
    const bad = tsc(
      project('bad', {
        'remote/index.ts': text,
        'use.ts': `import * as remote from './remote/index.js';\nimport type { RunspacePool } from 'psremote';\nexport const f = (s: RunspacePool) => [remote.selectString(s, { path: '/etc/hosts' }), remote.testPath(s, { path: '/', pathType: 'Folder' })];\n`,
      }),
    );
    expect(bad.status).not.toBe(0);
    expect(bad.output).toMatch(/Property 'pattern' is missing/);
    expect(bad.output).toMatch(/"Folder"/);
  }, 240_000);
});

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it('discovers from the recorded Windows GET_COMMAND_METADATA conversation and the module compiles', async () => {
  const rec = recording('test_psrp_get_command_metadata.yml');
  const ids = recordingIds(rec);
  server = await startReplayServer({ recording: rec, holdExhaustedReceiveMs: 100 });
  const pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId! });
  const found = await discoverCommands(pool, { commands: ['new-pssession*'], commandType: 511, metadataOnly: true, pipelineId: ids.pipelineIds[0]! });
  await pool.close();
  expect(found.commands.map((c) => c.name)).toEqual(['New-PSSession', 'New-PSSessionConfigurationFile', 'New-PSSessionOption']);
  expect(found.commands.every((c) => c.parameterSets === null)).toBe(true);
  expect(found.source.psVersion).toBe('5.1.17134.1');
  const text = generateModule(found, { target: server.url, configurationName: 'Microsoft.PowerShell' });
  expect(text).toContain('export function newPsSession(session: RunspacePool, parameters?: NewPsSessionParameters');
  expect(text).toMatch(/readonly computerName\?: string \| readonly string\[\];/);
  const r = tsc(project('replayed', { 'remote/index.ts': text }));
  expect(r.output).toBe('');
  expect(server.unmatched).toEqual([]);
}, 240_000);
