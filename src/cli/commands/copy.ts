// `psremote upload TARGET LOCAL... REMOTE` and `psremote download TARGET
// REMOTE... LOCAL` (or `--session NAME` instead of TARGET): Copy-Item
// -ToSession / -FromSession from a shell; `--via winrs` copies over one WinRS
// command per source instead (copyToHost / copyFromHost: no PowerShell session). A progress bar on a terminal, then
// one summary line on stderr; `--json` prints one result object per file on
// stdout. Exit code 1 when anything failed.

import type { Command } from 'commander';
import { AbortError, UsageError } from '../../errors.js';
import { connectSession, openSession } from '../../session/open.js';
import { parseOutOfProcTarget } from '../../winrm/target.js';
import { FileSessionStore } from '../../session/store.js';
import type { RunspacePool } from '../../session/runspace-pool.js';
import { copyFromHost, copyFromSession, copyToHost, copyToSession, readEnvelopeSizeKb, type CopyOptions, type CopyProgress, type CopyResult } from '../../session/copy/index.js';
import type { ConnectionOptions } from '../../winrm/target.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import type { CliIO } from '../io.js';

interface CopyFlags extends ConnectionFlags {
  session?: string;
  recursive?: boolean;
  force?: boolean;
  parents?: boolean;
  followSymlinks?: boolean;
  preserveTimes: boolean;
  parallel?: string;
  chunkSize?: string;
  json?: boolean;
  via: string;
  powershell?: string;
}

const MB = 1_000_000;
/** PSRP bytes per fragment for copies over OutOfProc targets: what a 500 KB WSMan envelope carries. */
const OUT_OF_PROC_PAYLOAD = 382_638;

/** The progress bar: one line on stderr redrawn in place, only on a terminal. */
export function progressBar(stream: NodeJS.WritableStream, verb: string): { update(p: CopyProgress): void; end(): void } {
  const tty = stream as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  if (!tty.isTTY) return { update: () => undefined, end: () => undefined };
  let shown = false;
  return {
    update(p) {
      const width = Math.max(40, (tty.columns ?? 80) - 1);
      const pct = p.bytesTotal ? Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 100)) : undefined;
      const bar = pct === undefined ? '' : ` [${'#'.repeat(Math.round(pct / 5))}${'.'.repeat(20 - Math.round(pct / 5))}] ${pct}%`;
      const files = p.filesTotal ? ` ${p.filesDone}/${p.filesTotal} files` : '';
      const eta = p.etaSeconds !== undefined ? ` ${Math.ceil(p.etaSeconds)}s left` : '';
      const head = `${verb} ${(p.bytesDone / MB).toFixed(1)}${p.bytesTotal !== undefined ? `/${(p.bytesTotal / MB).toFixed(1)}` : ''} MB${files} ${(p.rate / MB).toFixed(1)} MB/s${eta}`;
      stream.write(`\r\x1b[2K${(head + bar).slice(0, width)}`);
      shown = true;
    },
    end() {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

async function withPool<T>(target: string | undefined, f: CopyFlags, io: CliIO, body: (pool: RunspacePool) => Promise<T>): Promise<T> {
  if (f.session) {
    const h = new FileSessionStore().named(f.session);
    const pool = await connectSession(await connectionOptions(h.endpoint, f, io), h.shellId, { runspacePoolId: h.runspacePoolId, configurationName: h.configurationName });
    try {
      return await body(pool);
    } finally {
      await pool.disconnect().catch(() => undefined);
    }
  }
  if (!target) throw new UsageError('no target given (or --session NAME)');
  const conn = await connectionOptions(target, f, io);
  const kb = await readEnvelopeSizeKb(conn);
  // OutOfProc (ssh:, exec:, unix:) has no envelope; its 32 KiB default fragments make small
  // chunks, and each chunk costs the engine about 10 ms (BENCHMARKS.md): send what a 500 KB envelope carries.
  const oop = parseOutOfProcTarget(target) ? { payloadBudget: OUT_OF_PROC_PAYLOAD } : {};
  const pool = await openSession(conn, { maxRunspaces: Math.max(2, Number(f.parallel ?? 2) || 2), ...oop, ...(kb !== undefined ? { envelopeSize: { serverConfigKb: kb } } : {}) });
  try {
    return await body(pool);
  } finally {
    await pool.close().catch(() => undefined);
  }
}

function copyOptions(f: CopyFlags, io: CliIO, verb: string, ac: AbortController): { options: CopyOptions; bar: ReturnType<typeof progressBar> } {
  const bar = progressBar(io.stderr, verb);
  const num = (v: string | undefined, what: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer, not ${v}`);
    return n;
  };
  const parallel = num(f.parallel, '--parallel');
  const chunkSize = num(f.chunkSize, '--chunk-size');
  return {
    bar,
    options: {
      overwrite: f.force === true,
      recursive: f.recursive === true,
      createParents: f.parents === true,
      followSymlinks: f.followSymlinks === true,
      preserveTimes: f.preserveTimes,
      signal: ac.signal,
      onProgress: (p) => bar.update(p),
      ...(parallel !== undefined ? { parallel } : {}),
      ...(chunkSize !== undefined ? { chunkSize } : {}),
    },
  };
}

function report(results: readonly CopyResult[], seconds: number, f: CopyFlags, io: CliIO): void {
  const files = results.flatMap((r) => r.files);
  if (f.json) for (const file of files) io.stdout.write(`${JSON.stringify(file)}\n`);
  for (const s of results.flatMap((r) => r.skipped)) io.stderr.write(`skipped ${s.path}: ${s.reason}\n`);
  const bytes = files.reduce((n, x) => n + x.bytes, 0);
  const rate = seconds > 0 ? bytes / MB / seconds : 0;
  io.stderr.write(`${files.length} files, ${bytes} bytes in ${seconds.toFixed(2)} s (${rate.toFixed(1)} MB/s), ${files.filter((x) => x.verified).length} SHA-256 hashes verified\n`);
}

/** The connection of a `--via winrs` copy; refused where WinRS cannot go. */
async function winrsTarget(target: string | undefined, f: CopyFlags, io: CliIO): Promise<ConnectionOptions> {
  if (f.session) throw new UsageError('--via winrs copies over a cmd shell of its own: it does not take --session');
  if (!target) throw new UsageError('no target given');
  if (parseOutOfProcTarget(target)) throw new UsageError(`--via winrs needs a WinRM target; ${target.split(':')[0]}: targets have no WinRS`);
  return connectionOptions(target, f, io);
}

type Body = (pool: RunspacePool, options: CopyOptions) => Promise<CopyResult>[] | AsyncGenerator<CopyResult>;
type WinrsBody = (conn: ConnectionOptions, options: CopyOptions & { powershell?: string }) => AsyncGenerator<CopyResult>;

/** Runs the copies one source at a time; Ctrl+C aborts cleanly (no partial file under the final name). */
async function run(verb: string, f: CopyFlags, io: CliIO, target: string | undefined, each: Body, winrs: WinrsBody): Promise<void> {
  if (f.via !== 'psrp' && f.via !== 'winrs') throw new UsageError(`--via is psrp or winrs, not ${f.via}`);
  if (f.powershell !== undefined && f.via !== 'winrs') throw new UsageError('--powershell goes with --via winrs');
  const conn = f.via === 'winrs' ? await winrsTarget(target, f, io) : undefined;
  const ac = new AbortController();
  const onSigint = () => ac.abort(new AbortError('interrupted'));
  process.once('SIGINT', onSigint);
  const { options, bar } = copyOptions(f, io, verb, ac);
  const started = Date.now();
  const results: CopyResult[] = [];
  try {
    if (conn) for await (const r of winrs(conn, { ...options, ...(f.powershell ? { powershell: f.powershell } : {}) })) results.push(r);
    else {
      await withPool(target, f, io, async (pool) => {
        for await (const r of each(pool, options)) results.push(r);
      });
    }
  } finally {
    bar.end();
    process.removeListener('SIGINT', onSigint);
    report(results, (Date.now() - started) / 1000, f, io);
  }
}

function split(paths: readonly string[], f: CopyFlags, what: string): { target: string | undefined; sources: string[]; dest: string } {
  const rest = [...paths];
  const target = f.session ? undefined : rest.shift();
  if (rest.length < 2) throw new UsageError(`${what}: give ${f.session ? '' : 'TARGET, '}at least one source and the destination`);
  const dest = rest.pop()!;
  return { target, sources: rest, dest };
}

function define(program: Command, name: string, description: string, args: string): Command {
  const cmd = program
    .command(name)
    .description(description)
    .argument('<paths...>', args)
    .option('--session <name>', 'copy inside a named session (psremote session new) instead of a new one; then no TARGET')
    .option('-r, --recursive', 'copy folders with everything in them')
    .option('--force', 'replace existing files')
    .option('-p, --parents', 'create missing parent folders of the destination')
    .option('--follow-symlinks', 'copy what symlinks point to (default: report and skip them)')
    .option('--no-preserve-times', 'do not keep modification times')
    .option('--parallel <n>', 'pipelines at once: files of a folder, or ranges of one large file (default 2)')
    .option('--chunk-size <bytes>', 'raw bytes per chunk (default: what fills the negotiated envelope)')
    .option('--json', 'print one JSON result object per file on stdout')
    .option('--via <psrp|winrs>', 'psrp: a PowerShell session (default); winrs: one WinRS command per source, the bytes raw on its stdin/stdout (faster; needs the cmd shell permission and bypasses a JEA endpoint\'s configuration)', 'psrp')
    .option('--powershell <exe>', 'with --via winrs: the PowerShell the host runs for the copy (default powershell, then pwsh when that is not found)');
  return addConnectionFlags(cmd);
}

export function register(program: Command, io: CliIO): void {
  define(program, 'upload', 'copy local files or folders into a PowerShell session (Copy-Item -ToSession)', 'TARGET LOCAL... REMOTE').action(async (paths: string[], f: CopyFlags) => {
    const { target, sources, dest } = split(paths, f, 'upload');
    await run(
      'upload',
      f,
      io,
      target,
      async function* (pool, options) {
        for (const s of sources) yield await copyToSession(pool, s, dest, options);
      },
      async function* (conn, options) {
        for (const s of sources) yield await copyToHost(conn, s, dest, options);
      },
    );
  });
  define(program, 'download', 'copy remote files or folders out of a PowerShell session (Copy-Item -FromSession)', 'TARGET REMOTE... LOCAL').action(async (paths: string[], f: CopyFlags) => {
    const { target, sources, dest } = split(paths, f, 'download');
    await run(
      'download',
      f,
      io,
      target,
      async function* (pool, options) {
        yield await copyFromSession(pool, sources, dest, options);
      },
      async function* (conn, options) {
        yield await copyFromHost(conn, sources, dest, options);
      },
    );
  });
}
