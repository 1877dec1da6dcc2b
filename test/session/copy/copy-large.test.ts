// 100 MB of random bytes up and down through real pwsh behind the endpoint:
// one long-lived pipeline per range (two by default) each way, envelope-sized
// chunks, hashes compared by the test. (How fast it goes is bench/file-transfer.bench.ts's business.)
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFromSession, copyToSession } from '../../../src/session/copy/index.js';
import { describeWithPwsh } from '../../helpers/pwsh.js';
import { copyRig, randomFile, sha256File, type CopyRig } from './harness.js';

const SIZE = 100 * 1024 * 1024;

describeWithPwsh('100 MB against real pwsh behind the endpoint', (pwsh) => {
  let rig: CopyRig;
  beforeAll(async () => {
    rig = await copyRig(pwsh);
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('100 MB of random data arrives byte-identical both ways', { timeout: 900_000 }, async () => {
    const local = join(rig.dir, 'big.bin');
    await randomFile(local, SIZE);
    const want = await sha256File(local);
    const remote = join(rig.dir, 'remote-big.bin');
    const sendsBefore = rig.ep.stats.requests.Send ?? 0;
    const commandsBefore = rig.ep.stats.requests.Command ?? 0;
    const up = await copyToSession(rig.pool, local, remote);
    expect(up.files[0]).toMatchObject({ bytes: SIZE, sha256: want });
    // two ranges on two pipelines (default parallel 2), with the target's check, the temporary
    // file's creation and the whole-file hash + rename: one Send per envelope-sized chunk
    expect(up.parallel).toBe(2);
    expect((rig.ep.stats.requests.Command ?? 0) - commandsBefore).toBe(5);
    expect((rig.ep.stats.requests.Send ?? 0) - sendsBefore).toBeLessThanOrEqual(Math.ceil(SIZE / up.chunkSize) + 6);
    expect(await sha256File(remote)).toBe(want);
    rmSync(local);
    const back = join(rig.dir, 'back-big.bin');
    const down = await copyFromSession(rig.pool, remote, back);
    expect(down.files[0]).toMatchObject({ bytes: SIZE, sha256: want });
    expect(await sha256File(back)).toBe(want);
  });
});
