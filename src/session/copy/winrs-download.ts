// copyFromHost: remote files out of a host over one WinRS command, the bytes
// raw on its stdout. The server writes frames (T: records, B: a file's bytes)
// and blocks while the client is behind (the pipe, the endpoint's outbox, the
// client's ByteStream: each pauses the one before); each file lands under a
// temporary name and is linked into place only once its SHA-256 matches.

import { createHash, type Hash } from 'node:crypto';
import { mkdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { AbortError, UsageError } from '../../errors.js';
import type { Target } from '../../winrm/target.js';
import type { WinRSCommand } from '../../winrm/winrs.js';
import { FileTransferError, localFailure } from './errors.js';
import { LocalFileWriter } from './local.js';
import { msFromTicks, relFromB64, type CopiedFile, type CopyDestination, type CopyResult } from './options.js';
import { remoteFailure } from './prepare.js';
import { ProgressMeter } from './progress.js';
import { FrameReader, type DownloadFrame } from './winrs-frames.js';
import { startCopy, stderrText, withHostShell, type HostCopyOptions } from './winrs-host.js';
import { downloadScript } from './winrs-scripts.js';

interface Current {
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly hash: Hash;
  readonly writer: LocalFileWriter | undefined;
  readonly stream: Writable | undefined;
  bytes: number;
}

/** Copies remote files or folders (recursive) to a local path or a Writable, over WinRS (docs/file-transfer.md). */
export async function copyFromHost(target: Target, remotePath: string | readonly string[], destination: CopyDestination, options: HostCopyOptions = {}): Promise<CopyResult> {
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('the download was aborted before it began');
  const paths = typeof remotePath === 'string' ? [remotePath] : [...remotePath];
  if (paths.length === 0 || paths.some((p) => !p)) throw new UsageError('copyFromHost: give at least one remote path, none empty');
  const overwrite = options.overwrite === true;
  const times = options.preserveTimes !== false;
  const into = await placeDestination(destination, paths.length, options.createParents === true);
  const localFor = (rel: string): string => {
    const parts = rel.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
      throw new FileTransferError('IO', 'remote', rel, 'the server sent a path that is not a plain relative one');
    }
    return into ? join(destination as string, ...parts) : join(destination as string, ...parts.slice(1));
  };
  const meter = new ProgressMeter({
    ...(options.now ? { now: options.now } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });

  return withHostShell(target, options, async (shell, sendSize) => {
    const chunk = options.chunkSize ?? sendSize;
    const files: CopiedFile[] = [];
    const skipped: { path: string; reason: string }[] = [];
    const folders: { path: string; mtimeMs: number }[] = [];
    let cur: Current | undefined;
    let streamUsed = false;
    let ended = false;

    const data = async (b: Buffer): Promise<void> => {
      if (!cur) throw new FileTransferError('IO', 'remote', paths[0]!, 'data before a file began');
      if (b.length === 0) return;
      cur.hash.update(b);
      cur.bytes += b.length;
      if (cur.writer) await cur.writer.write(b);
      else if (!cur.stream!.write(b)) await new Promise<void>((r) => cur!.stream!.once('drain', () => r()));
      meter.add(b.length, cur.rel);
    };
    const record = async (rec: string): Promise<void> => {
      const f = rec.split('\t');
      switch (rec[0]) {
        case 'D':
          return data(Buffer.from(rec.slice(1), 'base64'));
        case 'F': {
          const rel = relFromB64(f[1] ?? '');
          const size = Number(f[2]);
          meter.bytesTotal = (meter.bytesTotal ?? 0) + size;
          meter.filesTotal = (meter.filesTotal ?? 0) + 1;
          const base = { rel, size, mtimeMs: msFromTicks(f[3] ?? '0'), hash: createHash('sha256'), bytes: 0 };
          if (typeof destination !== 'string') {
            if (streamUsed) throw new UsageError('copyFromHost: a stream destination takes one file, the remote path holds several');
            streamUsed = true;
            cur = { ...base, writer: undefined, stream: destination };
          } else cur = { ...base, writer: await LocalFileWriter.create(localFor(rel), overwrite), stream: undefined };
          return;
        }
        case 'E': {
          if (!cur) throw new FileTransferError('IO', 'remote', paths[0]!, 'a file ended that did not begin');
          const done = cur;
          cur = undefined;
          const mine = done.hash.digest('hex');
          const theirs = f[1] ?? '';
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
          if (typeof destination !== 'string') throw new UsageError('copyFromHost: a stream destination takes one file, not a folder');
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
          return;
        default:
          throw new FileTransferError('IO', 'remote', paths[0]!, `an unknown record from the download script: ${rec.slice(0, 40)}`);
      }
    };

    const reader = new FrameReader(paths[0]!);
    let out: AsyncIterator<Buffer> | undefined;
    let pending: DownloadFrame[] = [];
    // The first T frame (PREPARE's answer) decides; what came with it in the same piece waits in `pending`.
    const first = async (cmd: WinRSCommand): Promise<string | undefined> => {
      out = cmd.stdout[Symbol.asyncIterator]();
      for (;;) {
        const r = await out.next();
        if (r.done) return undefined;
        const got = [...reader.feed(r.value)];
        const i = got.findIndex((g) => g.type === 'T');
        if (i >= 0) {
          pending = got.slice(i + 1);
          return (got[i] as { text: string }).text;
        }
      }
    };
    const script = downloadScript({ paths, recursive: options.recursive === true, followLinks: options.followSymlinks === true, chunk });
    const noFrames = async function* (): AsyncGenerator<Buffer> {};
    const { host, answer } = await startCopy(shell, options, paths[0]!, script, noFrames, first);
    const cmd = host.cmd;
    host.go();
    // aborted while the host's PowerShell started: the shell's Delete ends it
    if (signal?.aborted) throw new AbortError(`the download of ${paths.join(', ')} was aborted`, { cause: signal.reason });
    if (answer.startsWith('RESTRICTED\t')) throw new FileTransferError('Restricted', 'remote', paths[0]!, `the host's PowerShell runs in ${answer.split('\t')[1]} mode; the copy script needs FullLanguage`);
    if (answer.startsWith('X\t')) throw remoteFailure(answer);
    if (!answer.startsWith('P\t')) throw new FileTransferError('IO', 'remote', paths[0]!, `the copy script did not answer as expected (${answer.slice(0, 80)})`);
    // The server is not reading stdin once it writes: an abort terminates the command (it holds no temporary file).
    const onAbort = () => void cmd.terminate().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const frame = async (g: DownloadFrame): Promise<void> => {
        if (g.type === 'B') await data(g.data);
        else for (const rec of g.text.split('\n')) await record(rec);
      };
      for (const g of pending) await frame(g);
      for (let r = await out!.next(); !r.done; r = await out!.next()) {
        // what the stream still holds after an abort is not written
        if (signal?.aborted) break;
        for (const g of reader.feed(r.value)) await frame(g);
      }
      if (signal?.aborted) throw new AbortError(`the download of ${paths.join(', ')} was aborted`, { cause: signal.reason });
      const code = await cmd.exitCode;
      if (!ended) {
        const err = stderrText(await host.stderr());
        throw new FileTransferError('IO', 'remote', paths[0]!, `the copy ended before its end record (exit code ${code}${err ? `: ${err}` : ''})`);
      }
    } catch (e) {
      if (signal?.aborted) throw new AbortError(`the download of ${paths.join(', ')} was aborted`, { cause: signal.reason });
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await cur?.writer?.discard();
      if (!ended) await out?.return?.();
    }
    if (times) for (const d of folders.reverse()) await utimes(d.path, Date.now() / 1000, d.mtimeMs / 1000).catch(() => undefined);
    meter.finish();
    return { files, folders: folders.length, skipped, bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: chunk, parallel: 1 };
  });
}

/** Checks and prepares a local destination as copyFromSession does; true when the records go into it as a folder. */
async function placeDestination(destination: CopyDestination, sources: number, createParents: boolean): Promise<boolean> {
  if (typeof destination !== 'string') {
    if (sources > 1) throw new UsageError('copyFromHost: several remote paths need a folder as the destination');
    return false;
  }
  const st = await stat(destination).catch(() => undefined);
  let into: boolean;
  if (sources > 1 && !st) {
    if (!createParents) throw new FileTransferError('NotFound', 'local', destination, 'several sources need a folder to go into');
    await mkdir(destination, { recursive: true });
    into = true;
  } else into = st?.isDirectory() === true;
  if (!into && sources > 1) throw new FileTransferError('TargetExists', 'local', destination, 'several sources need a folder, this is a file');
  if (!st && !into) {
    const parent = join(destination, '..');
    if (!(await stat(parent).catch(() => undefined))) {
      if (!createParents) throw new FileTransferError('NotFound', 'local', parent, 'the parent folder does not exist (createParents not asked)');
      await mkdir(parent, { recursive: true });
    }
  }
  return into;
}
