// `upload LOCAL REMOTE` and `download REMOTE LOCAL` typed at the shell's
// prompt (as evil-winrm offers them): Copy-Item -ToSession / -FromSession in
// the shell's own session (session/copy/), with the progress bar of
// `psremote upload` on stderr and one summary line. `-r` copies folders,
// `--force` replaces existing files; paths with spaces are quoted ('…' or "…").
// A relative local path is from psremote's working folder; a relative remote
// path from the session's current location (what `cd` set), resolved there.
// Ctrl+C aborts the copy (no partial file under the final name) and keeps the shell.

import { resolve } from 'node:path';
import { copyFromSession, copyToSession, type CopyResult } from '../../session/copy/index.js';
import type { RunspacePool } from '../../session/runspace-pool.js';
import { progressBar } from '../commands/copy.js';
import type { CliIO } from '../io.js';
import { visibleText } from '../terminal-text.js';
import { UsageError } from '../../errors.js';

export interface Transfer {
  readonly verb: 'upload' | 'download';
  readonly from: string;
  readonly to: string;
  readonly recursive: boolean;
  readonly force: boolean;
}

/** Words of a line, '…' and "…" quoting kept together. */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** The transfer a prompt line asks for; undefined when the line is not one; an Error with the usage when it is malformed. */
export function parseTransfer(line: string): Transfer | Error | undefined {
  const m = /^\s*(upload|download)(\s|$)/i.exec(line);
  if (!m) return undefined;
  const verb = m[1]!.toLowerCase() as Transfer['verb'];
  const args = words(line.slice(m[0].length));
  const flags = new Set(args.filter((a) => a.startsWith('-')));
  const paths = args.filter((a) => !a.startsWith('-'));
  const unknown = [...flags].filter((f) => f !== '-r' && f !== '--recursive' && f !== '--force');
  const usage = verb === 'upload' ? 'upload [-r] [--force] LOCAL REMOTE' : 'download [-r] [--force] REMOTE LOCAL';
  if (unknown.length) return new UsageError(`${verb}: unknown flag ${unknown[0]} (${usage})`);
  if (paths.length !== 2) return new UsageError(`${verb}: give two paths (${usage})`);
  return { verb, from: paths[0]!, to: paths[1]!, recursive: flags.has('-r') || flags.has('--recursive'), force: flags.has('--force') };
}

/** Runs the copy; resolves to whether it succeeded (failures are printed, the shell goes on). */
export async function runTransfer(pool: RunspacePool, t: Transfer, io: CliIO, signal: AbortSignal): Promise<boolean> {
  const bar = progressBar(io.stderr, t.verb === 'upload' ? 'uploading' : 'downloading');
  const options = { overwrite: t.force, recursive: t.recursive, signal, onProgress: bar.update };
  let result: CopyResult;
  try {
    result = t.verb === 'upload' ? await copyToSession(pool, resolve(t.from), t.to, options) : await copyFromSession(pool, t.from, resolve(t.to), options);
  } catch (e) {
    bar.end();
    const code = (e as { code?: string }).code;
    io.stderr.write(`${t.verb}: ${visibleText(String((e as Error)?.message ?? e))}${code ? ` (${code})` : ''}\n`);
    return false;
  }
  bar.end();
  for (const s of result.skipped) io.stderr.write(`skipped ${visibleText(s.path)}: ${s.reason}\n`);
  const verified = result.files.filter((f) => f.verified).length;
  io.stderr.write(`${t.verb === 'upload' ? 'uploaded' : 'downloaded'} ${result.files.length} file${result.files.length === 1 ? '' : 's'}, ${result.bytes} bytes in ${result.seconds.toFixed(2)} s, ${verified} SHA-256 hashes verified\n`);
  return true;
}
