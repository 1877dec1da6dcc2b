// exec: command lines are split like shell words (no shell runs), and the
// target syntax picks OutOfProc for exec: and unix:.
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { parseOutOfProcTarget } from '../../../src/winrm/target.js';
import { spawnServer, splitCommandLine } from '../../../src/transport/outofproc/index.js';

describe('splitCommandLine', () => {
  test.each([
    ['pwsh -s -NoLogo', ['pwsh', '-s', '-NoLogo']],
    ['  dotnet   "/opt/my peer/PsrpPeer.dll"  --stdio ', ['dotnet', '/opt/my peer/PsrpPeer.dll', '--stdio']],
    ["peer --init 'Import-Module X; $a = \"b\"'", ['peer', '--init', 'Import-Module X; $a = "b"']],
    ['a\\ b "c\\"d" e""f', ['a b', 'c"d', 'ef']],
    ["''", ['']],
  ])('%s', (line, argv) => {
    expect(splitCommandLine(line)).toEqual(argv);
  });

  test.each(["'open", '"open', 'trailing\\'])('rejects %s', (line) => {
    expect(() => splitCommandLine(line)).toThrow(UsageError);
  });

  test('an empty command line is a usage error', () => {
    expect(() => spawnServer('   ')).toThrow(UsageError);
  });
});

describe('parseOutOfProcTarget', () => {
  test('exec: and unix: targets', () => {
    expect(parseOutOfProcTarget('exec:pwsh -s')).toEqual({ kind: 'exec', command: 'pwsh -s' });
    expect(parseOutOfProcTarget('EXEC: /x/peer ')).toEqual({ kind: 'exec', command: '/x/peer' });
    expect(parseOutOfProcTarget('unix:/tmp/psrp.sock')).toEqual({ kind: 'unix', path: '/tmp/psrp.sock' });
    expect(parseOutOfProcTarget('http://host:5985/wsman')).toBeUndefined();
    expect(parseOutOfProcTarget('host.example')).toBeUndefined();
    expect(() => parseOutOfProcTarget('exec:')).toThrow(/needs a command line/);
  });
});
