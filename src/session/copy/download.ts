// copyFromSession (Copy-Item -FromSession): remote files out of a PowerShell
// session. One pipeline streams everything as output objects of at most about
// one chunk each; its input is credits (how many more objects the server may
// write), sent as the client consumes, so output never piles up on either side
// however large the file. Each file lands under a temporary name and is linked
// into place only once its SHA-256 matches the server's.

import { AbortError, UsageError } from '../../errors.js';
import type { RunspacePool } from '../runspace-pool.js';
import { toPlain } from '../../clixml/plain.js';
import { DownloadSink, placeDestination } from './download-sink.js';
import { ABORT_GRACE_MS, chunkSizeFor, type CopyDestination, type CopyOptions, type CopyResult } from './options.js';
import { prepare } from './prepare.js';
import { ProgressMeter } from './progress.js';
import { downloadRanges, useRanges } from './ranges.js';
import { DOWNLOAD_SCRIPT } from './scripts.js';

export async function copyFromSession(pool: RunspacePool, remotePath: string | readonly string[], destination: CopyDestination, options: CopyOptions = {}): Promise<CopyResult> {
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('the download was aborted before it began');
  const paths = typeof remotePath === 'string' ? [remotePath] : [...remotePath];
  if (paths.length === 0 || paths.some((p) => !p)) throw new UsageError('copyFromSession: give at least one remote path, none empty');
  const overwrite = options.overwrite === true;
  const times = options.preserveTimes !== false;
  const window = Math.max(2, options.window ?? 4);

  const into = await placeDestination(destination, paths.length, options.createParents === true, 'copyFromSession');
  const prepared = await prepare(pool, { target: paths[0]!, mode: 'download', name: '', createParents: false, overwrite }, signal);
  const chunk = chunkSizeFor(pool.payloadBudget, options.chunkSize);
  const meter = new ProgressMeter({
    ...(options.now ? { now: options.now } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const sink = new DownloadSink({ destination, into, overwrite, times, meter, where: paths[0]!, api: 'copyFromSession' });
  const lanes = Math.max(1, options.parallel ?? 2);
  if (paths.length === 1 && typeof destination === 'string' && prepared.size !== undefined && useRanges(prepared.size, chunk, lanes)) {
    const name = prepared.path.split(prepared.separator).at(-1) || 'file';
    const local = sink.localFor(name);
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

  const inv = pool.invoke(
    { script: DOWNLOAD_SCRIPT, useLocalScope: true, parameters: { Paths: paths, Recursive: options.recursive === true, FollowLinks: options.followSymlinks === true, Chunk: chunk } },
    { input: credits(), streamOutput: true },
  );
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    for await (const o of inv) {
      if (!quit) {
        try {
          if (o instanceof Uint8Array) await sink.data(o);
          else
            for (const rec of String(toPlain(o as never)).split('\n')) {
              await sink.record(rec);
              if (sink.ended) {
                ended = true;
                poke();
              }
            }
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
    await sink.discard();
  }
  if (failure) throw failure;
  await sink.setFolderTimes();
  meter.finish();
  return { files: sink.files, folders: sink.folders, skipped: sink.skipped, bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: chunk, parallel: 1 };
}
