// One large file in ranges on several pipelines at once, against real pwsh
// behind the endpoint: each lane writes (or reads) its own range at an offset
// of one temporary file, the SHA-256 is of the whole file on both sides, and
// the file is renamed into place only if they match. Small chunks make a 5 MB
// file split into several ranges; hashes are compared by the test.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession } from '../../../src/session/open.js';
import { copyFromSession, copyToSession } from '../../../src/session/copy/index.js';
import { describeWithPwsh } from '../../helpers/pwsh.js';
import { copyRig, corruptOnce, randomFile, sha256File, type CopyRig } from './harness.js';

const CHUNK = 65_535; // a multiple of 3, as chunk sizes are
const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes('psremote-tmp'));

describeWithPwsh('one file in ranges on several pipelines, against real pwsh', (pwsh) => {
  let rig: CopyRig;
  beforeAll(async () => {
    rig = await copyRig(pwsh, { maxRunspaces: 3 });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('5 MB + 7 bytes go up and come back in 3 ranges each, byte-identical, one pipeline per range', { timeout: 300_000 }, async () => {
    const size = 5 * 1024 * 1024 + 7;
    const local = join(rig.dir, 'ranged.bin');
    await randomFile(local, size);
    const want = await sha256File(local);
    const remote = join(rig.dir, 'ranged-remote.bin');
    let commands = rig.ep.stats.requests.Command ?? 0;
    const up = await copyToSession(rig.pool, local, remote, { chunkSize: CHUNK, parallel: 3 });
    expect(up).toMatchObject({ parallel: 3, chunkSize: CHUNK, bytes: size });
    expect(up.files).toEqual([{ relativePath: '', source: local, destination: remote, bytes: size, sha256: want, verified: true }]);
    // prepare, open the temporary file, three ranges, hash and commit
    expect((rig.ep.stats.requests.Command ?? 0) - commands).toBe(6);
    expect(await sha256File(remote)).toBe(want);
    expect(temps(rig.dir)).toEqual([]);

    const back = join(rig.dir, 'ranged-back.bin');
    commands = rig.ep.stats.requests.Command ?? 0;
    const progress: number[] = [];
    const down = await copyFromSession(rig.pool, remote, back, { chunkSize: CHUNK, parallel: 3, progressIntervalMs: 0, onProgress: (p) => progress.push(p.bytesDone) });
    expect(down).toMatchObject({ parallel: 3, bytes: size });
    expect(down.files[0]).toMatchObject({ destination: back, bytes: size, sha256: want });
    // prepare, three ranges, the server's hash of the whole file
    expect((rig.ep.stats.requests.Command ?? 0) - commands).toBe(5);
    expect(await sha256File(back)).toBe(want);
    expect(progress.at(-1)).toBe(size);
    expect(temps(rig.dir)).toEqual([]);
    // an existing target is still refused without overwrite, in ranges too
    await expect(copyFromSession(rig.pool, remote, back, { chunkSize: CHUNK, parallel: 3 })).rejects.toMatchObject({ code: 'PSR_COPY_TARGET_EXISTS', path: back });
    await expect(copyToSession(rig.pool, local, remote, { chunkSize: CHUNK, parallel: 3 })).rejects.toMatchObject({ code: 'PSR_COPY_TARGET_EXISTS', path: remote });
  });

  it('a chunk corrupted in one range is caught by the whole-file SHA-256, each way: no file, no temporary', { timeout: 300_000 }, async () => {
    const local = join(rig.dir, 'c.bin');
    await randomFile(local, 2_000_000);
    const upDir = join(rig.dir, 'c-up');
    const remote = join(upDir, 'c.bin');
    let c = corruptOnce();
    rig.ep.faults.add({ operation: 'Send', times: Infinity, action: { type: 'rewrite', request: c.rewrite } });
    try {
      await expect(copyToSession(rig.pool, local, remote, { chunkSize: CHUNK, parallel: 2, createParents: true })).rejects.toMatchObject({ code: 'PSR_COPY_HASH_MISMATCH', side: 'remote', path: remote });
    } finally {
      rig.ep.faults.clear();
    }
    expect(c.done()).toBe(true);
    expect(existsSync(remote)).toBe(false);
    expect(temps(upDir)).toEqual([]);

    const downDir = join(rig.dir, 'c-down');
    const back = join(downDir, 'c.bin');
    c = corruptOnce();
    rig.ep.faults.add({ operation: 'Receive', times: Infinity, action: { type: 'rewrite', response: c.rewrite } });
    try {
      await expect(copyFromSession(rig.pool, local, back, { chunkSize: CHUNK, parallel: 2, createParents: true })).rejects.toMatchObject({ code: 'PSR_COPY_HASH_MISMATCH', side: 'local', path: back });
    } finally {
      rig.ep.faults.clear();
    }
    expect(c.done()).toBe(true);
    expect(existsSync(back)).toBe(false);
    expect(temps(downDir)).toEqual([]);
  });

  it('on a one-runspace pool the ranges take turns, and the copy scripts leave nothing in the global scope', { timeout: 300_000 }, async () => {
    const pool = await openSession(rig.ep.url, { signal: AbortSignal.timeout(60_000), maxRunspaces: 1 });
    try {
      const before = (await pool.invoke('(Get-Variable -Scope Global).Name').result()).output;
      const local = join(rig.dir, 'one.bin');
      await randomFile(local, 1_000_000);
      const want = await sha256File(local);
      const remote = join(rig.dir, 'one-remote.bin');
      await copyToSession(pool, local, remote, { chunkSize: CHUNK, parallel: 2 });
      await copyFromSession(pool, remote, join(rig.dir, 'one-back.bin'), { chunkSize: CHUNK, parallel: 2 });
      await copyFromSession(pool, remote, join(rig.dir, 'one-back-whole.bin'), { parallel: 1 });
      expect(await sha256File(join(rig.dir, 'one-back.bin'))).toBe(want);
      expect(await sha256File(join(rig.dir, 'one-back-whole.bin'))).toBe(want);
      const after = (await pool.invoke('(Get-Variable -Scope Global).Name').result()).output;
      expect(after.filter((n) => !before.includes(n))).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
