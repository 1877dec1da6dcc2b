// Files the user names are read with a bound (src/cli/bounded-file.ts): the
// config file, invoke -f, --hosts-file, keys. /dev/zero and a FIFO fed without
// end are a LimitError naming the file and the limit, after reading at most the
// limit (stat's size is 0 for both, so a size check alone would let them in).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FILE_LIMITS, readBoundedFile, readBoundedText } from '../../src/cli/bounded-file.js';
import { LimitError, UsageError } from '../../src/errors.js';
import { runInProcess } from '../helpers/cli.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'psremote-bounded-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

const hasMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

describe('readBoundedFile', () => {
  it('reads a file of exactly the limit; one byte more is a LimitError with the file and the limit', () => {
    const p = join(dir, 'ten');
    writeFileSync(p, '0123456789');
    expect(readBoundedFile(p, 'test', 10).toString()).toBe('0123456789');
    const e = thrown(() => readBoundedFile(p, 'test', 9));
    expect(e).toBeInstanceOf(LimitError);
    expect(e).toMatchObject({ code: 'PSR_LIMIT', max: 9, actual: 10, message: `test size limit exceeded: 10 > 9 (at ${p}, where reading stopped)` });
  });

  it('/dev/zero stops at the limit instead of filling memory', () => {
    const before = process.memoryUsage().arrayBuffers;
    const e = thrown(() => readBoundedFile('/dev/zero', '--hosts-file', 4 * 1024 * 1024));
    expect(e).toMatchObject({ code: 'PSR_LIMIT', max: 4 * 1024 * 1024, actual: 4 * 1024 * 1024 + 1 });
    expect((e as Error).message).toContain('/dev/zero');
    // What was read is garbage once the error is thrown; nothing near the file's (endless) size was held.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a missing file and a directory are UsageErrors naming them; a BOM is dropped from text', () => {
    expect(thrown(() => readBoundedFile(join(dir, 'nope'), '-f', 10))).toMatchObject({ code: 'PSR_USAGE', message: `cannot read -f ${join(dir, 'nope')}: ENOENT` });
    const d = join(dir, 'folder');
    mkdirSync(d);
    const e = thrown(() => readBoundedFile(d, '-f', 10));
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toBe(`cannot read -f ${d}: it is a directory`);
    writeFileSync(join(dir, 'bom.ps1'), '\ufeff1+1\n');
    expect(readBoundedText(join(dir, 'bom.ps1'), '-f', 100)).toBe('1+1\n');
  });

  it.skipIf(!hasMkfifo)('a FIFO: a writer that ends is read whole; one that never ends is stopped at the limit', async () => {
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    // The writers are separate processes: this thread blocks in read(2).
    const short = spawn('sh', ['-c', `printf 'Write-Output 1' > '${fifo}'`]);
    expect(readBoundedText(fifo, '-f', 100)).toBe('Write-Output 1');
    await new Promise((r) => short.once('close', r));
    const endless = spawn('sh', ['-c', `exec cat /dev/zero > '${fifo}'`]);
    try {
      expect(thrown(() => readBoundedFile(fifo, 'config', 1024 * 1024))).toMatchObject({ code: 'PSR_LIMIT', max: 1024 * 1024 });
    } finally {
      endless.kill('SIGKILL');
    }
  });
});

describe('the CLI reads the files it is given with their limits', () => {
  it('PSREMOTE_CONFIG=/dev/zero: a LimitError for the config file at 1 MiB, exit 1', async () => {
    vi.stubEnv('PSREMOTE_CONFIG', '/dev/zero');
    const r = await runInProcess(['config', 'show']);
    expect(r.stderr).toBe(`psremote: config size limit exceeded: ${FILE_LIMITS.config + 1} > ${FILE_LIMITS.config} (at /dev/zero, where reading stopped) (PSR_LIMIT)\n`);
    expect(r.code).toBe(1);
  });

  it('invoke -f /dev/zero and --hosts-file /dev/zero stop at their limits before anything is contacted', async () => {
    const f = await runInProcess(['invoke', 'http://127.0.0.1:9/wsman', '-f', '/dev/zero']);
    expect(f.stderr).toBe(`psremote: -f size limit exceeded: ${FILE_LIMITS.script + 1} > ${FILE_LIMITS.script} (at /dev/zero, where reading stopped) (PSR_LIMIT)\n`);
    expect(f.code).toBe(1);
    // redis://127.0.0.1:9 would refuse: the hosts file is read (and refused) first.
    const h = await runInProcess(['invoke', '--queue', 'redis://127.0.0.1:9/0', '--hosts-file', '/dev/zero', '-c', '1']);
    expect(h.stderr).toBe(`psremote: --hosts-file size limit exceeded: ${FILE_LIMITS.hosts + 1} > ${FILE_LIMITS.hosts} (at /dev/zero, where reading stopped) (PSR_LIMIT)\n`);
    expect(h.code).toBe(1);
  });

  it('a config file with a BOM (as Windows editors save it) is read', async () => {
    writeFileSync(join(dir, 'bom.json'), `\ufeff${JSON.stringify({ hosts: { lab: { url: 'http://127.0.0.1:5985/wsman' } } })}`);
    vi.stubEnv('PSREMOTE_CONFIG', join(dir, 'bom.json'));
    const r = await runInProcess(['config', 'show', 'lab']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('http://127.0.0.1:5985/wsman');
  });
});
