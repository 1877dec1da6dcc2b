// The client side of a download, whatever carries it (copyFromSession's pipeline
// output, copyFromHost's WinRS stdout): where the destination is, and what the
// DOWNLOAD script's records (scripts.ts: F, D, E, M, L, X, Z) and a file's raw
// bytes do locally. Each file is written under a temporary name, hashed as it
// comes, and linked into place only once its SHA-256 and length match the server's.

import { createHash, type Hash } from 'node:crypto';
import { mkdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { UsageError } from '../../errors.js';
import { FileTransferError, localFailure } from './errors.js';
import { LocalFileWriter } from './local.js';
import { msFromTicks, relFromB64, type CopiedFile, type CopyDestination } from './options.js';
import { remoteFailure } from './prepare.js';
import type { ProgressMeter } from './progress.js';

/**
 * Checks and prepares a local destination; true when the records go into it as
 * a folder (an existing folder, or several sources), false when it is the one
 * file or folder itself. `api` names the caller in usage errors.
 */
export async function placeDestination(destination: CopyDestination, sources: number, createParents: boolean, api: string): Promise<boolean> {
  if (typeof destination !== 'string') {
    if (sources > 1) throw new UsageError(`${api}: several remote paths need a folder as the destination`);
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

interface Current {
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly hash: Hash;
  readonly writer: LocalFileWriter | undefined;
  readonly stream: Writable | undefined;
  bytes: number;
}

export interface DownloadSinkOptions {
  readonly destination: CopyDestination;
  /** From placeDestination. */
  readonly into: boolean;
  readonly overwrite: boolean;
  readonly times: boolean;
  readonly meter: ProgressMeter;
  /** The first remote path, named in errors about the stream of records. */
  readonly where: string;
  /** The caller, named in usage errors. */
  readonly api: string;
}

export class DownloadSink {
  readonly files: CopiedFile[] = [];
  readonly skipped: { path: string; reason: string }[] = [];
  readonly #folders: { path: string; mtimeMs: number }[] = [];
  readonly #o: DownloadSinkOptions;
  #cur: Current | undefined;
  #streamUsed = false;
  /** The end record (Z) came. */
  ended = false;

  constructor(options: DownloadSinkOptions) {
    this.#o = options;
  }

  get folders(): number {
    return this.#folders.length;
  }

  /** Where a record's relative ('/'-separated) path lands; anything but a plain relative path is refused. */
  localFor(rel: string): string {
    const parts = rel.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
      throw new FileTransferError('IO', 'remote', rel, 'the server sent a path that is not a plain relative one');
    }
    const dest = this.#o.destination as string;
    return this.#o.into ? join(dest, ...parts) : join(dest, ...parts.slice(1));
  }

  /** The current file's next bytes. */
  async data(b: Uint8Array): Promise<void> {
    const cur = this.#cur;
    if (!cur) throw new FileTransferError('IO', 'remote', this.#o.where, 'data before a file began');
    if (b.length === 0) return;
    cur.hash.update(b);
    cur.bytes += b.length;
    if (cur.writer) await cur.writer.write(b);
    else if (!cur.stream!.write(b)) await new Promise<void>((r) => cur.stream!.once('drain', () => r()));
    this.#o.meter.add(b.length, cur.rel);
  }

  /** One record of the DOWNLOAD script. */
  async record(rec: string): Promise<void> {
    const { destination, overwrite, meter, api } = this.#o;
    const f = rec.split('\t');
    switch (rec[0]) {
      case 'D':
        return this.data(Buffer.from(rec.slice(1), 'base64'));
      case 'F': {
        const rel = relFromB64(f[1] ?? '');
        const size = Number(f[2]);
        meter.bytesTotal = (meter.bytesTotal ?? 0) + size;
        meter.filesTotal = (meter.filesTotal ?? 0) + 1;
        const base = { rel, size, mtimeMs: msFromTicks(f[3] ?? '0'), hash: createHash('sha256'), bytes: 0 };
        if (typeof destination !== 'string') {
          if (this.#streamUsed) throw new UsageError(`${api}: a stream destination takes one file, the remote path holds several`);
          this.#streamUsed = true;
          this.#cur = { ...base, writer: undefined, stream: destination };
        } else this.#cur = { ...base, writer: await LocalFileWriter.create(this.localFor(rel), overwrite), stream: undefined };
        return;
      }
      case 'E':
        return this.#fileEnd(f[1] ?? '');
      case 'M': {
        if (typeof destination !== 'string') throw new UsageError(`${api}: a stream destination takes one file, not a folder`);
        const local = this.localFor(relFromB64(f[1] ?? ''));
        const st = await stat(local).catch(() => undefined);
        if (st && !st.isDirectory()) throw new FileTransferError('TargetExists', 'local', local, 'a file is in the way of the folder');
        await mkdir(local, { recursive: true }).catch((e: unknown) => {
          throw localFailure(e, local);
        });
        this.#folders.push({ path: local, mtimeMs: msFromTicks(f[2] ?? '0') });
        return;
      }
      case 'L':
        this.skipped.push({ path: relFromB64(f[1] ?? ''), reason: `symbolic link to ${f[2] || '?'} (not followed)` });
        return;
      case 'X':
        throw remoteFailure(rec);
      case 'Z':
        this.ended = true;
        return;
      default:
        throw new FileTransferError('IO', 'remote', this.#o.where, `an unknown record from the download script: ${rec.slice(0, 40)}`);
    }
  }

  async #fileEnd(theirs: string): Promise<void> {
    const done = this.#cur;
    if (!done) throw new FileTransferError('IO', 'remote', this.#o.where, 'a file ended that did not begin');
    this.#cur = undefined;
    const mine = done.hash.digest('hex');
    const where = done.writer?.final ?? done.rel;
    if (mine !== theirs || done.bytes !== done.size) {
      await done.writer?.discard();
      throw new FileTransferError('HashMismatch', 'local', where, `server ${theirs} (${done.size} bytes), received ${mine} (${done.bytes} bytes)`);
    }
    await done.writer?.commit(this.#o.overwrite, this.#o.times ? done.mtimeMs : undefined);
    this.files.push({ relativePath: done.rel, source: done.rel, destination: where, bytes: done.bytes, sha256: mine, verified: true });
    this.#o.meter.fileDone();
  }

  /** Removes the temporary file of a file that did not end (a failure or an abort). */
  async discard(): Promise<void> {
    await this.#cur?.writer?.discard();
  }

  /** Folder modification times, innermost first (writing files changed them). */
  async setFolderTimes(): Promise<void> {
    if (!this.#o.times) return;
    for (const d of [...this.#folders].reverse()) await utimes(d.path, Date.now() / 1000, d.mtimeMs / 1000).catch(() => undefined);
  }
}
