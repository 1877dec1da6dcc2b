// The pure parts of `psremote shell`: PowerShell quoting of typed text, the
// mapping of TabExpansion2's CommandCompletion onto readline, choice labels,
// history file names, the prompt's host label and when colours are used.
import { describe, expect, it } from 'vitest';
import { colourWanted, promptLabel } from '../../src/cli/commands/shell.js';
import { historyPath } from '../../src/cli/shell/history.js';
import { formatted, quote, readlineCompletion } from '../../src/cli/shell/remote.js';
import { choiceLabel } from '../../src/cli/shell/terminal-host.js';

describe('quote', () => {
  it('doubles ASCII and typographic single quotes, which all end a PowerShell literal', () => {
    expect(quote("it's")).toBe("'it''s'");
    expect(quote('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(quote('$x `n "y"')).toBe("'$x `n \"y\"'");
  });
  it('formats with what the remote side has', () => {
    expect(formatted('1', 80, 'stream')).toBe(". { try { . ([scriptblock]::Create('1')) } catch { $_ } } 2>&1 | Out-String -Stream");
    expect(formatted('1', 80, 'none')).toBe(". { try { . ([scriptblock]::Create('1')) } catch { $_ } } 2>&1");
  });
  it('keeps typed text out of the wrapper script', () => {
    expect(formatted("'; Remove-Item x; '", 80)).toBe(". { try { . ([scriptblock]::Create('''; Remove-Item x; ''')) } catch { $_ } } 2>&1 | Out-String -Stream -Width 80");
  });
});

describe('readlineCompletion', () => {
  it('replaces the text TabExpansion2 names (UTF-16 index and length)', () => {
    expect(readlineCompletion('Get-ChildI', { replacementIndex: 0, replacementLength: 10, matches: ['Get-ChildItem'] })).toEqual([['Get-ChildItem'], 'Get-ChildI']);
    expect(readlineCompletion('ls -Rec', { replacementIndex: 3, replacementLength: 4, matches: ['-Recurse'] })).toEqual([['-Recurse'], '-Rec']);
  });
  it('counts indices in UTF-16 code units as PowerShell does', () => {
    // "😀" is two UTF-16 units: the replaced text starts at 5 (4 in code points).
    expect(readlineCompletion('"😀" $fo', { replacementIndex: 5, replacementLength: 3, matches: ['$foo'] })).toEqual([['$foo'], '$fo']);
  });
  it('keeps what was typed when the case differs, and drops matches that do not extend it', () => {
    expect(readlineCompletion('get-childi', { replacementIndex: 0, replacementLength: 10, matches: ['Get-ChildItem', 'Other'] })).toEqual([['get-childitem'], 'get-childi']);
  });
  it('gives nothing for no matches', () => {
    expect(readlineCompletion('zzz', { replacementIndex: 0, replacementLength: 3, matches: [] })).toEqual([[], 'zzz']);
  });
});

describe('choiceLabel', () => {
  it('reads the & hot key', () => {
    expect(choiceLabel('&Yes')).toEqual({ hotkey: 'Y', label: 'Yes' });
    expect(choiceLabel('Yes to &All')).toEqual({ hotkey: 'A', label: 'Yes to All' });
    expect(choiceLabel('None')).toEqual({ hotkey: 'N', label: 'None' });
  });
});

describe('historyPath', () => {
  it('is one file per host and user under the config directory', () => {
    expect(historyPath('https://srv1:5986/wsman', 'CORP\\ann', { PSREMOTE_HOME: '/h' })).toBe('/h/history/srv1_5986_wsman@CORP_ann');
    expect(historyPath('srv1', undefined, { XDG_CONFIG_HOME: '/x' })).toBe('/x/psremote/history/srv1@default');
  });
  it('cannot escape the directory', () => {
    expect(historyPath('../../etc/passwd', '..', { PSREMOTE_HOME: '/h' })).toBe('/h/history/.._.._etc_passwd@..');
  });
});

describe('promptLabel', () => {
  it('shows the computer name as Enter-PSSession does', () => {
    expect(promptLabel('http://127.0.0.1:5985/wsman')).toBe('127.0.0.1');
    expect(promptLabel('https://[::1]:5986/wsman')).toBe('::1');
    expect(promptLabel('server1:5985')).toBe('server1');
    expect(promptLabel('ssh://ann@box:2222')).toBe('box');
    expect(promptLabel('exec:pwsh -s')).toBe('localhost');
  });
});

describe('colourWanted', () => {
  const tty = { isTTY: true } as unknown as NodeJS.WritableStream;
  it('only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(colourWanted(tty, {})).toBe(true);
    expect(colourWanted(tty, { NO_COLOR: '' })).toBe(false);
    expect(colourWanted(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted({} as NodeJS.WritableStream, {})).toBe(false);
  });
});
