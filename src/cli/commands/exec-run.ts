// The body of `psremote exec`, apart from flag parsing so tests can drive it.

import { UsageError } from '../../errors.js';
import { openShell } from '../../winrm/winrs.js';
import { closeInBackground } from '../../winrm/exit.js';
import type { ConnectionOptions } from '../../winrm/target.js';
import type { CliIO } from '../io.js';

export interface ExecRunFlags {
  stdin?: boolean;
  cwd?: string;
  env?: string[];
  codepage?: string;
  /** commander's --no-profile gives profile: false */
  profile?: boolean;
}

function envOf(list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--env expects NAME=value, not "${item}"`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function write(stream: NodeJS.WritableStream, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(chunk)) resolve();
    else stream.once('drain', () => resolve());
  });
}

export async function runOnShell(options: ConnectionOptions, words: readonly string[], f: ExecRunFlags, io: CliIO): Promise<number> {
  const [command, ...args] = words;
  if (!command) throw new UsageError('no command given: psremote exec <host> -- <command> [args…]');
  const codepage = Number(f.codepage ?? 65001);
  if (!Number.isInteger(codepage) || codepage <= 0) throw new UsageError(`invalid --codepage ${f.codepage}`);
  const environment = envOf(f.env);
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  const shell = await openShell(options, {
    codepage,
    ...(f.cwd ? { workingDirectory: f.cwd } : {}),
    ...(environment ? { environment } : {}),
    ...(f.profile === false ? { noProfile: true } : {}),
  });
  try {
    const cmd = await shell.run(command, args, {
      signal: ac.signal,
      // A quiet retry must not look like a hang: say what is going on.
      onNetworkInterrupted: (e) => io.stderr.write(`psremote: ${e.message}; retrying for up to 4 minutes\n`),
      onNetworkResumed: () => io.stderr.write('psremote: the connection is back\n'),
      // Without --stdin the command's stdin is ended at once (ssh -n): one that reads it exits instead of hanging.
      ...(f.stdin ? { stdin: io.stdin as AsyncIterable<Buffer> } : { closeStdin: true }),
      lastCommand: true,
    });
    const pump = async (src: AsyncIterable<Buffer>, dst: NodeJS.WritableStream) => {
      for await (const c of src) await write(dst, c);
    };
    const [, , exitCode] = await Promise.all([pump(cmd.stdout, io.stdout), pump(cmd.stderr, io.stderr), cmd.exitCode]);
    // Windows exit codes are 32-bit; a process exit status is 8-bit, so 0 stays 0 and anything else stays non-zero.
    return exitCode === 0 ? 0 : (exitCode & 0xff) || 1;
  } finally {
    process.off('SIGINT', onSigint);
    // Off the critical path: the output and exit code are known; the process
    // does not exit before the Delete is answered (it holds the connection).
    closeInBackground(shell.close());
  }
}
