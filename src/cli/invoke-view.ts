// How `invoke` prints output objects in each mode (docs/cli.md, "Output of
// invoke"): the default view asks the remote side whether it can format
// (Out-String, with -Width) and then either runs the script through the
// formatting wrapper (format-view.ts) or formats the objects here; --json and
// --clixml run the script as given and print each object.

import type { PSValue } from '../clixml/values.js';
import type { RunspacePool } from '../session/runspace-pool.js';
import type { CliIO } from './io.js';
import { formatOutput, type OutputMode } from './output-format.js';
import { formattedScript, LocalView, outputWidth } from './format-view.js';
import { formatterOf } from './shell/remote.js';
import { visibleText } from './terminal-text.js';

export interface OutputView {
  /** What to invoke for the user's script. */
  readonly script: string;
  /** Prints one output object. */
  write(o: PSValue): void;
  /** Prints what is held (the rest of a table). */
  end(): void;
}

/** The view for `script` on `pool`; `json` writes each object itself (fan-out adds the host). */
export async function outputView(pool: RunspacePool, script: string, mode: OutputMode, io: CliIO, prefix = '', json?: (o: PSValue) => string): Promise<OutputView> {
  const line = (s: string) => io.stdout.write(`${prefix}${s}\n`);
  if (mode !== 'text') return { script, write: (o) => line(json && mode === 'json' ? json(o) : formatOutput(o, mode)), end: () => undefined };
  const width = outputWidth(io.stdout);
  const formatter = await formatterOf(pool);
  if (formatter !== 'none') {
    const wrapped = formatter === 'width' ? formattedScript(script, width) : formattedScript(script, width).replace(/ -Width \d+$/, '');
    return { script: wrapped, write: (o) => line(formatOutput(o, 'text')), end: () => undefined };
  }
  return { ...localOutputView(io, prefix, width), script };
}

/** Objects laid out here (format-view.ts), each line after `prefix`. */
export function localOutputView(io: CliIO, prefix = '', width = outputWidth(io.stdout)): OutputView {
  const view = new LocalView(width);
  const print = (lines: string[]) => {
    for (const l of lines) io.stdout.write(`${prefix}${visibleText(l)}\n`);
  };
  return { script: '', write: (o) => print(view.push(o)), end: () => print(view.end()) };
}
