// copyToSession (Copy-Item -ToSession): local files into a PowerShell session.
// Each lane is one long-lived pipeline whose input is the files' records: a
// file's bytes go as base64 strings sized to fill one payload, small files
// packed many to one object. The server acknowledges each input object (K), and
// a lane keeps at most `window` objects unacknowledged, so neither side buffers
// more than that; folders are shared out among `parallel` lanes.

import { createHash } from 'node:crypto';
import { AbortError, UsageError } from '../../errors.js';
import type { RunspacePool } from '../runspace-pool.js';
import type { PowerShellInvocation } from '../powershell.js';
import type { PSInput } from '../../clixml/index.js';
import { toPlain } from '../../clixml/plain.js';
import { FileTransferError } from './errors.js';
import { readChunks } from './local.js';
import { planUpload, type UploadEntry } from './upload-plan.js';
import { ABORT_GRACE_MS, chunkSizeFor, relB64, relFromB64, ticksFromMs, type CopiedFile, type CopyOptions, type CopyResult, type CopySource } from './options.js';
import { prepare, remoteFailure } from './prepare.js';
import type { ProgressMeter } from './progress.js';
import { LaneRun } from './lane-run.js';
import { uploadRanges, useRanges } from './ranges.js';
import { TIMES_SCRIPT, UPLOAD_SCRIPT } from './scripts.js';

/** Chunks up to this size travel base64 in the packed record strings; larger ones as byte[] objects. */
const SMALL = 65_536;

type Entry = UploadEntry;

/** Shared by the lanes: what is left to send, and (LaneRun) whether to stop. */
class UploadRun extends LaneRun {
  readonly queue: Entry[];
  readonly files: CopiedFile[] = [];
  /** The lanes' pipelines, stopped outright if they do not let go after an abort. */
  readonly invocations: PowerShellInvocation[] = [];
  constructor(entries: Entry[]) {
    super();
    this.queue = [...entries];
  }
}

export async function copyToSession(pool: RunspacePool, source: CopySource, remotePath: string, options: CopyOptions = {}): Promise<CopyResult> {
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('the upload was aborted before it began');
  if (!remotePath) throw new UsageError('copyToSession: the remote path is empty');
  const times = options.preserveTimes !== false;
  const { mode, entries, name, rootMtime, skipped, fileCount, meter } = await planUpload(source, options);

  const target = await prepare(pool, { target: remotePath, mode, name, createParents: options.createParents === true, overwrite: options.overwrite === true }, signal);
  const chunk = chunkSizeFor(pool.payloadBudget, options.chunkSize);
  const one = entries[0]!;
  const lanes = Math.max(1, options.parallel ?? 2);
  if (mode === 'file' && typeof one.source === 'string' && useRanges(one.size, chunk, lanes)) {
    const file = await uploadRanges(pool, { source: one.source, size: one.size, mtimeMs: one.mtimeMs, final: target.path, chunk, lanes }, options, meter);
    meter.finish();
    return { files: [file], folders: 0, skipped, bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: chunk, parallel: lanes };
  }
  const parallel = mode === 'tree' ? Math.max(1, Math.min(lanes, fileCount || 1)) : 1;
  const run = new UploadRun(entries);
  let hard: NodeJS.Timeout | undefined;
  const onAbort = () => {
    run.stop(new AbortError(`the upload to ${target.path} was aborted`, { cause: signal?.reason }));
    // The lanes tell the server (Q) and wait for it; a server that does not answer gets its pipelines stopped.
    hard = setTimeout(() => run.invocations.forEach((i) => void i.stop().catch(() => undefined)), ABORT_GRACE_MS);
    hard.unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(Array.from({ length: parallel }, () => lane(pool, run, target.path, target.separator, chunk, options, meter)));
  } finally {
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(hard);
  }
  if (run.failure) throw run.failure;
  const folders = entries.filter((e) => e.kind === 'dir');
  if (times && mode === 'tree') {
    const remote = (rel: string) => (rel ? `${target.path}${target.separator}${rel.split('/').join(target.separator)}` : target.path);
    const input = [...folders.map((f) => `${remote(f.rel)}\t${ticksFromMs(f.mtimeMs)}`).reverse(), `${target.path}\t${ticksFromMs(rootMtime!)}`];
    await pool.invoke({ script: TIMES_SCRIPT, useLocalScope: true }, { input }).result();
  }
  meter.finish();
  const files = run.files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : 1));
  return { files, folders: folders.length + (mode === 'tree' ? 1 : 0), skipped, bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: chunk, parallel };
}

/** One pipeline: takes entries from the shared queue until it is empty or the run stops. */
async function lane(pool: RunspacePool, run: UploadRun, base: string, sep: string, chunk: number, options: CopyOptions, meter: ProgressMeter): Promise<void> {
  const window = Math.max(1, options.window ?? 4);
  let sent = 0;
  let acked = 0;
  const inFlight = new Map<string, Entry>();
  const limit = Math.ceil(chunk / 3) * 4 + 1;

  async function* input(): AsyncGenerator<PSInput> {
    let packed: string[] = [];
    let packedLen = 0;
    const take = (): string => {
      const s = packed.join('\n');
      packed = [];
      packedLen = 0;
      return s;
    };
    // One object out, once the window has room.
    async function* out(s: PSInput): AsyncGenerator<PSInput> {
      while (sent - acked >= window && !run.failure) await run.changed();
      if (run.failure) return;
      sent++;
      yield s;
    }
    const pack = async function* (rec: string): AsyncGenerator<PSInput> {
      if (packedLen + rec.length + 1 > limit && packed.length > 0) yield* out(take());
      packed.push(rec);
      packedLen += rec.length + 1;
    };
    while (!run.failure) {
      const e = run.queue.shift();
      if (!e) break;
      if (e.kind === 'dir') {
        yield* pack(`M\t${relB64(e.rel)}`);
        continue;
      }
      inFlight.set(relB64(e.rel), e);
      yield* pack(`F\t${relB64(e.rel)}\t${e.size}\t${options.preserveTimes !== false && e.mtimeMs >= 0 ? ticksFromMs(e.mtimeMs) : -1}`);
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const c of readChunks(e.source, chunk)) {
        hash.update(c);
        bytes += c.length;
        if (c.length > SMALL) {
          if (packed.length > 0) yield* out(take());
          yield* out(c);
        } else yield* pack(`D${c.toString('base64')}`);
        meter.add(c.length, e.rel || String(e.source));
        if (run.failure) break;
      }
      if (run.failure) break;
      if (e.size >= 0 && bytes !== e.size) {
        run.stop(new FileTransferError('IO', 'local', String(e.source), `the file changed while it was read (${e.size} bytes, then ${bytes})`));
        break;
      }
      yield* pack(`E\t${hash.digest('hex')}`);
    }
    if (run.failure) {
      yield 'Q';
      return;
    }
    if (packed.length > 0) yield* out(take());
  }

  const inv = pool.invoke(
    { script: UPLOAD_SCRIPT, useLocalScope: true, parameters: { Base: base, Overwrite: options.overwrite === true, Times: options.preserveTimes !== false } },
    { input: input(), streamOutput: true },
  );
  run.invocations.push(inv);
  try {
    for await (const o of inv) {
      const rec = String(toPlain(o as never));
      switch (rec[0]) {
        case 'K':
          acked++;
          run.wake();
          break;
        case 'R': {
          const [, rel = '', sha256 = '', n = '0'] = rec.split('\t');
          const e = inFlight.get(rel);
          inFlight.delete(rel);
          const relativePath = relFromB64(rel);
          run.files.push({
            relativePath,
            source: typeof e?.source === 'string' ? e.source : '<stream>',
            destination: relativePath ? `${base}${sep}${relativePath.split('/').join(sep)}` : base,
            bytes: Number(n),
            sha256,
            verified: true,
          });
          meter.fileDone();
          break;
        }
        case 'X':
          run.stop(remoteFailure(rec));
          break;
        default:
          break; // Q: the server let go of the abandoned file
      }
    }
    await inv.result();
  } catch (e) {
    run.stop(e as Error);
  }
}
