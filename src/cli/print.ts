// How the CLI prints a running pipeline: output objects on stdout (a JSON line
// each with --json), the other streams on stderr with PowerShell's prefixes,
// progress as a line on a terminal. Shared by `invoke` and `session`. Remote
// text is shown with its control characters escaped (terminal-text.ts); --json is exact.

import { recordMessage } from '../clixml/display.js';
import type { PSValue } from '../clixml/values.js';
import type { PowerShellInvocation } from '../session/powershell.js';
import type { CliIO } from './io.js';
import { drawProgress } from './progress.js';
import { visibleText } from './terminal-text.js';
import { formatOutput, type OutputMode } from './output-format.js';
import { colourWanted, paint, type Style } from './colour.js';
import { errorView } from './error-view.js';
import { localOutputView, type OutputView } from './invoke-view.js';

/**
 * The non-output streams to stderr, each line after `prefix` (`[host] ` when fanning out):
 * errors one line each (error-view.ts; `debug` adds position and stack), colours on a terminal (colour.ts).
 */
export async function printStreams(inv: PowerShellInvocation, io: CliIO, prefix = '', options: { debug?: boolean | undefined } = {}): Promise<void> {
  const colour = colourWanted(io.stderr);
  const pipe = async (stream: AsyncIterable<unknown>, label: string, style?: Style) => {
    for await (const r of stream) io.stderr.write(`${prefix}${paint(`${label}${visibleText(recordMessage(r as never))}`, style ?? 'verbose', style !== undefined && colour)}\n`);
  };
  const errors = async () => {
    for await (const r of inv.streams.error) {
      const v = errorView(r as PSValue);
      const detail = options.debug ? v.detail.map((l) => `\n${prefix}${l}`).join('') : '';
      io.stderr.write(`${prefix}${paint(`ERROR: ${v.line}`, 'error', colour)}${detail}\n`);
    }
  };
  await Promise.all([
    pipe(inv.streams.warning, 'WARNING: ', 'warning'),
    pipe(inv.streams.verbose, 'VERBOSE: ', 'verbose'),
    pipe(inv.streams.debug, 'DEBUG: ', 'debug'),
    pipe(inv.streams.information, ''),
    errors(),
    drawProgress(inv, io),
  ]);
}

/** Prints an invocation's output and streams; resolves to whether it wrote errors. */
export async function printInvocation(inv: PowerShellInvocation, io: CliIO, json: boolean | OutputMode | OutputView): Promise<boolean> {
  const mode: OutputMode = json === true ? 'json' : json === false ? 'text' : typeof json === 'string' ? json : 'text';
  // Text without a view of the caller's (session receive/connect: output that was not formatted remotely): the local default view.
  const view = typeof json === 'object' ? json : mode === 'text' ? localOutputView(io) : undefined;
  const streams = printStreams(inv, io);
  try {
    for await (const o of inv) {
      if (view) view.write(o as PSValue);
      else io.stdout.write(`${formatOutput(o, mode)}\n`);
    }
    view?.end();
  } finally {
    await streams;
  }
  return (await inv.result()).hadErrors;
}
