// Files up and down through the local endpoint with real pwsh behind it: the
// sizes around a chunk boundary, a stream source and destination, progress,
// and modification times. The test hashes every copy itself.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFromSession, copyToSession, type CopyProgress } from '../../../src/session/copy/index.js';
import { chunkSizeFor } from '../../../src/session/copy/options.js';
import { describeWithPwsh } from '../../helpers/pwsh.js';
import { copyRig, randomFile, sha256File, type CopyRig } from './harness.js';

describeWithPwsh('file transfer against real pwsh behind the endpoint', (pwsh) => {
  let rig: CopyRig;
  beforeAll(async () => {
    rig = await copyRig(pwsh);
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('0 bytes, 1 byte, exactly one chunk and one byte more arrive byte-identical both ways', { timeout: 120_000 }, async () => {
    const chunk = chunkSizeFor(rig.pool.payloadBudget);
    expect(rig.pool.payloadBudget).toBeGreaterThan(300_000); // the 500 KiB envelope of protocol ≥ 2.2
    for (const size of [0, 1, chunk, chunk + 1]) {
      const local = join(rig.dir, `f${size}.bin`);
      const remote = join(rig.dir, `remote-${size}.bin`);
      const back = join(rig.dir, `back-${size}.bin`);
      await randomFile(local, size);
      const want = await sha256File(local);
      const up = await copyToSession(rig.pool, local, remote);
      expect(up.chunkSize).toBe(chunk);
      expect(up.files).toEqual([{ relativePath: '', source: local, destination: remote, bytes: size, sha256: want, verified: true }]);
      expect(await sha256File(remote)).toBe(want);
      expect(statSync(remote).size).toBe(size);
      const down = await copyFromSession(rig.pool, remote, back);
      expect(down.files.map((f) => [f.destination, f.bytes, f.sha256])).toEqual([[back, size, want]]);
      expect(await sha256File(back)).toBe(want);
      // modification times kept both ways (.NET ticks are 100 ns; a JS number of ms is a little coarser)
      expect(Math.abs(statSync(remote).mtimeMs - statSync(local).mtimeMs)).toBeLessThan(0.01);
      expect(Math.abs(statSync(back).mtimeMs - statSync(remote).mtimeMs)).toBeLessThan(0.01);
    }
    // nothing left behind under a temporary name
    expect(readdirSync(rig.dir).filter((n) => n.includes('psremote-tmp'))).toEqual([]);
  });

  it('an existing target is refused without overwrite and replaced with it', async () => {
    const local = join(rig.dir, 'new.txt');
    const remote = join(rig.dir, 'existing.txt');
    writeFileSync(local, 'new content');
    writeFileSync(remote, 'old content');
    await expect(copyToSession(rig.pool, local, remote)).rejects.toMatchObject({ code: 'PSR_COPY_TARGET_EXISTS', path: remote, side: 'remote' });
    expect(await sha256File(remote)).toBe(createHash('sha256').update('old content').digest('hex'));
    await copyToSession(rig.pool, local, remote, { overwrite: true });
    expect(await sha256File(remote)).toBe(createHash('sha256').update('new content').digest('hex'));
    const back = join(rig.dir, 'existing-local.txt');
    writeFileSync(back, 'keep me');
    await expect(copyFromSession(rig.pool, remote, back)).rejects.toMatchObject({ code: 'PSR_COPY_TARGET_EXISTS', path: back, side: 'local' });
    expect(await sha256File(back)).toBe(createHash('sha256').update('keep me').digest('hex'));
    await copyFromSession(rig.pool, remote, back, { overwrite: true });
    expect(await sha256File(back)).toBe(createHash('sha256').update('new content').digest('hex'));
  });

  it('into an existing folder, the name is kept; missing parents only with createParents', async () => {
    const local = join(rig.dir, 'named.txt');
    writeFileSync(local, 'x');
    const into = join(rig.dir, 'into');
    mkdirSync(into);
    const r = await copyToSession(rig.pool, local, into);
    expect(r.files[0]!.destination).toBe(join(into, 'named.txt'));
    expect(statSync(join(into, 'named.txt')).size).toBe(1);
    const deep = join(rig.dir, 'a', 'b', 'c.txt');
    await expect(copyToSession(rig.pool, local, deep)).rejects.toMatchObject({ code: 'PSR_COPY_NOT_FOUND', path: join(rig.dir, 'a', 'b') });
    await copyToSession(rig.pool, local, deep, { createParents: true });
    expect(statSync(deep).size).toBe(1);
    await expect(copyFromSession(rig.pool, join(rig.dir, 'no-such-file'), join(rig.dir, 'x'))).rejects.toMatchObject({
      code: 'PSR_COPY_NOT_FOUND',
      side: 'remote',
      path: join(rig.dir, 'no-such-file'),
    });
  });

  it('a Readable or an async iterable as the source, a Writable as the destination; progress with rate and ETA', async () => {
    const data = Buffer.alloc(700_001, 7);
    const remote = join(rig.dir, 'from-stream.bin');
    await copyToSession(rig.pool, Readable.from([data.subarray(0, 5), data.subarray(5)]), remote);
    expect(await sha256File(remote)).toBe(createHash('sha256').update(data).digest('hex'));
    async function* bytes() {
      for (let i = 0; i < data.length; i += 65_536) yield data.subarray(i, i + 65_536);
    }
    await copyToSession(rig.pool, bytes(), remote, { overwrite: true });
    expect(await sha256File(remote)).toBe(createHash('sha256').update(data).digest('hex'));

    const got: Buffer[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (got.push(c), cb()) });
    let t = 0;
    const seen: CopyProgress[] = [];
    const r = await copyFromSession(rig.pool, remote, sink, { now: () => (t += 100), progressIntervalMs: 0, onProgress: (p) => seen.push(p) });
    expect(Buffer.concat(got).equals(data)).toBe(true);
    expect(r.files[0]!.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ bytesDone: data.length, bytesTotal: data.length, filesDone: 1, filesTotal: 1, etaSeconds: 0 });
    expect(last.rate).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesDone).toBeGreaterThanOrEqual(seen[i - 1]!.bytesDone);
    expect(seen.some((p) => p.bytesDone > 0 && p.bytesDone < data.length && p.etaSeconds! > 0)).toBe(true);
  });
});
