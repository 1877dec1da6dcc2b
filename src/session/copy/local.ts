// The local side of a copy: walking a folder (symlinks reported, not followed
// unless asked), reading a source in chunks of a fixed size without holding
// more than one, and writing a downloaded file under a temporary name that is
// linked into place only once its hash matched.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readlink, rename, stat, unlink, link, utimes, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FileTransferError, localFailure } from './errors.js';

export interface LocalEntry {
  /** '/'-separated, relative to the copied folder. */
  readonly rel: string;
  readonly abs: string;
  readonly kind: 'file' | 'dir' | 'link';
  readonly size: number;
  readonly mtimeMs: number;
  readonly linkTarget?: string;
}

/** Everything under `root`, folders before what they hold, in name order. */
export async function walkLocal(root: string, followSymlinks: boolean): Promise<LocalEntry[]> {
  const out: LocalEntry[] = [];
  const visit = async (abs: string, rel: string): Promise<void> => {
    let names;
    try {
      names = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      throw localFailure(e, abs);
    }
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of names) {
      const childAbs = join(abs, d.name);
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      let st;
      try {
        st = d.isSymbolicLink() && followSymlinks ? await stat(childAbs) : await lstat(childAbs);
      } catch (e) {
        throw localFailure(e, childAbs);
      }
      if (st.isSymbolicLink()) {
        out.push({ rel: childRel, abs: childAbs, kind: 'link', size: 0, mtimeMs: st.mtimeMs, linkTarget: await readlink(childAbs).catch(() => '') });
      } else if (st.isDirectory()) {
        out.push({ rel: childRel, abs: childAbs, kind: 'dir', size: 0, mtimeMs: st.mtimeMs });
        await visit(childAbs, childRel);
      } else if (st.isFile()) {
        out.push({ rel: childRel, abs: childAbs, kind: 'file', size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  await visit(root, '');
  return out;
}

/**
 * Chunks of exactly `size` bytes (the last one shorter) from a file, a Readable
 * or any async iterable of bytes. A chunk is valid until the next one is asked
 * for: all of them are read into one buffer, since a copy sends each one
 * (encodes it) before it asks for more, and a fresh buffer per chunk is garbage
 * that Node frees only when a collection finds it (tens of MB of RSS).
 */
export async function* readChunks(source: string | AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  if (typeof source === 'string') {
    let fh: FileHandle;
    try {
      fh = await open(source, 'r');
    } catch (e) {
      throw localFailure(e, source);
    }
    try {
      for (;;) {
        let got = 0;
        while (got < size) {
          const { bytesRead } = await fh.read(buf, got, size - got, null);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        if (got > 0) yield got === size ? buf : buf.subarray(0, got);
        if (got < size) return;
      }
    } catch (e) {
      throw localFailure(e, source);
    } finally {
      await fh.close();
    }
  }
  let have = 0;
  for await (const piece of source as AsyncIterable<Uint8Array | string>) {
    let b = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    // copied into buf at once: the producer may reuse its buffer
    while (b.length > 0) {
      const take = Math.min(size - have, b.length);
      b.copy(buf, have, 0, take);
      have += take;
      b = b.subarray(take);
      if (have === size) {
        yield buf;
        have = 0;
      }
    }
  }
  if (have > 0) yield buf.subarray(0, have);
}

/** A downloaded file on its way: a temporary sibling, renamed into place by commit(). */
export class LocalFileWriter {
  readonly final: string;
  readonly tmp: string;
  #fh: FileHandle | undefined;

  private constructor(final: string, tmp: string, fh: FileHandle) {
    this.final = final;
    this.tmp = tmp;
    this.#fh = fh;
  }

  static async create(final: string, overwrite: boolean): Promise<LocalFileWriter> {
    const st = await stat(final).catch(() => undefined);
    if (st?.isDirectory()) throw new FileTransferError('TargetExists', 'local', final, 'a folder is in the way of the file');
    if (st && !overwrite) throw new FileTransferError('TargetExists', 'local', final, 'the file exists');
    await mkdir(dirname(final), { recursive: true }).catch((e: unknown) => {
      throw localFailure(e, dirname(final));
    });
    const tmp = join(dirname(final), `.${basename(final)}.${randomBytes(6).toString('hex')}.psremote-tmp`);
    try {
      return new LocalFileWriter(final, tmp, await open(tmp, 'wx'));
    } catch (e) {
      throw localFailure(e, tmp);
    }
  }

  async write(b: Uint8Array): Promise<void> {
    try {
      await this.#fh!.write(b);
    } catch (e) {
      throw localFailure(e, this.final);
    }
  }

  /** Bytes at an offset (a download in ranges: several lanes write into one file). */
  async writeAt(b: Uint8Array, position: number): Promise<void> {
    try {
      for (let done = 0; done < b.length; ) done += (await this.#fh!.write(b, done, b.length - done, position + done)).bytesWritten;
    } catch (e) {
      throw localFailure(e, this.final);
    }
  }

  /** Puts the file in place; without overwrite, never over a file that appeared meanwhile. */
  async commit(overwrite: boolean, mtimeMs: number | undefined): Promise<void> {
    try {
      await this.#fh!.close();
      this.#fh = undefined;
      if (mtimeMs !== undefined) await utimes(this.tmp, Date.now() / 1000, mtimeMs / 1000);
      if (overwrite) await rename(this.tmp, this.final);
      else {
        // link() fails with EEXIST where rename() would replace: no race with another writer.
        await link(this.tmp, this.final);
        await unlink(this.tmp);
      }
    } catch (e) {
      await this.discard();
      throw localFailure(e, this.final);
    }
  }

  async discard(): Promise<void> {
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
    await unlink(this.tmp).catch(() => undefined);
  }
}
