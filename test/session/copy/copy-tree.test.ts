// A folder tree up and down through real pwsh: Unicode names, empty folders, a
// symlink (reported, not followed) and a couple of thousand small files, packed
// many to one pipeline object and shared out among two pipelines.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFromSession, copyToSession } from '../../../src/session/copy/index.js';
import { describeWithPwsh } from '../../helpers/pwsh.js';
import { copyRig, type CopyRig } from './harness.js';

const FILES = 2000;

/** Every entry under `root`: relative path → 'dir' | 'link' | sha256 of the file. */
function listing(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs)) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(a);
      if (st.isSymbolicLink()) out.set(r, 'link');
      else if (st.isDirectory()) {
        out.set(r, 'dir');
        walk(a, r);
      } else out.set(r, createHash('sha256').update(readFileSync(a)).digest('hex'));
    }
  };
  walk(root, '');
  return out;
}

describeWithPwsh('folder trees against real pwsh behind the endpoint', (pwsh) => {
  let rig: CopyRig;
  beforeAll(async () => {
    rig = await copyRig(pwsh, { maxRunspaces: 2 });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('a tree with Unicode names, empty folders and 2000 small files arrives identical both ways', { timeout: 300_000 }, async () => {
    const src = join(rig.dir, 'src tree');
    const names = ['Ünïcödé', '日本語のフォルダ', 'emoji 🎉 dir', 'plain'];
    for (const n of names) mkdirSync(join(src, n, 'deeper'), { recursive: true });
    mkdirSync(join(src, 'empty'), { recursive: true });
    mkdirSync(join(src, 'Ünïcödé', 'empty inside'), { recursive: true });
    for (let i = 0; i < FILES; i++) {
      const dir = join(src, names[i % names.length]!, i % 3 === 0 ? 'deeper' : '');
      writeFileSync(join(dir, `${i % 7 === 0 ? 'ファイル' : 'file'}-${i}${i % 5 === 0 ? ' ñ' : ''}.txt`), `content ${i} `.repeat(i % 50));
    }
    writeFileSync(join(src, 'ç.bin'), Buffer.alloc(0));
    symlinkSync('plain', join(src, 'link-to-plain'));
    const want = listing(src);
    want.delete('link-to-plain');

    const remoteParent = join(rig.dir, 'remote');
    mkdirSync(remoteParent);
    const up = await copyToSession(rig.pool, src, remoteParent, { recursive: true });
    expect(up.files).toHaveLength(FILES + 1);
    expect(up.parallel).toBe(2);
    expect(up.skipped).toEqual([{ path: join(src, 'link-to-plain'), reason: 'symbolic link to plain (not followed)' }]);
    const remote = join(remoteParent, 'src tree');
    expect(listing(remote)).toEqual(want);
    expect(lstatSync(join(remote, 'empty')).isDirectory()).toBe(true);
    // folder times kept too
    expect(Math.abs(lstatSync(join(remote, 'Ünïcödé')).mtimeMs - lstatSync(join(src, 'Ünïcödé')).mtimeMs)).toBeLessThan(0.01);

    symlinkSync('plain', join(remote, 'remote-link'));
    const back = join(rig.dir, 'back');
    const down = await copyFromSession(rig.pool, remote, back, { recursive: true });
    expect(down.files).toHaveLength(FILES + 1);
    expect(down.skipped).toEqual([{ path: 'src tree/remote-link', reason: 'symbolic link to plain (not followed)' }]);
    expect(listing(back)).toEqual(want);
    expect(Math.abs(lstatSync(join(back, 'Ünïcödé')).mtimeMs - lstatSync(join(remote, 'Ünïcödé')).mtimeMs)).toBeLessThan(0.01);

    // A folder without recursive is refused, on both sides.
    await expect(copyToSession(rig.pool, src, remoteParent)).rejects.toMatchObject({ code: 'PSR_USAGE' });
    await expect(copyFromSession(rig.pool, remote, join(rig.dir, 'nope'))).rejects.toMatchObject({ code: 'PSR_COPY_NOT_FOUND', side: 'remote' });
  });
});
