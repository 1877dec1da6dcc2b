// One large file in ranges on several pipelines of the pool at once: the
// server's PowerShell work per byte (reading the OutOfProc data, base64, CLIXML)
// runs on each pipeline's own thread, so lanes overlap where one pipeline's
// round trips leave the link or a core idle. Each lane writes its own range with
// a FileStream (or Node FileHandle) at an offset into one temporary file; the
// SHA-256 is of the whole file, computed on each side once all ranges are in,
// and the file is renamed into place only if the two match.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { AbortError } from '../../errors.js';
import type { PSInput } from '../../clixml/index.js';
import { toPlain } from '../../clixml/plain.js';
import type { PowerShellInvocation } from '../powershell.js';
import type { RunspacePool } from '../runspace-pool.js';
import { FileTransferError, localFailure } from './errors.js';
import { LocalFileWriter } from './local.js';
import { ABORT_GRACE_MS, msFromTicks, ticksFromMs, type CopiedFile, type CopyOptions } from './options.js';
import { remoteFailure } from './prepare.js';
import { LaneRun } from './lane-run.js';
import type { ProgressMeter } from './progress.js';
import { FILE_HASH_SCRIPT, RANGE_COMMIT_SCRIPT, RANGE_OPEN_SCRIPT, RANGE_READ_SCRIPT, RANGE_WRITE_SCRIPT } from './range-scripts.js';

/** Whether a file of `size` bytes is worth splitting over `lanes` pipelines of `chunk`-byte chunks. */
export function useRanges(size: number, chunk: number, lanes: number): boolean {
  return lanes > 1 && size >= chunk * lanes * 4;
}

/** [offset, length] of each lane's range, whole chunks each but the last. */
export function splitRanges(size: number, chunk: number, lanes: number): [number, number][] {
  const chunks = Math.ceil(size / chunk);
  const per = Math.ceil(chunks / lanes);
  const out: [number, number][] = [];
  for (let off = 0; off < size; off += per * chunk) out.push([off, Math.min(per * chunk, size - off)]);
  return out;
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const b of createReadStream(path, { highWaterMark: 1 << 16 })) h.update(b as Buffer);
  } catch (e) {
    throw localFailure(e, path);
  }
  return h.digest('hex');
}

/** The one line a small helper script answers (or its X failure). */
async function answer(pool: RunspacePool, script: string, parameters: Record<string, PSInput>, want: string): Promise<string[]> {
  const out = (await pool.invoke({ script, parameters, useLocalScope: true }).result()).output;
  const line = String(toPlain(out[0] as never) ?? '');
  if (line.startsWith('X\t')) throw remoteFailure(line);
  if (!line.startsWith(want)) throw new FileTransferError('IO', 'remote', String(parameters.Final ?? parameters.Path ?? '?'), `unexpected answer: ${line.slice(0, 80) || 'none'}`);
  return line.split('\t');
}

/** Stops the run on abort: lanes see the failure, and pipelines that do not let go are stopped outright. */
function abortable(signal: AbortSignal | undefined, what: string, invs: PowerShellInvocation[], stop: (e: Error) => void): () => void {
  let hard: NodeJS.Timeout | undefined;
  const onAbort = () => {
    stop(new AbortError(`the ${what} was aborted`, { cause: signal?.reason }));
    hard = setTimeout(() => invs.forEach((i) => void i.stop().catch(() => undefined)), ABORT_GRACE_MS);
    hard.unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(hard);
  };
}

export async function uploadRanges(
  pool: RunspacePool,
  args: { source: string; size: number; mtimeMs: number; final: string; chunk: number; lanes: number },
  options: CopyOptions,
  meter: ProgressMeter,
): Promise<CopiedFile> {
  const { source, size, final, chunk } = args;
  const window = Math.max(1, options.window ?? 4);
  const [, tmp = ''] = await answer(pool, RANGE_OPEN_SCRIPT, { Final: final, Length: BigInt(size) }, 'T\t');
  const run = new LaneRun();
  const invs: PowerShellInvocation[] = [];
  const off = abortable(options.signal, `upload to ${final}`, invs, run.stop);
  let fh: FileHandle | undefined;
  try {
    fh = await open(source, 'r').catch((e: unknown) => {
      throw localFailure(e, source);
    });
    const file = fh;
    const hashing = sha256Of(source);
    hashing.catch(() => undefined);
    const lane = async ([offset, length]: [number, number]): Promise<void> => {
      let sent = 0;
      let acked = 0;
      async function* input(): AsyncGenerator<PSInput> {
        for (let done = 0; done < length && !run.failure; ) {
          while (sent - acked >= window && !run.failure) await run.changed();
          if (run.failure) break;
          const n = Math.min(chunk, length - done);
          const buf = Buffer.allocUnsafe(n);
          let got = 0;
          while (got < n) {
            const { bytesRead } = await file.read(buf, got, n - got, offset + done + got).catch((e: unknown) => {
              throw localFailure(e, source);
            });
            if (bytesRead === 0) throw new FileTransferError('IO', 'local', source, 'the file shrank while it was read');
            got += bytesRead;
          }
          done += n;
          sent++;
          meter.add(n, source);
          yield buf;
        }
        if (run.failure) yield 'Q';
      }
      const inv = pool.invoke({ script: RANGE_WRITE_SCRIPT, useLocalScope: true, parameters: { Tmp: tmp, Final: final, Offset: BigInt(offset) } }, { input: input(), streamOutput: true });
      invs.push(inv);
      try {
        for await (const o of inv) {
          const rec = String(toPlain(o as never));
          if (rec === 'K') {
            acked++;
            run.wake();
          } else if (rec.startsWith('X\t')) run.stop(remoteFailure(rec));
        }
        await inv.result();
      } catch (e) {
        run.stop(e as Error);
      }
    };
    await Promise.all(splitRanges(size, chunk, args.lanes).map(lane));
    const sha = await hashing.catch((e: unknown) => {
      run.stop(e as Error);
      return '';
    });
    if (run.failure) throw run.failure;
    const times = options.preserveTimes !== false && args.mtimeMs >= 0;
    const [, , theirs = '', n = '0'] = await answer(
      pool,
      RANGE_COMMIT_SCRIPT,
      { Tmp: tmp, Final: final, Sha: sha, Overwrite: options.overwrite === true, Ticks: times ? BigInt(ticksFromMs(args.mtimeMs)) : -1n },
      'R\t',
    );
    meter.fileDone();
    return { relativePath: '', source, destination: final, bytes: Number(n), sha256: theirs, verified: true };
  } catch (e) {
    // Best effort: a server that still answers throws the temporary file away.
    await answer(pool, RANGE_COMMIT_SCRIPT, { Tmp: tmp, Final: final, Sha: '', Overwrite: false, Ticks: -1n }, 'Q').catch(() => undefined);
    throw run.failure ?? e;
  } finally {
    off();
    await fh?.close().catch(() => undefined);
  }
}

export async function downloadRanges(
  pool: RunspacePool,
  args: { remote: string; size: number; ticks: string; local: string; chunk: number; lanes: number; overwrite: boolean },
  options: CopyOptions,
  meter: ProgressMeter,
): Promise<CopiedFile> {
  const { remote, size, chunk } = args;
  const window = Math.max(2, options.window ?? 4);
  meter.bytesTotal = (meter.bytesTotal ?? 0) + size;
  meter.filesTotal = (meter.filesTotal ?? 0) + 1;
  const writer = await LocalFileWriter.create(args.local, args.overwrite);
  const run = new LaneRun();
  const invs: PowerShellInvocation[] = [];
  const off = abortable(options.signal, `download of ${remote}`, invs, run.stop);
  try {
    const lane = async ([offset, length]: [number, number]): Promise<void> => {
      let owed = 0;
      let ended = false;
      async function* credits(): AsyncGenerator<string> {
        yield String(window);
        for (;;) {
          while (!run.failure && !ended && owed < window / 2) await run.changed();
          if (ended) return;
          if (run.failure) {
            yield 'Q';
            return;
          }
          const n = owed;
          owed = 0;
          yield String(n);
        }
      }
      const inv = pool.invoke({ script: RANGE_READ_SCRIPT, useLocalScope: true, parameters: { Path: remote, Offset: BigInt(offset), Length: BigInt(length), Chunk: chunk } }, { input: credits(), streamOutput: true });
      invs.push(inv);
      let at = offset;
      try {
        for await (const o of inv) {
          if (!run.failure) {
            if (o instanceof Uint8Array) {
              if (at + o.length > offset + length) run.stop(new FileTransferError('IO', 'remote', remote, 'the server sent more than the range'));
              else {
                await writer.writeAt(o, at).catch(run.stop);
                at += o.length;
                meter.add(o.length, remote);
              }
            } else {
              const rec = String(toPlain(o as never));
              if (rec.startsWith('X\t')) run.stop(remoteFailure(rec));
              else if (rec === 'Z') ended = true;
            }
          }
          owed++;
          run.wake();
        }
        await inv.result();
        if (!run.failure && at !== offset + length) run.stop(new FileTransferError('IO', 'remote', remote, `range at ${offset}: ${at - offset} of ${length} bytes arrived`));
      } catch (e) {
        run.stop(e as Error);
      } finally {
        ended = true;
        run.wake();
      }
    };
    await Promise.all(splitRanges(size, chunk, args.lanes).map(lane));
    if (run.failure) throw run.failure;
    const [[, theirs = '', n = '0'], mine] = await Promise.all([answer(pool, FILE_HASH_SCRIPT, { Path: remote }, 'H\t'), sha256Of(writer.tmp)]);
    if (theirs !== mine || Number(n) !== size) {
      throw new FileTransferError('HashMismatch', 'local', writer.final, `server ${theirs} (${n} bytes), received ${mine} (${size} bytes)`);
    }
    await writer.commit(args.overwrite, options.preserveTimes !== false ? msFromTicks(args.ticks) : undefined);
    meter.fileDone();
    return { relativePath: '', source: remote, destination: writer.final, bytes: size, sha256: mine, verified: true };
  } catch (e) {
    await writer.discard();
    throw run.failure ?? e;
  } finally {
    off();
  }
}
