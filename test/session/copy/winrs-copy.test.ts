// copyToHost / copyFromHost: files over one WinRS command against the local
// endpoint, whose cmd commands run through /bin/sh with real pwsh as the copy's
// process (the endpoint's PATH has no `powershell`, so every copy here also
// goes through the fallback to `pwsh`, counted in Command requests). The test
// hashes every copy itself; corruption is the endpoint's `rewrite` fault
// flipping one byte of the raw stdin or stdout inside a Send or a Receive.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync as readFileBytes, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../../src/server/endpoint.js';
import { copyFromHost, copyToHost } from '../../../src/session/copy/index.js';
import { ticksFromMs } from '../../../src/session/copy/options.js';
import { HEAD } from '../../../src/session/copy/winrs-frames.js';
import { stdinBytesPerSend } from '../../../src/winrm/winrs.js';
import { describeWithPwsh } from '../../helpers/pwsh.js';
import { randomFile, sha256File } from './harness.js';

const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes('psremote-tmp'));

/** Every file under a folder (relative path → SHA-256) and every folder, as the test sees them. */
function tree(root: string): { files: Record<string, string>; dirs: string[] } {
  const files: Record<string, string> = {};
  const dirs: string[] = [];
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        dirs.push(relative(root, p));
        visit(p);
      } else if (e.isFile()) files[relative(root, p)] = createHash('sha256').update(readFileBytes(p)).digest('hex');
    }
  };
  visit(root);
  return { files, dirs: dirs.sort() };
}

/** A rewrite of the first stream (of a Send or a Receive) with at least `min` bytes: one byte in its middle flipped. */
function flipOnce(min: number): { rewrite: (soap: string) => string; done: () => boolean } {
  let done = false;
  return {
    done: () => done,
    rewrite(soap) {
      if (done) return soap;
      // a Receive answer holds a stream element per piece the child wrote (pipe-sized): any of them will do
      return soap.replace(/(<rsp:Stream\b[^>]*>)([^<]+)(<\/rsp:Stream>)/g, (all, open: string, b64: string, close: string) => {
        const bytes = Buffer.from(b64, 'base64');
        if (done || bytes.length < min) return all;
        bytes[bytes.length >> 1]! ^= 0x01;
        done = true;
        return `${open}${bytes.toString('base64')}${close}`;
      });
    },
  };
}

describeWithPwsh('copyToHost / copyFromHost over WinRS against real pwsh', (pwsh) => {
  let ep: LocalEndpoint;
  let dir: string;
  const path = process.env.PATH;
  const commands = () => ep.stats.requests.Command ?? 0;
  const sends = () => ep.stats.requests.Send ?? 0;

  beforeAll(async () => {
    // the endpoint's cmd commands run through /bin/sh with this process's PATH: pwsh must be on it
    process.env.PATH = `${dirname(pwsh)}${delimiter}${path ?? ''}`;
    ep = await startEndpoint({});
    dir = mkdtempSync(join(tmpdir(), 'psremote-winrscopy-'));
  });
  afterAll(async () => {
    process.env.PATH = path;
    await ep?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('0 bytes, 1 byte, exactly one frame, one byte more: byte-identical both ways, through the pwsh fallback', { timeout: 180_000 }, async () => {
    const sendSize = stdinBytesPerSend(512_000);
    const mtime = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    // the first Send after the script holds the file's F record (an R frame) and one D frame that fills the rest
    const oneFrame = (size: number) => sendSize - HEAD - Buffer.byteLength(`F\t\t${size}\t${ticksFromMs(mtime)}`) - HEAD;
    const frame = oneFrame(oneFrame(300_000));
    expect(oneFrame(frame)).toBe(frame);
    for (const size of [0, 1, frame, frame + 1]) {
      const local = join(dir, `f${size}.bin`);
      const remote = join(dir, `remote-${size}.bin`);
      const back = join(dir, `back-${size}.bin`);
      await randomFile(local, size);
      utimesSync(local, mtime / 1000, mtime / 1000);
      const want = await sha256File(local);
      const [c0, s0] = [commands(), sends()];
      const up = await copyToHost(ep.url, local, remote);
      // `powershell` is not found (sh: 127), then `pwsh` runs the copy
      expect(commands() - c0).toBe(2);
      if (size === frame) expect(sends() - s0).toBe(1 + 3); // the failed try's script, then script, the full Send, the end
      expect(up.chunkSize).toBe(sendSize);
      expect(up.files).toEqual([{ relativePath: '', source: local, destination: remote, bytes: size, sha256: want, verified: true }]);
      expect(await sha256File(remote)).toBe(want);
      const down = await copyFromHost(ep.url, remote, back, { powershell: pwsh });
      expect(down.files.map((f) => [f.destination, f.bytes, f.sha256])).toEqual([[back, size, want]]);
      expect(await sha256File(back)).toBe(want);
      expect(Math.abs(statSync(remote).mtimeMs - mtime)).toBeLessThan(0.01);
      expect(Math.abs(statSync(back).mtimeMs - mtime)).toBeLessThan(0.01);
    }
    expect(temps(dir)).toEqual([]);
  });

  it('100 MiB of random data both ways, hashes compared by the test', { timeout: 300_000 }, async () => {
    const size = 100 * 1024 * 1024;
    const local = join(dir, 'big.bin');
    const remote = join(dir, 'big-remote.bin');
    const back = join(dir, 'big-back.bin');
    await randomFile(local, size);
    const want = await sha256File(local);
    let t = Date.now();
    const up = await copyToHost(ep.url, local, remote, { powershell: pwsh });
    const upS = (Date.now() - t) / 1000;
    expect(up.files[0]).toMatchObject({ bytes: size, sha256: want });
    expect(await sha256File(remote)).toBe(want);
    t = Date.now();
    const down = await copyFromHost(ep.url, remote, back, { powershell: pwsh });
    const downS = (Date.now() - t) / 1000;
    expect(down.files[0]).toMatchObject({ bytes: size, sha256: want });
    expect(await sha256File(back)).toBe(want);
    console.log(`winrs copy 100 MiB: up ${(100 / upS).toFixed(1)} MiB/s, down ${(100 / downS).toFixed(1)} MiB/s`);
    rmSync(local);
    rmSync(remote);
    rmSync(back);
  });

  it('a tree with Unicode names, empty folders, a symlink and 2000 small files, both ways', { timeout: 300_000 }, async () => {
    const src = join(dir, 'tree-src');
    mkdirSync(join(src, 'empty', 'deeper-empty'), { recursive: true });
    mkdirSync(join(src, 'dossier é', '日本語'), { recursive: true });
    writeFileSync(join(src, 'dossier é', '日本語', 'ファイル.txt'), 'こんにちは');
    writeFileSync(join(src, 'dossier é', 'Ünïcödé 🎉.bin'), Buffer.from([0, 1, 2, 255]));
    for (let i = 0; i < 2000; i++) {
      const sub = join(src, 'many', `d${i % 20}`);
      if (i < 20) mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${i}.txt`), `file ${i} `.repeat(i % 50));
    }
    symlinkSync('dossier é', join(src, 'link'));
    const want = tree(src);
    const remoteRoot = join(dir, 'tree-remote');
    mkdirSync(remoteRoot);
    const up = await copyToHost(ep.url, src, remoteRoot, { recursive: true, powershell: pwsh });
    expect(up.files.length).toBe(2002);
    expect(up.skipped).toEqual([{ path: join(src, 'link'), reason: 'symbolic link to dossier é (not followed)' }]);
    expect(tree(join(remoteRoot, 'tree-src'))).toEqual(want);
    expect(Math.abs(statSync(join(remoteRoot, 'tree-src', 'empty')).mtimeMs - statSync(join(src, 'empty')).mtimeMs)).toBeLessThan(0.01);
    const backRoot = join(dir, 'tree-back');
    mkdirSync(backRoot);
    const down = await copyFromHost(ep.url, join(remoteRoot, 'tree-src'), backRoot, { recursive: true, powershell: pwsh });
    expect(down.files.length).toBe(2002);
    expect(tree(join(backRoot, 'tree-src'))).toEqual(want);
    expect(temps(join(remoteRoot, 'tree-src', 'many', 'd7'))).toEqual([]);
  });

  it('an existing target is refused without overwrite and replaced with it; a missing remote file is NotFound', { timeout: 120_000 }, async () => {
    const local = join(dir, 'new.txt');
    const remote = join(dir, 'existing.txt');
    writeFileSync(local, 'new content');
    writeFileSync(remote, 'old content');
    const o = { powershell: pwsh };
    await expect(copyToHost(ep.url, local, remote, o)).rejects.toMatchObject({ code: 'PSR_COPY_TARGET_EXISTS', path: remote, side: 'remote' });
    expect(readFileBytes(remote, 'utf8')).toBe('old content');
    await copyToHost(ep.url, local, remote, { ...o, overwrite: true });
    expect(readFileBytes(remote, 'utf8')).toBe('new content');
    const back = join(dir, 'existing-local.txt');
    writeFileSync(back, 'keep me');
    await expect(copyFromHost(ep.url, remote, back, o)).rejects.toMatchObject({ code: 'PSR_COPY_TARGET_EXISTS', path: back, side: 'local' });
    expect(readFileBytes(back, 'utf8')).toBe('keep me');
    await copyFromHost(ep.url, remote, back, { ...o, overwrite: true });
    expect(readFileBytes(back, 'utf8')).toBe('new content');
    await expect(copyFromHost(ep.url, join(dir, 'no-such-file'), join(dir, 'x'), o)).rejects.toMatchObject({ code: 'PSR_COPY_NOT_FOUND', side: 'remote', path: join(dir, 'no-such-file') });
    await expect(copyToHost(ep.url, local, join(dir, 'no', 'such', 'f.txt'), o)).rejects.toMatchObject({ code: 'PSR_COPY_NOT_FOUND', side: 'remote', path: join(dir, 'no', 'such') });
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('a byte flipped on the way up or down is a hash mismatch: no file under the final name, no temporary', { timeout: 120_000 }, async () => {
    const local = join(dir, 'c.bin');
    await randomFile(local, 3_000_000);
    const up = flipOnce(100_000);
    ep.faults.add({ operation: 'Send', times: Infinity, action: { type: 'rewrite', request: up.rewrite } });
    try {
      await expect(copyToHost(ep.url, local, join(dir, 'c-remote.bin'), { powershell: pwsh })).rejects.toMatchObject({ code: 'PSR_COPY_HASH_MISMATCH', side: 'remote', path: join(dir, 'c-remote.bin') });
    } finally {
      ep.faults.clear();
    }
    expect(up.done()).toBe(true);
    expect(existsSync(join(dir, 'c-remote.bin'))).toBe(false);
    expect(temps(dir)).toEqual([]);
    const down = flipOnce(30_000);
    ep.faults.add({ operation: 'Receive', times: Infinity, action: { type: 'rewrite', response: down.rewrite } });
    try {
      await expect(copyFromHost(ep.url, local, join(dir, 'c-back.bin'), { powershell: pwsh })).rejects.toMatchObject({ code: 'PSR_COPY_HASH_MISMATCH', side: 'local', path: join(dir, 'c-back.bin') });
    } finally {
      ep.faults.clear();
    }
    expect(down.done()).toBe(true);
    expect(existsSync(join(dir, 'c-back.bin'))).toBe(false);
    expect(temps(dir)).toEqual([]);
  });

  it('an AbortSignal half-way leaves no file under the final name, and the server removes its temporary file', { timeout: 120_000 }, async () => {
    const ac = new AbortController();
    let sent = 0;
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < 200; i++) {
          sent += 1 << 20;
          if (sent === 8 << 20) ac.abort(new Error('enough'));
          yield Buffer.alloc(1 << 20, i);
        }
      })(),
    );
    const remoteDir = join(dir, 'abort-up');
    mkdirSync(remoteDir);
    await expect(copyToHost(ep.url, source, join(remoteDir, 'a.bin'), { powershell: pwsh, signal: ac.signal })).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    expect(sent).toBeLessThan(20 << 20);
    expect(existsSync(join(remoteDir, 'a.bin'))).toBe(false);
    // the server deleted it after the Q record, before its process ended (the shell's Delete waited for nothing else)
    expect(temps(remoteDir)).toEqual([]);

    const remote = join(dir, 'abort-down.bin');
    await randomFile(remote, 30_000_000);
    const ac2 = new AbortController();
    const localDir = join(dir, 'abort-down');
    mkdirSync(localDir);
    const onProgress = (p: { bytesDone: number }) => (p.bytesDone > 5_000_000 ? ac2.abort() : undefined);
    await expect(copyFromHost(ep.url, remote, join(localDir, 'a.bin'), { powershell: pwsh, signal: ac2.signal, onProgress, progressIntervalMs: 0 })).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    expect(readdirSync(localDir)).toEqual([]);
  });

  it('an AbortSignal while the host PowerShell starts: nothing sent, PSR_ABORTED', { timeout: 60_000 }, async () => {
    const local = join(dir, 'early.bin');
    await randomFile(local, 1_000_000);
    const s0 = sends();
    // pwsh takes a second or more to start here, so this fires before its first answer
    await expect(copyToHost(ep.url, local, join(dir, 'early-remote.bin'), { powershell: pwsh, signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    expect(existsSync(join(dir, 'early-remote.bin'))).toBe(false);
    expect(sends() - s0).toBeLessThanOrEqual(1); // the script at most, no data
    await expect(copyFromHost(ep.url, local, join(dir, 'early-back.bin'), { powershell: pwsh, signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    expect(existsSync(join(dir, 'early-back.bin'))).toBe(false);
  });

  it('no PowerShell on the host: both names tried, a typed error', { timeout: 60_000 }, async () => {
    const c0 = commands();
    await expect(copyToHost(ep.url, join(dir, 'new.txt'), join(dir, 'nowhere.txt'), { environment: { PATH: '/nonexistent' } })).rejects.toMatchObject({
      code: 'PSR_COPY_RESTRICTED_ENDPOINT',
      message: expect.stringMatching(/no PowerShell to run the copy: powershell \(exit code 127\), pwsh \(exit code 127\) not found/),
    });
    expect(commands() - c0).toBe(2);
    expect(existsSync(join(dir, 'nowhere.txt'))).toBe(false);
  });
});
