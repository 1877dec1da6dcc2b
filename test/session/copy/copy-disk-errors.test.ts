// Disk full and access denied, from a real file system: real pwsh behind the
// endpoint writes into a 1 MiB tmpfs (ENOSPC, as .NET on Linux reports it) and
// into folders it may not write or read. The test process and the engine run
// as root here, which reads and writes everything, so the engine is started
// through setpriv without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH: then a mode
// 0500 folder refuses it as it refuses any user. Each failure is a typed error
// naming the path, and no file is left under the final name nor a temporary.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFromSession, copyToSession } from '../../../src/session/copy/index.js';
import { describeWithPwsh, pwshEngineCommand } from '../../helpers/pwsh.js';
import { copyRig, randomFile, type CopyRig } from './harness.js';

const root = process.getuid?.() === 0;
/** Drops root's permission bypass for the engine (it stays uid 0 but obeys file modes). */
const DROP = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-dac_override,-dac_read_search'];
const canDrop = root && spawnSync(DROP[0]!, [...DROP.slice(1), 'true']).status === 0;

const temps = (dir: string) => readdirSync(dir).filter((n) => n.includes('psremote-tmp'));

/** A 1 MiB tmpfs at `dir`, or why there cannot be one here. */
function mountSmall(dir: string): string | undefined {
  mkdirSync(dir, { recursive: true });
  if (!root) return 'mounting a tmpfs needs root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=1777', 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs failed: ${(r.stderr || String(r.error)).trim()}`;
}

describeWithPwsh('disk full and access denied against real pwsh', (pwsh) => {
  let rig: CopyRig;
  let small = '';
  let noMount: string | undefined;
  beforeAll(async () => {
    rig = await copyRig(pwsh, canDrop ? { endpoint: { realEngine: [...DROP, ...pwshEngineCommand(pwsh)] } } : {});
    small = join(rig.dir, 'small-disk');
    noMount = mountSmall(small);
    if (noMount) console.warn(`disk-full cases skipped: ${noMount}`);
  });
  afterAll(async () => {
    if (small && !noMount) spawnSync('umount', ['-l', small]);
    await rig?.close();
  });

  it('an upload that fills the server disk is PSR_COPY_DISK_FULL naming the file; nothing is left there', async (ctx) => {
    if (noMount) ctx.skip();
    const local = join(rig.dir, 'three-mb.bin');
    await randomFile(local, 3_000_000);
    const remote = join(small, 'big.bin');
    const err = await copyToSession(rig.pool, local, remote).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PSR_COPY_DISK_FULL', failure: 'DiskFull', side: 'remote', path: remote });
    expect(String((err as Error).message)).toContain(remote);
    expect(readdirSync(small)).toEqual([]);
    // the space is back and the session goes on: a file that fits arrives
    const fits = join(rig.dir, 'fits.bin');
    await randomFile(fits, 200_000);
    const up = await copyToSession(rig.pool, fits, join(small, 'fits.bin'));
    expect(up.files[0]?.bytes).toBe(200_000);
    expect(readdirSync(small)).toEqual(['fits.bin']);
  });

  it('a download that fills the local disk is PSR_COPY_DISK_FULL naming the file; no partial file', async (ctx) => {
    if (noMount) ctx.skip();
    const remote = join(rig.dir, 'three-mb-remote.bin');
    await randomFile(remote, 3_000_000);
    const local = join(small, 'down.bin');
    const err = await copyFromSession(rig.pool, remote, local).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PSR_COPY_DISK_FULL', side: 'local', path: local });
    expect(existsSync(local)).toBe(false);
    expect(temps(small)).toEqual([]);
    expect((await rig.pool.invoke('1 + 1').result()).output).toEqual([2]);
  });

  // As root without setpriv's capability drop, the engine would read and write
  // everything, so there is no way to be denied: skipped, and said so by the name.
  describe.skipIf(root && !canDrop)(root && !canDrop ? 'access denied (skipped: root, and setpriv cannot drop dac_override)' : 'access denied (the engine without root\'s permission bypass)', () => {
    it('an upload into a folder the server may not write is PSR_COPY_ACCESS_DENIED naming the file; nothing is left', async () => {
      const locked = join(rig.dir, 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o555);
      const local = join(rig.dir, 'some.bin');
      await randomFile(local, 500_000);
      const remote = join(locked, 'some.bin');
      try {
        const err = await copyToSession(rig.pool, local, remote).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'PSR_COPY_ACCESS_DENIED', failure: 'AccessDenied', side: 'remote', path: remote });
        expect(readdirSync(locked)).toEqual([]);
      } finally {
        chmodSync(locked, 0o755);
      }
    });

    it('a download of a file the server may not read is PSR_COPY_ACCESS_DENIED naming it; no local file', async () => {
      const secret = join(rig.dir, 'secret.bin');
      writeFileSync(secret, 'not for you');
      chmodSync(secret, 0o000);
      const localDir = join(rig.dir, 'denied-down');
      mkdirSync(localDir);
      try {
        const err = await copyFromSession(rig.pool, secret, join(localDir, 'secret.bin')).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'PSR_COPY_ACCESS_DENIED', side: 'remote', path: secret });
        expect(readdirSync(localDir)).toEqual([]);
      } finally {
        chmodSync(secret, 0o644);
      }
    });

    it('a folder upload stops at the first file it may not write, naming that file', async () => {
      const tree = join(rig.dir, 'tree-src');
      mkdirSync(join(tree, 'sub'), { recursive: true });
      writeFileSync(join(tree, 'a.txt'), 'a');
      writeFileSync(join(tree, 'sub', 'b.txt'), 'b');
      const target = join(rig.dir, 'tree-dst');
      mkdirSync(join(target, 'tree-src', 'sub'), { recursive: true });
      chmodSync(join(target, 'tree-src', 'sub'), 0o555);
      try {
        const err = await copyToSession(rig.pool, tree, target, { recursive: true, overwrite: true, parallel: 1 }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 'PSR_COPY_ACCESS_DENIED', side: 'remote', path: join(target, 'tree-src', 'sub', 'b.txt') });
        expect(readdirSync(join(target, 'tree-src', 'sub'))).toEqual([]);
      } finally {
        chmodSync(join(target, 'tree-src', 'sub'), 0o755);
      }
    });
  });
});
