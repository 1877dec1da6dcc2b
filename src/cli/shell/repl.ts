// The read-eval-print loop of `psremote shell` (Enter-PSSession): prompt with
// the remote location, multi-line input until the remote parser is satisfied,
// each command run through the console formatter, Ctrl+C as a PSRP stop of the
// running pipeline, Ctrl+D or `exit` to leave.

import type { PSHost } from '../../session/host/host.js';
import { describeError, PipelineFailedError } from '../../session/powershell.js';
import type { PowerShellInvocation } from '../../session/powershell.js';
import type { RunspacePool } from '../../session/runspace-pool.js';
import { toDisplayString } from '../../clixml/display.js';
import type { PSValue } from '../../clixml/values.js';
import type { CliIO } from '../io.js';
import { printStreams } from '../print.js';
import { loadHistory, saveHistory } from './history.js';
import { complete, formatted, formatterOf, isIncomplete, location, readlineCompletion, renderingScript } from './remote.js';
import { Terminal } from './terminal.js';
import { LocalView } from '../format-view.js';
import { parseTransfer, runTransfer } from './transfer.js';
import { TerminalHost } from './terminal-host.js';
import { AbortError } from '../../errors.js';

export interface ShellOptions {
  /** Shown in the prompt: `[label]: PS C:\> `. */
  readonly label: string;
  readonly historyFile?: string | undefined;
  /** Colours allowed (a terminal, no NO_COLOR). */
  readonly colour: boolean;
  /** Leave the session disconnected on the server instead of closing it. */
  readonly disconnectOnExit: boolean;
  /** Printed after disconnecting (how to come back). */
  readonly disconnectedNote?: string | undefined;
}

const RED = (s: string, colour: boolean) => (colour ? `\x1b[31m${s}\x1b[0m` : s);

/** Runs the shell on the session `open` makes with the terminal's host; resolves to the exit code. */
export async function runShell(open: (host: PSHost) => Promise<RunspacePool>, io: CliIO, options: ShellOptions): Promise<number> {
  let pool: RunspacePool | undefined;
  let running: PowerShellInvocation | undefined;
  let stopping = false;
  const term = new Terminal(io, options.historyFile ? loadHistory(options.historyFile) : [], async (line) => {
    if (!pool || running) return [[], line];
    return readlineCompletion(line, await complete(pool, line));
  });
  if (options.historyFile) {
    const file = options.historyFile;
    term.onHistoryChange((h) => saveHistory(file, h));
  }
  const host = new TerminalHost(term, io.stderr);
  let copying: AbortController | undefined;
  term.onInterrupt(() => {
    if (copying) return copying.abort(new AbortError('interrupted'));
    if (!running) return term.cancelLine();
    if (term.reading) {
      // Ctrl+C at a Read-Host prompt stops the pipeline that asked, as in PowerShell.
      term.write('\n');
    }
    if (stopping) {
      io.stderr.write('\nthe pipeline is stopping; waiting for the server to confirm\n');
      return;
    }
    stopping = true;
    running.stop().catch(() => undefined);
  });

  try {
    pool = await open(host);
  } catch (e) {
    term.close();
    throw e;
  }
  try {
    await pool.invoke(renderingScript(options.colour)).result().catch(() => undefined);
    const formatter = await formatterOf(pool);
    for (;;) {
      const here = await location(pool);
      const first = await term.readLine(`[${options.label}]: PS ${here}> `, { remember: true });
      if (first === null) break;
      if (first.trim() === '') continue;
      if (/^\s*exit\s*$/i.test(first)) break;
      const transfer = parseTransfer(first);
      if (transfer) {
        if (transfer instanceof Error) io.stderr.write(`${transfer.message}\n`);
        else {
          copying = new AbortController();
          await runTransfer(pool, transfer, io, copying.signal).finally(() => (copying = undefined));
        }
        continue;
      }
      let input = first;
      let ended = false;
      while (await isIncomplete(pool, input)) {
        const more = await term.readLine('>> ', { remember: true });
        if (more === null) {
          ended = true;
          break;
        }
        // An empty line ends multi-line input; the parser then reports what is missing.
        if (more === '') break;
        input += `\n${more}`;
      }
      if (ended) break;
      const width = Math.max(20, term.columns - 1);
      const inv = pool.invoke(formatted(input, width, formatter), { host, addToHistory: true });
      // Objects that come back unformatted are laid out here (format-view.ts).
      const view = formatter === 'none' ? new LocalView(width) : undefined;
      running = inv;
      stopping = false;
      const streams = printStreams(inv, io);
      try {
        for await (const line of inv) {
          if (view) for (const l of view.push(line)) term.write(`${l}\n`);
          else term.write(`${toDisplayString(line)}\n`);
        }
        for (const l of view?.end() ?? []) term.write(`${l}\n`);
        await inv.result();
      } catch (e) {
        const message = e instanceof PipelineFailedError ? describeError(e.errorRecord) : ((e as Error)?.message ?? String(e));
        io.stderr.write(`${RED(message, options.colour)}\n`);
      } finally {
        await streams.catch(() => undefined);
        running = undefined;
        stopping = false;
      }
      if (host.shouldExit || term.closed) break;
    }
  } finally {
    term.close();
    if (options.disconnectOnExit) {
      await pool.disconnect();
      if (options.disconnectedNote) io.stdout.write(`${options.disconnectedNote}\n`);
    } else await pool.close().catch(() => undefined);
  }
  return 0;
}
