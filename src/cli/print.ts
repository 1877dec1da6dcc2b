// How the CLI prints a running pipeline: output objects on stdout (a JSON line
// each with --json), the other streams on stderr with PowerShell's prefixes,
// progress as a line on a terminal. Shared by `invoke` and `session`. Remote
// text is shown with its control characters escaped (terminal-text.ts); --json is exact.

import { recordMessage } from '../clixml/display.js';
import type { PowerShellInvocation } from '../session/powershell.js';
import type { CliIO } from './io.js';
import { drawProgress } from './progress.js';
import { visibleText } from './terminal-text.js';
import { formatOutput, type OutputMode } from './output-format.js';

/** The non-output streams to stderr, each line after `prefix` (`[host] ` when fanning out). */
export async function printStreams(inv: PowerShellInvocation, io: CliIO, prefix = ''): Promise<void> {
  const pipe = async (stream: AsyncIterable<unknown>, label: string) => {
    for await (const r of stream) io.stderr.write(`${prefix}${label}${visibleText(recordMessage(r as never))}\n`);
  };
  await Promise.all([
    pipe(inv.streams.warning, 'WARNING: '),
    pipe(inv.streams.verbose, 'VERBOSE: '),
    pipe(inv.streams.debug, 'DEBUG: '),
    pipe(inv.streams.information, ''),
    pipe(inv.streams.error, 'ERROR: '),
    drawProgress(inv, io),
  ]);
}

/** Prints an invocation's output and streams; resolves to whether it wrote errors. */
export async function printInvocation(inv: PowerShellInvocation, io: CliIO, json: boolean | OutputMode): Promise<boolean> {
  const mode: OutputMode = json === true ? 'json' : json === false ? 'text' : json;
  const streams = printStreams(inv, io);
  try {
    for await (const o of inv) io.stdout.write(`${formatOutput(o, mode)}\n`);
  } finally {
    await streams;
  }
  return (await inv.result()).hadErrors;
}
