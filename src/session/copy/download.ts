// copyFromSession (Copy-Item -FromSession): remote files out of a PowerShell
// session. One pipeline streams everything as output objects of at most about
// one chunk each; its input is credits (how many more objects the server may
// write), sent as the client consumes, so output never piles up on either side
// however large the file. Each file lands under a temporary name and is linked
// into place only once its SHA-256 matches the server's.

import { createHash, type Hash } from 'node:crypto';
import { mkdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { AbortError, UsageError } from '../../errors.js';
import type { RunspacePool } from '../runspace-pool.js';
import { toPlain } from '../../clixml/plain.js';
import { FileTransferError, localFailure } from './errors.js';
import { LocalFileWriter } from './local.js';
import { ABORT_GRACE_MS, chunkSizeFor, msFromTicks, relFromB64, type CopiedFile, type CopyDestination, type CopyOptions, type CopyResult } from './options.js';
import { prepare, remoteFailure } from './prepare.js';
import { ProgressMeter } from './progress.js';
import { downloadRanges, useRanges } from './ranges.js';
import { DOWNLOAD_SCRIPT } from './scripts.js';

interface Current {
  readonly rel: string;
  readonly remote: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly hash: Hash;
  readonly writer: LocalFileWriter | undefined;
  readonly stream: Writable | undefined;
  bytes: number;
}

export async function copyFromSession(pool: RunspacePool, remotePath: string | readonly string[], destination: CopyDestination, options: CopyOptions = {}): Promise<CopyResult> {
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('the download was aborted before it began');
  const paths = typeof remotePath === 'string' ? [remotePath] : [...remotePath];
  if (paths.length === 0 || paths.some((p) => !p)) throw new UsageError('copyFromSession: give at least one remote path, none empty');
  const overwrite = options.overwrite === true;
  const times = options.preserveTimes !== false;
  const window = Math.max(2, options.window ?? 4);

  // Where a record's relative path goes: into an existing folder (or several
  // sources: a folder), else the destination is the one file or folder itself.
  let into = false;
  if (typeof destination === 'string') {
    const st = await stat(destination).catch(() => undefined);
    if (paths.length > 1 && !st) {
      if (!options.createParents) throw new FileTransferError('NotFound', 'local', destination, 'several sources need a folder to go into');
      await mkdir(destination, { recursive: true });
      into = true;
    } else into = st?.isDirectory() === true;
    if (!into && paths.length > 1) throw new FileTransferError('TargetExists', 'local', destination, 'several sources need a folder, this is a file');
    if (!st && !into) {
      const parent = join(destination, '..');
      if (!(await stat(parent).catch(() => undefined))) {
        if (!options.createParents) throw new FileTransferError('NotFound', 'local', parent, 'the parent folder does not exist (createParents not asked)');
        await mkdir(parent, { recursive: true });
      }
    }
  } else if (paths.length > 1) throw new UsageError('copyFromSession: several remote paths need a folder as the destination');
  const localFor = (rel: string): string => {
    const parts = rel.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
      throw new FileTransferError('IO', 'remote', rel, 'the server sent a path that is not a plain relative one');
    }
    return into ? join(destination as string, ...parts) : join(destination as string, ...parts.slice(1));
  };

  const prepared = await prepare(pool, { target: paths[0]!, mode: 'download', name: '', createParents: false, overwrite }, signal);
  const chunk = chunkSizeFor(pool.payloadBudget, options.chunkSize);
  const meter = new ProgressMeter({
    ...(options.now ? { now: options.now } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const lanes = Math.max(1, options.parallel ?? 2);
  if (paths.length === 1 && typeof destination === 'string' && prepared.size !== undefined && useRanges(prepared.size, chunk, lanes)) {
    const name = prepared.path.split(prepared.separator).at(-1) || 'file';
    const local = localFor(name);
    const file = await downloadRanges(pool, { remote: prepared.path, size: prepared.size, ticks: prepared.ticks ?? '0', local, chunk, lanes, overwrite }, options, meter);
    meter.finish();
    return { files: [file], folders: 0, skipped: [], bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: chunk, parallel: lanes };
  }

  let failure: Error | undefined;
  let quit = false;
  let ended = false;
  let owed = 0;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stop = (e: Error) => {
    failure ??= e;
    quit = true;
    poke();
  };
  async function* credits(): AsyncGenerator<string> {
    yield String(window);
    for (;;) {
      while (!quit && !ended && owed < window / 2) await new Promise<void>((r) => (wake = r));
      if (ended) return;
      if (quit) {
        yield 'Q';
        return;
      }
      const n = owed;
      owed = 0;
      yield String(n);
    }
  }
  let hard: NodeJS.Timeout | undefined;
  const onAbort = () => {
    stop(new AbortError(`the download of ${paths.join(', ')} was aborted`, { cause: signal?.reason }));
    hard = setTimeout(() => void inv.stop().catch(() => undefined), ABORT_GRACE_MS);
    hard.unref();
  };

  const files: CopiedFile[] = [];
  const skipped: { path: string; reason: string }[] = [];
  const folders: { path: string; mtimeMs: number }[] = [];
  let cur: Current | undefined;
  let streamUsed = false;
  const inv = pool.invoke(
    { script: DOWNLOAD_SCRIPT, useLocalScope: true, parameters: { Paths: paths, Recursive: options.recursive === true, FollowLinks: options.followSymlinks === true, Chunk: chunk } },
    { input: credits(), streamOutput: true },
  );
  signal?.addEventListener('abort', onAbort, { once: true });

  const data = async (b: Uint8Array): Promise<void> => {
    if (!cur) throw new FileTransferError('IO', 'remote', '?', 'data before a file began');
    cur.hash.update(b);
    cur.bytes += b.length;
    if (cur.writer) await cur.writer.write(b);
    else if (!cur.stream!.write(b)) await new Promise<void>((r) => cur!.stream!.once('drain', () => r()));
    meter.add(b.length, cur.rel);
  };
  const handle = async (rec: string): Promise<void> => {
    const f = rec.split('\t');
    switch (rec[0]) {
      case 'D':
        return data(Buffer.from(rec.slice(1), 'base64'));
      case 'F': {
        const rel = relFromB64(f[1] ?? '');
        const size = Number(f[2]);
        const mtimeMs = msFromTicks(f[3] ?? '0');
        meter.bytesTotal = (meter.bytesTotal ?? 0) + size;
        meter.filesTotal = (meter.filesTotal ?? 0) + 1;
        if (typeof destination !== 'string') {
          if (streamUsed) throw new UsageError('copyFromSession: a stream destination takes one file, the remote path holds several');
          streamUsed = true;
          cur = { rel, remote: rel, size, mtimeMs, hash: createHash('sha256'), writer: undefined, stream: destination, bytes: 0 };
          return;
        }
        const local = localFor(rel);
        cur = { rel, remote: rel, size, mtimeMs, hash: createHash('sha256'), writer: await LocalFileWriter.create(local, overwrite), stream: undefined, bytes: 0 };
        return;
      }
      case 'E': {
        if (!cur) throw new FileTransferError('IO', 'remote', '?', 'a file ended that did not begin');
        const mine = cur.hash.digest('hex');
        const theirs = f[1] ?? '';
        const done = cur;
        cur = undefined;
        const where = done.writer?.final ?? done.rel;
        if (mine !== theirs || done.bytes !== done.size) {
          await done.writer?.discard();
          throw new FileTransferError('HashMismatch', 'local', where, `server ${theirs} (${done.size} bytes), received ${mine} (${done.bytes} bytes)`);
        }
        await done.writer?.commit(overwrite, times ? done.mtimeMs : undefined);
        files.push({ relativePath: done.rel, source: done.rel, destination: where, bytes: done.bytes, sha256: mine, verified: true });
        meter.fileDone();
        return;
      }
      case 'M': {
        if (typeof destination !== 'string') throw new UsageError('copyFromSession: a stream destination takes one file, not a folder');
        const local = localFor(relFromB64(f[1] ?? ''));
        const st = await stat(local).catch(() => undefined);
        if (st && !st.isDirectory()) throw new FileTransferError('TargetExists', 'local', local, 'a file is in the way of the folder');
        await mkdir(local, { recursive: true }).catch((e: unknown) => {
          throw localFailure(e, local);
        });
        folders.push({ path: local, mtimeMs: msFromTicks(f[2] ?? '0') });
        return;
      }
      case 'L':
        skipped.push({ path: relFromB64(f[1] ?? ''), reason: `symbolic link to ${f[2] || '?'} (not followed)` });
        return;
      case 'X':
        throw remoteFailure(rec);
      case 'Z':
        ended = true;
        poke();
        return;
      default:
        throw new FileTransferError('IO', 'remote', paths[0]!, `an unknown record from the download script: ${rec.slice(0, 40)}`);
    }
  };

  try {
    for await (const o of inv) {
      if (!quit) {
        try {
          if (o instanceof Uint8Array) await data(o);
          else for (const rec of String(toPlain(o as never)).split('\n')) await handle(rec);
        } catch (e) {
          stop(e as Error);
        }
      }
      owed++;
      poke();
    }
    await inv.result();
  } catch (e) {
    failure ??= e as Error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(hard);
    ended = true;
    poke();
    await cur?.writer?.discard();
  }
  if (failure) throw failure;
  if (times) for (const d of folders.reverse()) await utimes(d.path, Date.now() / 1000, d.mtimeMs / 1000).catch(() => undefined);
  meter.finish();
  return { files, folders: folders.length, skipped, bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: chunk, parallel: 1 };
}
