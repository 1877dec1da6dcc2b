// What an upload sends, found before anything is sent: one file, one stream,
// or a folder walked (symlinks reported, not followed unless asked), and the
// progress meter with the totals. Shared by copyToSession and copyToHost.

import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { UsageError } from '../../errors.js';
import { localFailure } from './errors.js';
import { walkLocal, type LocalEntry } from './local.js';
import type { CopyOptions, CopySource } from './options.js';
import { ProgressMeter } from './progress.js';

export interface UploadEntry extends Omit<LocalEntry, 'abs'> {
  readonly source: string | AsyncIterable<Uint8Array>;
}

export interface UploadPlan {
  readonly mode: 'file' | 'stream' | 'tree';
  /** Folders and files, folders before what they hold (no links: those are in `skipped`). */
  readonly entries: UploadEntry[];
  /** The source's own name (a file or folder put into an existing folder keeps it). */
  readonly name: string;
  readonly rootMtime: number | undefined;
  readonly skipped: { path: string; reason: string }[];
  readonly fileCount: number;
  readonly meter: ProgressMeter;
}

export async function planUpload(source: CopySource, options: CopyOptions): Promise<UploadPlan> {
  let mode: UploadPlan['mode'];
  let entries: UploadEntry[];
  let name = '';
  let rootMtime: number | undefined;
  if (typeof source === 'string') {
    const st = await stat(source).catch((e: unknown) => {
      throw localFailure(e, source);
    });
    name = basename(source);
    if (st.isDirectory()) {
      if (!options.recursive) throw new UsageError(`${source} is a folder: copy it with recursive (-r)`);
      mode = 'tree';
      rootMtime = st.mtimeMs;
      entries = (await walkLocal(source, options.followSymlinks === true)).map((e) => ({ ...e, source: e.abs }));
    } else {
      mode = 'file';
      entries = [{ rel: '', source, kind: 'file', size: st.size, mtimeMs: st.mtimeMs }];
    }
  } else {
    mode = 'stream';
    entries = [{ rel: '', source, kind: 'file', size: -1, mtimeMs: -1 }];
  }
  const skipped = entries.filter((e) => e.kind === 'link').map((e) => ({ path: String(e.source), reason: `symbolic link to ${e.linkTarget ?? '?'} (not followed)` }));
  entries = entries.filter((e) => e.kind !== 'link');
  const fileCount = entries.filter((e) => e.kind === 'file').length;
  const known = entries.every((e) => e.kind !== 'file' || e.size >= 0);
  const meter = new ProgressMeter({
    ...(options.now ? { now: options.now } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(known ? { bytesTotal: entries.reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0) } : {}),
    filesTotal: fileCount,
  });
  return { mode, entries, name, rootMtime, skipped, fileCount, meter };
}
