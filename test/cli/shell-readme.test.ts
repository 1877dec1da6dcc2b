// The README's way to get the command (`npm ci` builds through `prepare`, then
// `npx psremote`), and `psremote shell` fed a script on stdin (no terminal) on
// a local real pwsh: the transcript shows prompts, continuation lines, the
// remote parser's verdicts, a terminating error in the concise view, Read-Host.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeWithPwsh } from '../helpers/pwsh.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const home = mkdtempSync(join(tmpdir(), 'psremote-shell-readme-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function npx(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', 'psremote', ...args], { cwd: ROOT, env: { ...process.env, PSREMOTE_HOME: home, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

it('npx psremote runs this checkout\'s bin, and package.json builds it on npm ci', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; scripts: Record<string, string> };
  expect(pkg.bin.psremote).toBe('dist/cli/main.js');
  expect(pkg.scripts.prepare).toBe('npm run build');
  // tsc writes 0644; the build marks the bin executable, or `npx psremote` is "Permission denied" where npm runs it through sh.
  expect(statSync(join(ROOT, pkg.bin.psremote!)).mode & 0o111).toBe(0o111);
  const r = await npx(['--version']);
  expect(r.stdout.trim()).toBe(pkg.version);
  expect(r.code).toBe(0);
}, 60_000);

it('psremote shell --help shows the examples and the keys', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'shell', '--help'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Usage: psremote shell \[options\] \[target\]/);
  expect(r.stdout).toContain('Examples:\n  psremote shell http://127.0.0.1:5985/wsman');
  expect(r.stdout).toContain('--disconnect-on-exit');
  expect(r.stdout).toContain('Ctrl+C stops the running command');
});

it('psremote shell with no target is a usage error', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'shell'], { encoding: 'utf8' });
  expect(r.stderr).toContain('no target given');
  expect(r.status).not.toBe(0);
});

describeWithPwsh('psremote shell with a script on stdin, on a local pwsh', (pwsh) => {
  it('prints a transcript: prompts, continuation, output, a concise error, Read-Host', async () => {
    const script = ['1+1', 'function g {', '"g$args"', '}', 'g 5', 'throw "boom"', '$x = Read-Host "Name"; "hi $x"', 'Bob', 'cd /tmp', '"at $PWD"', ''].join('\n');
    const r = await npx(['shell', `exec:${pwsh} -s -NoLogo -NoProfile`], script);
    // Errors are rendered by the remote formatter in the output, as on the console's screen.
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('> throw "boom"\nException: boom\n');
    expect(r.stdout).toMatch(/^\[localhost\]: PS \/\S*> 1\+1\n2\n/);
    expect(r.stdout).toContain('> function g {\n>> "g$args"\n>> }\n');
    expect(r.stdout).toMatch(/> g 5\ng5\n/);
    expect(r.stdout).toContain('Name: Bob\nhi Bob\n');
    expect(r.stdout).toMatch(/> cd \/tmp\n\[localhost\]: PS \/tmp> "at \$PWD"\nat \/tmp\n$/);
    expect(r.code).toBe(0);
  }, 90_000);
});
