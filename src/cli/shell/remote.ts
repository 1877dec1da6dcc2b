// What the shell asks the remote runspace besides the user's commands: the
// current location for the prompt, whether a statement is complete (the remote
// parser decides, so the rules are those of the PowerShell version there), tab
// completion through TabExpansion2, and the wrapper that formats output the way
// PowerShell's console does, at the terminal's width.

import { toPlain } from '../../clixml/plain.js';
import type { RunspacePool } from '../../session/runspace-pool.js';

/** A PowerShell single-quoted literal; the typographic quotes also end one, so they are doubled too. */
export function quote(text: string): string {
  return `'${text.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
}

async function values(pool: RunspacePool, script: string): Promise<unknown[]> {
  const r = await pool.invoke(script).result();
  return r.output.map((v) => toPlain(v));
}

export async function location(pool: RunspacePool): Promise<string> {
  try {
    const [path] = await values(pool, '$executionContext.SessionState.Path.CurrentLocation.ProviderPath');
    return typeof path === 'string' ? path : '';
  } catch {
    return '';
  }
}

/** True when the remote parser says the input ends before the statement does (IncompleteInput). */
export async function isIncomplete(pool: RunspacePool, text: string): Promise<boolean> {
  const script = `$e = $null; $null = [System.Management.Automation.Language.Parser]::ParseInput(${quote(text)}, [ref]$null, [ref]$e); [bool]($e | Where-Object IncompleteInput)`;
  try {
    const [v] = await values(pool, script);
    return v === true;
  } catch {
    return false;
  }
}

export interface Completion {
  /** UTF-16 index and length of the text the matches replace (as JS strings count). */
  readonly replacementIndex: number;
  readonly replacementLength: number;
  readonly matches: readonly string[];
}

/** TabExpansion2 -inputScript -cursorColumn (the CommandCompletion object, flattened). */
export async function complete(pool: RunspacePool, line: string, cursor = line.length): Promise<Completion> {
  const script = `$c = TabExpansion2 -inputScript ${quote(line)} -cursorColumn ${cursor}; $c.ReplacementIndex; $c.ReplacementLength; foreach ($m in $c.CompletionMatches) { [string]$m.CompletionText }`;
  const [index, length, ...matches] = await values(pool, script);
  return {
    replacementIndex: typeof index === 'number' ? index : cursor,
    replacementLength: typeof length === 'number' ? length : 0,
    matches: matches.filter((m): m is string => typeof m === 'string'),
  };
}

/** readline's completer answer: the matches and the text they replace (which must end at the cursor). */
export function readlineCompletion(line: string, c: Completion): [string[], string] {
  const start = Math.max(0, Math.min(line.length, c.replacementIndex));
  const replaced = line.slice(start, start + c.replacementLength);
  // readline inserts a match's tail after `replaced`, so only matches that extend it can be used.
  const usable = c.matches.filter((m) => m.toLowerCase().startsWith(replaced.toLowerCase())).map((m) => replaced + m.slice(replaced.length));
  return [usable, replaced];
}

/**
 * The user's input as the console host runs it: in the global scope (dot-sourced,
 * so functions and variables stay), errors merged into the output and rendered
 * by the formatter (PowerShell's $ErrorView, concise by default, with the position),
 * everything through Out-String at the terminal's width.
 */
export function formatted(input: string, width: number, formatter: Formatter = 'width'): string {
  // A script block made from the text keeps the positions in errors those of what was typed.
  const run = `. { try { . ([scriptblock]::Create(${quote(input)})) } catch { $_ } } 2>&1`;
  if (formatter === 'none') return run;
  return `${run} | Out-String -Stream${formatter === 'width' ? ` -Width ${width}` : ''}`;
}

/** What the remote side can format with: Out-String -Width, Out-String only, or nothing (objects shown locally). */
export type Formatter = 'width' | 'stream' | 'none';

/** Hosts built on the PowerShell SDK may lack Microsoft.PowerShell.Utility's Out-String, or its -Width. */
export async function formatterOf(pool: RunspacePool): Promise<Formatter> {
  try {
    const [v] = await values(pool, `$c = Get-Command Out-String -ErrorAction Ignore; if (-not $c) { 'none' } elseif ($c.Parameters.ContainsKey('Width')) { 'width' } else { 'stream' }`);
    return v === 'width' || v === 'stream' ? v : 'none';
  } catch {
    return 'none';
  }
}

/** Colours only when asked for (a terminal without NO_COLOR); PowerShell before 7.2 has no $PSStyle. */
export function renderingScript(colour: boolean): string {
  return `if ($PSStyle) { $PSStyle.OutputRendering = '${colour ? 'Ansi' : 'PlainText'}' }`;
}
