// What goes wrong in a transfer, against real pwsh: a chunk corrupted on the
// way (the endpoint rewrites one base64 character inside the PSRP data, which
// no layer below the copy notices), an AbortSignal half-way, a restricted
// (NoLanguage / ConstrainedLanguage) runspace. None leaves a file under the
// final name, and none leaves a temporary file behind.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSession } from '../../../src/session/open.js';
import { copyFromSession, copyToSession } from '../../../src/session/copy/index.js';
import { describeWithPwsh } from '../../helpers/pwsh.js';
import { copyRig, corruptOnce, randomFile, type CopyRig } from './harness.js';

const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes('psremote-tmp'));

describeWithPwsh('file transfer failures against real pwsh', (pwsh) => {
  let rig: CopyRig;
  beforeAll(async () => {
    rig = await copyRig(pwsh);
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('a chunk corrupted on the way up is caught by the server-side SHA-256: no file, no temporary', async () => {
    const local = join(rig.dir, 'up.bin');
    await randomFile(local, 2_000_000);
    const remoteDir = join(rig.dir, 'up-target');
    const remote = join(remoteDir, 'up.bin');
    await copyToSession(rig.pool, local, join(remoteDir, 'placeholder'), { createParents: true }).catch(() => undefined);
    const c = corruptOnce();
    rig.ep.faults.add({ operation: 'Send', times: Infinity, action: { type: 'rewrite', request: c.rewrite } });
    try {
      await expect(copyToSession(rig.pool, local, remote)).rejects.toMatchObject({ code: 'PSR_COPY_HASH_MISMATCH', side: 'remote', path: remote });
    } finally {
      rig.ep.faults.clear();
    }
    expect(c.done()).toBe(true);
    expect(existsSync(remote)).toBe(false);
    expect(temps(remoteDir)).toEqual([]);
    // the session is fine afterwards
    await copyToSession(rig.pool, local, remote);
    expect(existsSync(remote)).toBe(true);
  });

  it('a chunk corrupted on the way down is caught by the client: no file, no temporary', async () => {
    const remote = join(rig.dir, 'down.bin');
    await randomFile(remote, 2_000_000);
    const localDir = join(rig.dir, 'down-target');
    const local = join(localDir, 'down.bin');
    const c = corruptOnce();
    rig.ep.faults.add({ operation: 'Receive', times: Infinity, action: { type: 'rewrite', response: c.rewrite } });
    try {
      await expect(copyFromSession(rig.pool, remote, local, { createParents: true })).rejects.toMatchObject({ code: 'PSR_COPY_HASH_MISMATCH', side: 'local', path: local });
    } finally {
      rig.ep.faults.clear();
    }
    expect(c.done()).toBe(true);
    expect(existsSync(local)).toBe(false);
    expect(temps(localDir)).toEqual([]);
  });

  it('an AbortSignal half-way through an upload or a download leaves no file and no temporary', async () => {
    const local = join(rig.dir, 'abort.bin');
    await randomFile(local, 12_000_000);
    const remoteDir = join(rig.dir, 'abort-remote');
    const remote = join(remoteDir, 'abort.bin');
    let ac = new AbortController();
    let seen = 0;
    await expect(
      copyToSession(rig.pool, local, remote, {
        createParents: true,
        signal: ac.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          seen = p.bytesDone;
          if (p.bytesDone > 2_000_000) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    expect(seen).toBeLessThan(12_000_000);
    expect(existsSync(remote)).toBe(false);
    expect(temps(remoteDir)).toEqual([]);

    const localDir = join(rig.dir, 'abort-local');
    const back = join(localDir, 'abort.bin');
    ac = new AbortController();
    await expect(
      copyFromSession(rig.pool, local, back, {
        createParents: true,
        signal: ac.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.bytesDone > 2_000_000) ac.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'PSR_ABORTED' });
    expect(existsSync(back)).toBe(false);
    expect(temps(localDir)).toEqual([]);
    // the pool goes on
    expect((await rig.pool.invoke('1 + 1').result()).output).toEqual([2]);
  });

  it('a NoLanguage or ConstrainedLanguage runspace is reported before any data is sent', async () => {
    const local = join(rig.dir, 'small.txt');
    await randomFile(local, 10);
    for (const mode of ['ConstrainedLanguage', 'NoLanguage']) {
      const pool = await openSession(rig.ep.url, { signal: AbortSignal.timeout(60_000), maxRunspaces: 1 });
      try {
        await pool.invoke(`$ExecutionContext.SessionState.LanguageMode = '${mode}'`).result();
        const sends = rig.ep.stats.requests.Send ?? 0;
        const err = await copyToSession(pool, local, join(rig.dir, `restricted-${mode}.txt`)).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'PSR_COPY_RESTRICTED_ENDPOINT', side: 'remote' });
        if (mode === 'ConstrainedLanguage') expect(String((err as Error).message)).toContain('ConstrainedLanguage');
        expect(rig.ep.stats.requests.Send ?? 0).toBe(sends);
        await expect(copyFromSession(pool, local, join(rig.dir, `restricted-${mode}-back.txt`))).rejects.toMatchObject({ code: 'PSR_COPY_RESTRICTED_ENDPOINT' });
        expect(existsSync(join(rig.dir, `restricted-${mode}.txt`))).toBe(false);
      } finally {
        await pool.close();
      }
    }
  });
});
