// `psremote upload` / `psremote download` as users run them, each a new process,
// against `psremote serve --engine real` with the default engine command (pwsh
// found on PATH, as the README tells users to install it): --json results, the
// summary line, -r, --force, and a client killed half-way (SIGKILL: no chance
// to clean up) that leaves nothing under the final name.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, spawnCli, startServe, type CliRun, type Serve } from '../helpers/cli.js';
import { describeWithPwsh } from '../helpers/pwsh.js';
import { randomFile, sha256File } from '../session/copy/harness.js';

type Run = CliRun;

describeWithPwsh('psremote upload / download against serve --engine real', (pwsh) => {
  let server: Serve | undefined;
  let url = '';
  let dir = '';
  const env = { ...process.env, PATH: `${dirname(pwsh)}${delimiter}${process.env.PATH ?? ''}` };

  const cli = (args: string[]): Promise<Run> => spawnCli(args, { env, timeoutMs: 120_000 });

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'psremote-cli-copy-'));
    server = await startServe(['--engine', 'real'], { env });
    url = server.url;
  }, 60_000);

  afterAll(() => {
    server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('uploads files and a folder with --json and a summary line; refuses an existing target without --force', { timeout: 180_000 }, async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.bin');
    writeFileSync(a, 'alpha');
    await randomFile(b, 600_000);
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'sub', 'empty'), { recursive: true });
    writeFileSync(join(tree, 'sub', 'é.txt'), 'accent');
    const remote = join(dir, 'remote');
    mkdirSync(remote);

    const up = await cli(['upload', url, a, b, remote, '--json']);
    expect(up.stderr).toMatch(/^2 files, 600005 bytes in \d+\.\d\d s \(\d+\.\d MB\/s\), 2 SHA-256 hashes verified\n$/);
    expect(up.code).toBe(0);
    const lines = up.stdout.trim().split('\n').map((l) => JSON.parse(l) as { destination: string; sha256: string; bytes: number });
    expect(lines.map((l) => [l.destination, l.bytes, l.sha256])).toEqual([
      [join(remote, 'a.txt'), 5, await sha256File(a)],
      [join(remote, 'b.bin'), 600_000, await sha256File(b)],
    ]);
    expect(await sha256File(join(remote, 'b.bin'))).toBe(await sha256File(b));

    const again = await cli(['upload', url, a, remote]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`remote ${join(remote, 'a.txt')}: the target exists`);
    expect(again.stderr).toContain('PSR_COPY_TARGET_EXISTS');
    writeFileSync(a, 'alpha, second version');
    expect((await cli(['upload', url, a, remote, '--force'])).code).toBe(0);
    expect(readFileSync(join(remote, 'a.txt'), 'utf8')).toBe('alpha, second version');

    const noR = await cli(['upload', url, tree, remote]);
    expect(noR.code).toBe(2); // a usage error (src/cli/exit-codes.ts)
    expect(noR.stderr).toContain('copy it with recursive (-r)');
    const r = await cli(['upload', url, tree, remote, '-r']);
    expect(r.code).toBe(0);
    expect(readFileSync(join(remote, 'tree', 'sub', 'é.txt'), 'utf8')).toBe('accent');
    expect(existsSync(join(remote, 'tree', 'sub', 'empty'))).toBe(true);

    const back = join(dir, 'back');
    const down = await cli(['download', url, join(remote, 'tree'), join(remote, 'b.bin'), back, '-r', '-p', '--json']);
    expect(down.code).toBe(0);
    expect(down.stderr).toMatch(/^2 files, 600006 bytes in .* 2 SHA-256 hashes verified\n$/);
    expect(readFileSync(join(back, 'tree', 'sub', 'é.txt'), 'utf8')).toBe('accent');
    expect(existsSync(join(back, 'tree', 'sub', 'empty'))).toBe(true);
    expect(createHash('sha256').update(readFileSync(join(back, 'b.bin'))).digest('hex')).toBe(await sha256File(b));
  });

  it('a client killed half-way through an upload leaves no file under the final name', { timeout: 180_000 }, async () => {
    const big = join(dir, 'big.bin');
    await randomFile(big, 60_000_000);
    const remoteDir = join(dir, 'killed');
    mkdirSync(remoteDir);
    const child = spawn(process.execPath, [CLI, 'upload', url, big, join(remoteDir, 'big.bin')], { env, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    // Kill it once the server is writing the temporary file.
    const deadline = Date.now() + 120_000;
    while (!readdirSync(remoteDir).some((n) => n.endsWith('.psremote-tmp')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(remoteDir).some((n) => n.endsWith('.psremote-tmp'))).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 1000));
    expect(existsSync(join(remoteDir, 'big.bin'))).toBe(false);
  });
});
