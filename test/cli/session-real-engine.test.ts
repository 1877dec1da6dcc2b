// Issue 9 end to end, through the CLI as users run it: `psremote serve --engine
// real` (PowerShell's own engine behind psremote's WinRM endpoint) in one child
// process, and every step a new `psremote` process with its own PSREMOTE_HOME:
// new → invoke --session --disconnected (a line every 250 ms for 5 s; the client
// exits right after disconnecting) → list --remote (Disconnected, with the
// pipeline) → receive (all 20 lines exactly once, from a third process that
// connects through the engine's own ExecuteConnect) → remove → gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithRealEngine } from '../helpers/peers.js';

const CLI = 'dist/cli/main.js';
const STEP_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

describeWithRealEngine('psremote session lifecycle against serve --engine real', (host) => {
  let home = '';
  let server: ChildProcess | undefined;
  let url = '';

  /** One psremote process; SIGKILLed (and the test failed) if it does not end in time. */
  function cli(args: string[]): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, PSREMOTE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`psremote ${args.join(' ')} did not end in ${STEP_TIMEOUT_MS / 1000} s; stderr: ${stderr}`));
      }, STEP_TIMEOUT_MS);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    // Runs the built package (`npm test` builds first); not rebuilt here, as in test/cli/ntlm.test.ts.
    expect(existsSync(CLI) && existsSync('dist/server/harness-connect.js'), 'run `npm run build` first').toBe(true);
    home = mkdtempSync(join(tmpdir(), 'psremote-home-real-'));
    const child = spawn(process.execPath, [CLI, 'serve', '--engine', 'real', '--engine-command', host], {
      env: { ...process.env, PSREMOTE_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start in 30 s: ${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)\nengine: real/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${code}): ${out}`));
      });
    });
  }, 60_000);

  afterAll(() => {
    // The engine processes end with serve: their stdin closes.
    server?.kill('SIGKILL');
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('new, invoke --disconnected, the client gone, list --remote, receive every line once, remove', async () => {
    const made = await cli(['session', 'new', url, '--name', 'job1']);
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toMatch(/^session job1 created on .*: ShellId [0-9A-F-]{36}, Disconnected\n$/);
    const shellId = /ShellId ([0-9A-F-]{36})/.exec(made.stdout)![1]!;

    // Connects to the session the previous process left (Connect + connectXml),
    // starts the pipeline, disconnects and exits by itself while the pipeline runs.
    const started = await cli(['invoke', '--session', 'job1', '--disconnected', '-c', '1..20 | ForEach-Object { "line $_"; Start-Sleep -Milliseconds 250 }']);
    expect(started).toMatchObject({ code: 0, signal: null, stderr: '' });
    const pipelineId = /pipeline ([0-9A-F-]{36}) runs in disconnected session job1/.exec(started.stdout)![1]!;

    const listed = await cli(['session', 'list', '--remote', url]);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ShellId\s+State\s+Configuration\s+IdleTimeout\s+MaxIdle\s+Idle\s+ExpiresIn\s+Commands$/);
    expect(rows.slice(1)).toHaveLength(1);
    // IdleTimeout, MaxIdle, Idle (time since the last request), ExpiresIn, then the commands.
    expect(rows[1]).toMatch(new RegExp(`^${shellId}\\s+Disconnected\\s+Microsoft\\.PowerShell\\s+\\d+s\\s+\\d+s\\s+\\d+s\\s+\\d+s\\s+(\\S+,)?${pipelineId}$`));

    const received = await cli(['session', 'receive', 'job1', '--json']);
    expect(received).toMatchObject({ code: 0, stderr: '' });
    expect(received.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 1}`));

    const removed = await cli(['session', 'remove', 'job1']);
    expect(removed).toMatchObject({ code: 0, stdout: 'session job1 removed\n' });
    const after = await cli(['session', 'list', '--remote', url]);
    expect(after.stdout.trim().split('\n')).toHaveLength(1); // the header only
    expect((await cli(['session', 'list'])).stdout).toBe('');
  }, 180_000);
});
