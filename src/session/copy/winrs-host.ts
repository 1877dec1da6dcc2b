// The WinRS side of copyToHost / copyFromHost: a cmd shell for one transfer,
// the envelope the server allows, and the one command that runs the copy —
// `powershell` (Windows PowerShell 5.1) by default, `pwsh` tried once by
// itself when that is not found (cmd's 9009, sh's 127, or a skipped cmd
// shell's CreateProcess fault). Stdin first carries the script; the copy's own
// frames follow only once the script answered (its check of the target), so a
// missing PowerShell or a refused target costs no data.

import { AbortError } from '../../errors.js';
import { WSManFaultError } from '../../wsman/index.js';
import { openShell, stdinBytesPerSend, type OpenShellOptions, type WinRSCommand, type WinRSShell } from '../../winrm/winrs.js';
import { resolveTarget, type Target } from '../../winrm/target.js';
import { readEnvelopeSizeKb } from './envelope.js';
import { FileTransferError } from './errors.js';
import type { CopyOptions } from './options.js';
import { bootstrapCommand, scriptFrame } from './winrs-scripts.js';

/** copyToHost / copyFromHost options: the copy's, the shell's, and which PowerShell runs the copy. */
export interface HostCopyOptions extends CopyOptions, Omit<OpenShellOptions, 'signal'> {
  /** The PowerShell executable on the host (default 'powershell'); when it is not found, 'pwsh' is tried once. */
  readonly powershell?: string;
}

/** A shell for one transfer and the stdin bytes one Send carries on it. */
export async function withHostShell<T>(target: Target, options: HostCopyOptions, body: (shell: WinRSShell, sendSize: number) => Promise<T>): Promise<T> {
  const { client, owned } = resolveTarget(target, options);
  try {
    // The envelope the server allows (MaxEnvelopeSizekb, when this user may read it) makes Sends larger.
    if (owned && options.maxEnvelopeSize === undefined) {
      const kb = await readEnvelopeSizeKb(client, options.signal ? { signal: options.signal } : {});
      if (kb !== undefined) client.maxEnvelopeSize = kb * 1024;
    }
    const shell = await openShell(client, { ...options, skipCmdShell: options.skipCmdShell ?? true, ...(options.signal ? { signal: options.signal } : {}) });
    try {
      return await body(shell, stdinBytesPerSend(client.maxEnvelopeSize));
    } finally {
      await shell.close().catch(() => undefined);
    }
  } finally {
    if (owned) await client.close().catch(() => undefined);
  }
}

/** The copy's command: stdin holds back the frames until `go`, and stderr is kept (the first 64 KiB) for messages. */
export interface HostCommand {
  readonly cmd: WinRSCommand;
  readonly exe: string;
  go(): void;
  cancel(): void;
  stderr(): Promise<string>;
}

function startOne(shell: WinRSShell, exe: string, script: string, frames: () => AsyncIterable<Buffer>): Promise<HostCommand> {
  let open: ((go: boolean) => void) | undefined;
  const gate = new Promise<boolean>((r) => (open = r));
  async function* stdin(): AsyncGenerator<Buffer> {
    yield scriptFrame(script);
    if (!(await gate)) return;
    yield* frames();
  }
  return shell.run(bootstrapCommand(exe), [], { stdin: stdin(), skipCmdShell: true }).then((cmd) => {
    const err = (async () => {
      const parts: Buffer[] = [];
      let n = 0;
      // read as it comes (an unread ByteStream keeps everything), kept up to 64 KiB for messages
      for await (const c of cmd.stderr) {
        if (n >= 65_536) continue;
        parts.push(c);
        n += c.length;
      }
      return Buffer.concat(parts).toString('utf8');
    })().catch(() => '');
    void cmd.exitCode.finally(() => open?.(false)).catch(() => undefined);
    return { cmd, exe, go: () => open?.(true), cancel: () => open?.(false), stderr: () => err };
  });
}

const notFoundFault = (e: unknown): boolean =>
  e instanceof WSManFaultError && /cannot find the file|not recognized|0x80070002|2147942402/i.test(`${e.faultMessage} ${String((e as { wsmanCode?: unknown }).wsmanCode ?? '')}`);

const notFoundExit = (code: number, stderr: string): boolean =>
  code === 127 || code === 9009 || /is not recognized as|command not found|: not found|No such file or directory/i.test(stderr);

/** PowerShell's own error text, without its CLIXML wrapping when it chose that for stderr. */
export function stderrText(s: string): string {
  if (!s.startsWith('#< CLIXML')) return s.trim().slice(0, 500);
  const msgs = [...s.matchAll(/<S S="Error">([^<]*)<\/S>/g)].map((m) => m[1]!.replace(/_x000[AD]_/g, ' ').replace(/_x001B_\[[0-9;]*m/g, ''));
  return msgs.join('').replace(/\s+/g, ' ').trim().slice(0, 500);
}

/**
 * Starts the copy (falling back to pwsh once) and waits for its first answer,
 * read by `first` from stdout; undefined from `first` means stdout ended
 * without one. The answer then decides, and `go` lets the frames flow.
 */
export async function startCopy<A>(
  shell: WinRSShell,
  options: HostCopyOptions,
  where: string,
  script: string,
  frames: () => AsyncIterable<Buffer>,
  first: (cmd: WinRSCommand) => Promise<A | undefined>,
): Promise<{ host: HostCommand; answer: A }> {
  const wanted = options.powershell ?? 'powershell';
  const exes = wanted === 'pwsh' ? [wanted] : [wanted, 'pwsh'];
  const tried: string[] = [];
  for (const exe of exes) {
    if (options.signal?.aborted) throw new AbortError(`the copy of ${where} was aborted`, { cause: options.signal.reason });
    let host: HostCommand;
    try {
      host = await startOne(shell, exe, script, frames);
    } catch (e) {
      if (notFoundFault(e)) {
        tried.push(`${exe} (${(e as WSManFaultError).faultMessage})`);
        continue;
      }
      throw e;
    }
    let answer: A | undefined;
    try {
      answer = await first(host.cmd);
    } catch (e) {
      host.cancel();
      throw e;
    }
    if (answer !== undefined) return { host, answer };
    host.cancel();
    const code = await host.cmd.exitCode.catch(() => -1);
    const err = stderrText(await host.stderr());
    if (notFoundExit(code, err)) {
      tried.push(`${exe} (exit code ${code})`);
      continue;
    }
    throw new FileTransferError('Restricted', 'remote', where, `the copy script did not start with ${exe}: exit code ${code}${err ? `, ${err}` : ''}`);
  }
  throw new FileTransferError('Restricted', 'remote', where, `no PowerShell to run the copy: ${tried.join(', ')} not found`);
}
