// `psremote upload/download --via winrs` as users run them, each a new process,
// against `psremote serve --engine real` (its WinRS commands run through
// /bin/sh with the PATH given here, where pwsh is and `powershell` is not: the
// copies go through the fallback): --json results and the summary line both
// ways, the refusals (--session, OutOfProc targets, a bad --via), and a client
// SIGKILLed half-way through an upload, which leaves no file under the final name.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, spawnCli, startServe, type CliRun, type Serve } from '../helpers/cli.js';
import { describeWithPwsh } from '../helpers/pwsh.js';
import { randomFile, sha256File } from '../session/copy/harness.js';

describeWithPwsh('psremote upload / download --via winrs against serve --engine real', (pwsh) => {
  let server: Serve | undefined;
  let url = '';
  let dir = '';
  const env = { ...process.env, PATH: `${dirname(pwsh)}${delimiter}${process.env.PATH ?? ''}` };
  const cli = (args: string[]): Promise<CliRun> => spawnCli(args, { env, timeoutMs: 120_000 });

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'psremote-cli-winrs-'));
    server = await startServe(['--engine', 'real'], { env });
    url = server.url;
  }, 60_000);

  afterAll(() => {
    server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('uploads and downloads with --json and the summary line; refuses an existing target without --force', { timeout: 180_000 }, async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.bin');
    writeFileSync(a, 'alpha');
    await randomFile(b, 600_000);
    const remote = join(dir, 'remote');
    mkdirSync(remote);
    const up = await cli(['upload', url, a, b, remote, '--via', 'winrs', '--json']);
    expect(up.stderr).toMatch(/^2 files, 600005 bytes in \d+\.\d\d s \(\d+\.\d MB\/s\), 2 SHA-256 hashes verified\n$/);
    expect(up.code).toBe(0);
    const lines = up.stdout.trim().split('\n').map((l) => JSON.parse(l) as { destination: string; sha256: string; bytes: number });
    expect(lines.map((l) => [l.destination, l.bytes, l.sha256])).toEqual([
      [join(remote, 'a.txt'), 5, await sha256File(a)],
      [join(remote, 'b.bin'), 600_000, await sha256File(b)],
    ]);
    expect(await sha256File(join(remote, 'b.bin'))).toBe(await sha256File(b));

    const again = await cli(['upload', url, a, remote, '--via', 'winrs', '--powershell', pwsh]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`remote ${join(remote, 'a.txt')}: the target exists`);

    const back = join(dir, 'back');
    const down = await cli(['download', url, join(remote, 'a.txt'), join(remote, 'b.bin'), back, '-p', '--json', '--via', 'winrs']);
    expect(down.code).toBe(0);
    expect(down.stderr).toMatch(/^2 files, 600005 bytes in .* 2 SHA-256 hashes verified\n$/);
    expect(down.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { destination: string }).destination)).toEqual([join(back, 'a.txt'), join(back, 'b.bin')]);
    expect(readFileSync(join(back, 'a.txt'), 'utf8')).toBe('alpha');
    expect(await sha256File(join(back, 'b.bin'))).toBe(await sha256File(b));
  });

  it('is refused with --session, for OutOfProc targets, and for an unknown --via', async () => {
    const a = join(dir, 'r.txt');
    writeFileSync(a, 'r');
    const bySession = await cli(['upload', '--session', 'nightly', a, 'C:\\x', '--via', 'winrs']);
    expect([bySession.code, bySession.stderr]).toEqual([2, expect.stringContaining('--via winrs copies over a cmd shell of its own: it does not take --session')]);
    const ssh = await cli(['download', 'ssh://me@host', '/x', dir, '--via', 'winrs']);
    expect([ssh.code, ssh.stderr]).toEqual([2, expect.stringContaining('--via winrs needs a WinRM target; ssh: targets have no WinRS')]);
    const exec = await cli(['upload', 'exec:pwsh -s', a, '/x', '--via', 'winrs']);
    expect([exec.code, exec.stderr]).toEqual([2, expect.stringContaining('exec: targets have no WinRS')]);
    const bad = await cli(['upload', url, a, '/x', '--via', 'ftp']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--via is psrp or winrs, not ftp')]);
    const ps = await cli(['upload', url, a, '/x', '--powershell', 'pwsh']);
    expect([ps.code, ps.stderr]).toEqual([2, expect.stringContaining('--powershell goes with --via winrs')]);
  });

  it('a client killed half-way through an upload leaves no file under the final name', { timeout: 180_000 }, async () => {
    const big = join(dir, 'big.bin');
    await randomFile(big, 60_000_000);
    const remoteDir = join(dir, 'killed');
    mkdirSync(remoteDir);
    const child = spawn(process.execPath, [CLI, 'upload', url, big, join(remoteDir, 'big.bin'), '--via', 'winrs'], { env, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const deadline = Date.now() + 120_000;
    while (!readdirSync(remoteDir).some((n) => n.endsWith('.psremote-tmp')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(remoteDir).some((n) => n.endsWith('.psremote-tmp'))).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 1000));
    // the server's process waits for stdin until the shell's idle timeout: its temporary file stays until then
    expect(existsSync(join(remoteDir, 'big.bin'))).toBe(false);
  });
});
