// copyToHost: local files to a host over one WinRS command, the bytes raw on
// the command's stdin (no PSRP, no CLIXML, no base64 but WinRS's own). The
// server script answers one line per file on stdout; stdin is pumped from the
// files in Send-sized buffers as the Sends are answered, so nothing is held
// but those buffers. Framing: spec-notes/winrs-copy.md.

import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { AbortError, UsageError } from '../../errors.js';
import type { Target } from '../../winrm/target.js';
import type { WinRSCommand } from '../../winrm/winrs.js';
import { FileTransferError, localFailure } from './errors.js';
import { ABORT_GRACE_MS, relB64, relFromB64, ticksFromMs, type CopiedFile, type CopyResult, type CopySource } from './options.js';
import { remoteFailure } from './prepare.js';
import { planUpload, type UploadEntry } from './upload-plan.js';
import { lines, StdinPacker } from './winrs-frames.js';
import { startCopy, stderrText, withHostShell, type HostCopyOptions } from './winrs-host.js';
import { uploadScript } from './winrs-scripts.js';

/** Copies a local file, folder (recursive) or stream to `remotePath` on the host, over WinRS (docs/file-transfer.md). */
export async function copyToHost(target: Target, source: CopySource, remotePath: string, options: HostCopyOptions = {}): Promise<CopyResult> {
  const signal = options.signal;
  if (signal?.aborted) throw new AbortError('the upload was aborted before it began');
  if (!remotePath) throw new UsageError('copyToHost: the remote path is empty');
  const times = options.preserveTimes !== false;
  const plan = await planUpload(source, options);
  const { meter, entries } = plan;
  return withHostShell(target, options, async (shell, sendSize) => {
    let failure: Error | undefined;
    const stop = (e: Error) => void (failure ??= e);
    const files: CopiedFile[] = [];
    let base = remotePath;
    let sep = '\\';

    async function* frames(): AsyncGenerator<Buffer> {
      const p = new StdinPacker(sendSize);
      for (const e of entries) {
        if (failure) break;
        if (e.kind === 'dir') {
          p.record(`M\t${relB64(e.rel)}`);
          continue;
        }
        p.record(`F\t${relB64(e.rel)}\t${e.size}\t${times && e.mtimeMs >= 0 ? ticksFromMs(e.mtimeMs) : -1}`);
        const bytes = yield* fileFrames(p, e, (n) => meter.add(n, e.rel || String(e.source)), () => failure !== undefined);
        if (failure) break;
        if (e.size >= 0 && bytes.n !== e.size) {
          stop(new FileTransferError('IO', 'local', String(e.source), `the file changed while it was read (${e.size} bytes, then ${bytes.n})`));
          break;
        }
        p.record(`E\t${bytes.sha256}`);
      }
      if (failure) p.record('Q');
      else if (times && plan.mode === 'tree') {
        const remote = (rel: string) => (rel ? `${base}${sep}${rel.split('/').join(sep)}` : base);
        const folders = entries.filter((x) => x.kind === 'dir');
        const list = [...folders.map((f) => `${remote(f.rel)}\t${ticksFromMs(f.mtimeMs)}`).reverse(), `${base}\t${ticksFromMs(plan.rootMtime!)}`];
        yield* p.records();
        yield* p.frame('T', Buffer.from(list.join('\n'), 'utf8'));
      }
      yield* p.records();
      yield* p.frame('Z', Buffer.alloc(0));
      const last = p.flush();
      if (last) yield last;
    }

    const script = uploadScript({ target: remotePath, mode: plan.mode, name: plan.name, createParents: options.createParents === true, overwrite: options.overwrite === true, times });
    let answers: AsyncGenerator<string> | undefined;
    const first = async (cmd: WinRSCommand): Promise<string | undefined> => {
      answers = lines(cmd.stdout, remotePath);
      const r = await answers.next();
      return r.done ? undefined : r.value;
    };
    const { host, answer } = await startCopy(shell, options, remotePath, script, frames, first);
    const cmd = host.cmd;
    // aborted while the host's PowerShell started: nothing was sent, the shell's Delete ends it
    if (signal?.aborted) {
      host.cancel();
      throw new AbortError(`the upload to ${remotePath} was aborted`, { cause: signal.reason });
    }
    if (!answer.startsWith('P\t')) {
      host.cancel();
      throw answer.startsWith('RESTRICTED\t')
        ? new FileTransferError('Restricted', 'remote', remotePath, `the host's PowerShell runs in ${answer.split('\t')[1]} mode; the copy script needs FullLanguage`)
        : answer.startsWith('X\t')
          ? remoteFailure(answer)
          : new FileTransferError('IO', 'remote', remotePath, `the copy script did not answer as expected (${answer.slice(0, 80)})`);
    }
    [, base = remotePath, sep = '\\'] = answer.split('\t');
    // An abort is told to the server (Q, then Z): it deletes its temporary file and exits; one that does not is terminated.
    let hard: NodeJS.Timeout | undefined;
    const onAbort = () => {
      stop(new AbortError(`the upload to ${base} was aborted`, { cause: signal?.reason }));
      hard = setTimeout(() => void cmd.terminate().catch(() => undefined), ABORT_GRACE_MS);
      hard.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    host.go();
    const byRel = new Map(entries.filter((x) => x.kind === 'file').map((x) => [x.rel, x]));
    let ended = false;
    try {
      for await (const line of answers!) {
        const f = line.split('\t');
        if (line[0] === 'R') {
          const relativePath = relFromB64(f[1] ?? '');
          const e = byRel.get(relativePath);
          files.push({
            relativePath,
            source: typeof e?.source === 'string' ? e.source : '<stream>',
            destination: relativePath ? `${base}${sep}${relativePath.split('/').join(sep)}` : base,
            bytes: Number(f[3] ?? 0),
            sha256: f[2] ?? '',
            verified: true,
          });
          meter.fileDone();
        } else if (line[0] === 'X') stop(remoteFailure(line));
        else if (line === 'Z') ended = true;
      }
      const code = await cmd.exitCode;
      if (!failure && !ended) throw new FileTransferError('IO', 'remote', base, `the copy ended before its end record (exit code ${code}${await errText(host.stderr())})`);
    } catch (e) {
      stop(e as Error);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(hard);
      host.cancel();
    }
    if (failure) throw failure;
    meter.finish();
    files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : 1));
    const folders = entries.filter((x) => x.kind === 'dir').length + (plan.mode === 'tree' ? 1 : 0);
    return { files, folders, skipped: plan.skipped, bytes: meter.bytesDone, seconds: meter.seconds, chunkSize: sendSize, parallel: 1 };
  });
}

const errText = async (p: Promise<string>): Promise<string> => {
  const t = stderrText(await p);
  return t ? `: ${t}` : '';
};

/** A file's D frames, read into the packer's buffers; its byte count and SHA-256. */
async function* fileFrames(p: StdinPacker, e: UploadEntry, progress: (n: number) => void, stopped: () => boolean): AsyncGenerator<Buffer, { n: number; sha256: string }> {
  const hash = createHash('sha256');
  let n = 0;
  if (typeof e.source === 'string') {
    let fh: FileHandle;
    try {
      fh = await open(e.source, 'r');
    } catch (err) {
      throw localFailure(err, e.source);
    }
    try {
      for (;;) {
        let got: number;
        try {
          got = yield* p.fileData(fh, Number.MAX_SAFE_INTEGER, hash);
        } catch (err) {
          throw localFailure(err, e.source);
        }
        if (got === 0) break;
        n += got;
        progress(got);
        if (stopped()) break;
      }
    } finally {
      await fh.close();
    }
  } else {
    for await (const piece of e.source as AsyncIterable<Uint8Array | string>) {
      const b = typeof piece === 'string' ? Buffer.from(piece) : piece;
      hash.update(b);
      n += b.length;
      yield* p.data(b);
      progress(b.length);
      if (stopped()) break;
    }
  }
  return { n, sha256: hash.digest('hex') };
}
