// `psremote shell --session NAME` on a named session (psremote session new),
// against the endpoint on PowerShell's real engine (the test peer host, whose
// connect hook lets a new client process Connect): the shell connects, runs what
// stdin gives, and on end of input leaves the session disconnected, so a second
// shell process finds the variable the first one set. `--disconnect-on-exit` on
// a new session leaves it Disconnected on the server too.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithRealEngine } from '../helpers/peers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
type Psremote = typeof import('../../src/index.js');

describeWithRealEngine('psremote shell --session on the real engine', (host) => {
  const home = mkdtempSync(join(tmpdir(), 'psremote-shell-session-'));
  let endpoint: Awaited<ReturnType<Psremote['startEndpoint']>> | undefined;

  function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, PSREMOTE_HOME: home, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`psremote ${args.join(' ')} did not end in 60 s; stderr: ${stderr}`));
      }, 60_000);
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(input);
    });
  }

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    const ps = (await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)) as Psremote;
    endpoint = await ps.startEndpoint({ realEngine: host });
  }, 60_000);

  afterAll(async () => {
    await endpoint?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('keeps the named session between shells, disconnected after each', async () => {
    const made = await cli(['session', 'new', endpoint!.url, '--name', 'work']);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);

    const first = await cli(['shell', '--session', 'work'], '$kept = 6 * 7\n"set"\n');
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^\[work\]: PS \S*> \$kept = 6 \* 7\n\[work\]: PS \S*> "set"\nset\nsession work disconnected\n$/);
    expect(first.code).toBe(0);

    const second = await cli(['shell', '--session', 'work'], '"kept=$kept"\n');
    expect(second.stdout).toContain('\nkept=42\n');
    expect(second.code).toBe(0);

    const listed = await cli(['session', 'list', '--remote', endpoint!.url, '--json']);
    const sessions = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { state?: string });
    expect(sessions.map((s) => s.state)).toEqual(['Disconnected']);
  }, 180_000);

  it('--disconnect-on-exit leaves a new session Disconnected; without it the session is closed', async () => {
    const before = (await cli(['session', 'list', '--remote', endpoint!.url, '--json'])).stdout.trim().split('\n').filter(Boolean).length;
    const closed = await cli(['shell', endpoint!.url], '1\n');
    expect(closed.code).toBe(0);
    expect((await cli(['session', 'list', '--remote', endpoint!.url, '--json'])).stdout.trim().split('\n').filter(Boolean)).toHaveLength(before);
    const kept = await cli(['shell', endpoint!.url, '--disconnect-on-exit'], '1\n');
    expect(kept.stdout).toContain('session disconnected; it stays on the server until its idle timeout\n');
    const after = (await cli(['session', 'list', '--remote', endpoint!.url, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { state?: string });
    expect(after).toHaveLength(before + 1);
    expect(after.filter((s) => s.state === 'Disconnected')).toHaveLength(before + 1);
  }, 180_000);
});
