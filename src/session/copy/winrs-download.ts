// copyFromHost: remote files out of a host over one WinRS command, the bytes
// raw on its stdout. The server writes frames (T: records, B: a file's bytes)
// and blocks while the client is behind (the pipe, the endpoint's outbox, the
// client's ByteStream: each pauses the one before); each file lands under a
// temporary name and is linked into place only once its SHA-256 matches.

import { AbortError, UsageError } from '../../errors.js';
import type { Target } from '../../winrm/target.js';
import type { WinRSCommand } from '../../winrm/winrs.js';
import { FileTransferError } from './errors.js';
import { DownloadSink, placeDestination } from './download-sink.js';
import type { CopyDestination, CopyResult } from './options.js';
import { remoteFailure } from './prepare.js';
import { ProgressMeter } from './progress.js';
import { FrameReader, type DownloadFrame } from './winrs-frames.js';
import { startCopy, stderrText, withHostShell, type HostCopyOptions } from './winrs-host.js';
import { downloadScript } from './winrs-scripts.js';

/** Copies remote files or folders (recursive) to a local path or a Writable, over WinRS (docs/file-transfer.md). */
export async function copyFromHost(target: Target, remotePath: string | readonly string[], destination: CopyDestination, options: HostCopyOptions = {}): Promise<CopyResult> {
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('the download was aborted before it began');
  const paths = typeof remotePath === 'string' ? [remotePath] : [...remotePath];
  if (paths.length === 0 || paths.some((p) => !p)) throw new UsageError('copyFromHost: give at least one remote path, none empty');
  const overwrite = options.overwrite === true;
  const times = options.preserveTimes !== false;
  const into = await placeDestination(destination, paths.length, options.createParents === true, 'copyFromHost');
  const meter = new ProgressMeter({
    ...(options.now ? { now: options.now } : {}),
    ...(options.progressIntervalMs !== undefined ? { intervalMs: options.progressIntervalMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });

  const sink = new DownloadSink({ destination, into, overwrite, times, meter, where: paths[0]!, api: 'copyFromHost' });

  return withHostShell(target, options, async (shell, sendSize) => {
    const chunk = options.chunkSize ?? sendSize;
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
        if (g.type === 'B') await sink.data(g.data);
        else for (const rec of g.text.split('\n')) await sink.record(rec);
      };
      for (const g of pending) await frame(g);
      for (let r = await out!.next(); !r.done; r = await out!.next()) {
        // what the stream still holds after an abort is not written
        if (signal?.aborted) break;
        for (const g of reader.feed(r.value)) await frame(g);
      }
      if (signal?.aborted) throw new AbortError(`the download of ${paths.join(', ')} was aborted`, { cause: signal.reason });
      const code = await cmd.exitCode;
      if (!sink.ended) {
        const err = stderrText(await host.stderr());
        throw new FileTransferError('IO', 'remote', paths[0]!, `the copy ended before its end record (exit code ${code}${err ? `: ${err}` : ''})`);
      }
    } catch (e) {
      if (signal?.aborted) throw new AbortError(`the download of ${paths.join(', ')} was aborted`, { cause: signal.reason });
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await sink.discard();
      if (!sink.ended) await out?.return?.();
    }
    await sink.setFolderTimes();
    meter.finish();
    return { files: sink.files, folders: sink.folders, skipped: sink.skipped, bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: chunk, parallel: 1 };
  });
}
