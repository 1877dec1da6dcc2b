// A named session the server will not give back: `invoke --session` and `shell
// --session` end at once, non-zero, with the typed error's line, whether the
// shell is gone (the endpoint restarted) or Connect is refused (PowerShell's own
// OutOfProc server has no connect path). `session new` on an OutOfProc target
// printed its error and then hung on the pwsh child it had started. Each step
// is a new `psremote` process; spawnCli fails the test if one does not end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, startServe, type Serve } from '../helpers/cli.js';
import { describeWithPwsh, pwshEngineCommand } from '../helpers/pwsh.js';

const STEP_MS = 45_000;

describe('a named session whose shell is gone (scripted engine, endpoint restarted)', () => {
  let home = '';
  let env: NodeJS.ProcessEnv = {};
  let serve: Serve | undefined;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'psremote-refused-'));
    env = { ...process.env, PSREMOTE_HOME: home };
    serve = await startServe([], { env });
  }, 60_000);
  afterAll(() => {
    serve?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('invoke --session and shell --session exit 1 with PSR_SESSION_NOT_FOUND; session remove drops the stale name', async () => {
    const made = await spawnCli(['session', 'new', serve!.url, '--name', 'gone'], { env });
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const port = new URL(serve!.url).port;
    serve!.stop();
    await new Promise((r) => serve!.child.once('close', r));
    serve = await startServe(['--port', port], { env });

    const inv = await spawnCli(['invoke', '--session', 'gone', '-c', 'Write-Output 1'], { env, timeoutMs: STEP_MS });
    expect(inv.code).toBe(1);
    expect(inv.stdout).toBe('');
    expect(inv.stderr).toMatch(/^psremote: the session [0-9A-F-]{36} on .* no longer exists: .* \(PSR_SESSION_NOT_FOUND\)\n$/);

    // Ctrl+D's worth of input: the shell must not wait for a prompt it never shows.
    const sh = await spawnCli(['shell', '--session', 'gone'], { env, input: '', timeoutMs: STEP_MS });
    expect(sh.code).toBe(1);
    expect(sh.stderr).toMatch(/\(PSR_SESSION_NOT_FOUND\)\n$/);

    const removed = await spawnCli(['session', 'remove', 'gone'], { env, timeoutMs: STEP_MS });
    expect(removed).toMatchObject({ code: 0, stderr: '' });
    expect(removed.stdout).toBe(`session gone no longer existed on ${serve!.url}; its name is removed\n`);
    expect((await spawnCli(['session', 'list'], { env })).stdout).toBe('');
  }, 240_000);
});

describeWithPwsh('a named session on plain pwsh (serve --engine real), whose Connect is refused', (pwsh) => {
  let home = '';
  let env: NodeJS.ProcessEnv = {};
  let serve: Serve | undefined;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'psremote-refused-real-'));
    env = { ...process.env, PSREMOTE_HOME: home };
    serve = await startServe(['--engine', 'real', '--engine-command', pwshEngineCommand(pwsh).join(' ')], { env, timeoutMs: 60_000 });
  }, 90_000);
  afterAll(() => {
    serve?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('invoke --session and shell --session exit 1 with the fault; the session lives on and is removed', async () => {
    const made = await spawnCli(['session', 'new', serve!.url, '--name', 'plain'], { env, timeoutMs: STEP_MS });
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const refused = /^psremote: Connect on 127\.0\.0\.1:\d+: WS-Management fault \[2150858754\]: psremote serve: Connect from another client is not supported by this engine .*\(PSR_WSMAN_FAULT\)\n$/;

    const inv = await spawnCli(['invoke', '--session', 'plain', '-c', '1+1'], { env, timeoutMs: STEP_MS });
    expect(inv).toMatchObject({ code: 1, stdout: '' });
    expect(inv.stderr).toMatch(refused);
    const sh = await spawnCli(['shell', '--session', 'plain'], { env, input: '', timeoutMs: STEP_MS });
    expect(sh).toMatchObject({ code: 1, stdout: '' });
    expect(sh.stderr).toMatch(refused);

    const listed = await spawnCli(['session', 'list', '--remote', serve!.url], { env, timeoutMs: STEP_MS });
    expect(listed.stdout.split('\n')[1]).toMatch(/^[0-9A-F-]{36}\s+Disconnected\s/);
    expect(await spawnCli(['session', 'remove', 'plain'], { env, timeoutMs: STEP_MS })).toMatchObject({ code: 0, stdout: 'session plain removed\n' });
  }, 240_000);

  it('session new on an OutOfProc target is refused before pwsh is started (it used to hang after the error)', async () => {
    const r = await spawnCli(['session', 'new', `exec:${pwshEngineCommand(pwsh).join(' ')}`, '--name', 'oop'], { env, timeoutMs: STEP_MS });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('psremote: session new needs a WS-Management target: an OutOfProc session (exec:) cannot be disconnected, so it cannot outlive this process (PSR_USAGE)\n');
    expect((await spawnCli(['session', 'list'], { env })).stdout).toBe('');
  }, 120_000);
});
