// The envelope a copy fills: MaxEnvelopeSizekb read from the server's config
// (our endpoint answers the Get of winrm/config as Windows does for an
// administrator) and given to the session, so that chunks grow with it and
// the data crosses in fewer, larger Sends. Real pwsh behind the endpoint.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession } from '../../../src/session/open.js';
import { copyFromSession, copyToSession, readEnvelopeSizeKb } from '../../../src/session/copy/index.js';
import { describeWithPwsh } from '../../helpers/pwsh.js';
import { copyRig, randomFile, sha256File, type CopyRig } from './harness.js';

describeWithPwsh('a copy fills the envelope the server allows', (pwsh) => {
  let rig: CopyRig;
  beforeAll(async () => {
    rig = await copyRig(pwsh, { endpoint: { maxEnvelopeSizeKb: 2048, maxReceiveBytes: 1536 * 1024 } });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('reads MaxEnvelopeSizekb, and 2 MiB envelopes carry 1.5 MB of PSRP data, 1.1 MB chunks', { timeout: 300_000 }, async () => {
    const kb = await readEnvelopeSizeKb(rig.ep.url);
    expect(kb).toBe(2048);
    const pool = await openSession(rig.ep.url, { envelopeSize: { serverConfigKb: kb! }, maxRunspaces: 2, signal: AbortSignal.timeout(60_000) });
    try {
      expect(pool.payloadBudget).toBeGreaterThan(1_500_000);
      const size = 6 * 1024 * 1024;
      const local = join(rig.dir, 'env.bin');
      await randomFile(local, size);
      const want = await sha256File(local);
      const sends = rig.ep.stats.requests.Send ?? 0;
      const up = await copyToSession(pool, local, join(rig.dir, 'env-remote.bin'), { parallel: 1 });
      expect(up.chunkSize).toBeGreaterThan(1_100_000);
      expect(up.files[0]?.sha256).toBe(want);
      // one Send per chunk (and the input's end, as copy-large.test.ts counts)
      expect((rig.ep.stats.requests.Send ?? 0) - sends).toBeLessThanOrEqual(Math.ceil(size / up.chunkSize) + 3);
      const down = await copyFromSession(pool, join(rig.dir, 'env-remote.bin'), join(rig.dir, 'env-back.bin'), { parallel: 1 });
      expect(down.files[0]?.sha256).toBe(want);
      expect(await sha256File(join(rig.dir, 'env-back.bin'))).toBe(want);
    } finally {
      await pool.close();
    }
  });

  it('is undefined where there is nothing to read: an OutOfProc target, a server that does not answer', async () => {
    expect(await readEnvelopeSizeKb('exec:pwsh -s')).toBeUndefined();
    expect(await readEnvelopeSizeKb('http://127.0.0.1:1/wsman', { signal: AbortSignal.timeout(5_000) })).toBeUndefined();
  });
});
