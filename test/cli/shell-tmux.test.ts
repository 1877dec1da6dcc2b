// `psremote shell` as a person uses it: the built CLI in a real terminal (tmux:
// send-keys types, capture-pane reads the screen) against psremote's endpoint
// on real PowerShell (pwsh 7.6.9 behind startEndpoint's realEngine). Every
// answer on the screen comes from pwsh: the parser deciding that input is
// incomplete, TabExpansion2, Out-String's table, the location, Read-Host's
// Prompt host call, the stop of a running pipeline.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pwshServer } from '../helpers/pwsh.js';
import { describeWithTmux } from '../helpers/tmux.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

type Psremote = typeof import('../../src/index.js');

describeWithTmux('psremote shell in a terminal (tmux) on real pwsh', (pwsh) => {
  const socket = `psremote-shell-${process.pid}`;
  const home = mkdtempSync(join(tmpdir(), 'psremote-shell-home-'));
  let endpoint: Awaited<ReturnType<Psremote['startEndpoint']>> | undefined;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const keys = (...k: string[]) => tmux('send-keys', '-t', 'sh', ...k);
  const type = (text: string) => keys('-l', text);
    // capture-pane drops trailing blanks (so a prompt ends in ">"), and the empty rows below the cursor go too.
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 'sh').trimEnd();

  /** Polls the screen until `re` matches (the terminal is another process; there is no event to wait on). */
  async function waitFor(re: RegExp, what: string, ms = 30_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = screen();
      if (re.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${re}); the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  /** The line the cursor is on. */
  const promptLine = () => screen().split('\n').at(-1) ?? '';
  const count = (re: RegExp) => (screen().match(new RegExp(re.source, 'g')) ?? []).length;

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    const ps = (await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)) as Psremote;
    endpoint = await ps.startEndpoint({ realEngine: pwshServer(pwsh) });
    const command = `PSREMOTE_HOME='${home}' NO_COLOR=1 '${process.execPath}' '${CLI}' shell ${endpoint.url}; echo "shell exited with $?"; sleep 600`;
    tmux('new-session', '-d', '-s', 'sh', '-x', '120', '-y', '50', command);
  }, 60_000);

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await endpoint?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('prompts, runs, formats, edits, completes, stops and leaves', async () => {
    await waitFor(/^\[127\.0\.0\.1\]: PS \/\S*>$/m, 'the first prompt with host and location', 60_000);

    type('1+1');
    keys('Enter');
    await waitFor(/PS \/\S*> 1\+1\n2\n\[127\.0\.0\.1\]: PS /, '1+1 answered 2');

    type('Get-Process | Select-Object -First 2 Name, Id');
    keys('Enter');
    const table = await waitFor(/Name\s+Id\n----\s+--\n\S.*\d+\n\S.*\d+\n/, 'a table with a header');
    expect(table).toMatch(/First 2 Name, Id\n\n?Name\s+Id\n----\s+--\n/);

    type('function Get-Greeting {');
    keys('Enter');
    await waitFor(/\n>>$/, 'the continuation prompt');
    type('  param($Who) "hello, $Who"');
    keys('Enter');
    await waitFor(/"hello, \$Who"\n>>$/, 'a second continuation prompt');
    type('}');
    keys('Enter');
    await waitFor(/>> \}\n\[127\.0\.0\.1\]: PS \S+>$/, 'the prompt after the function');
    type('Get-Greeting world');
    keys('Enter');
    await waitFor(/Get-Greeting world\nhello, world\n/, 'the function called');

    keys('Up');
    await waitFor(/PS \S+> Get-Greeting world$/, 'the last command recalled with the up arrow');
    keys('C-u');

    type('Get-ChildI');
    keys('Tab');
    await waitFor(/PS \S+> Get-ChildItem$/, 'Get-ChildI completed to Get-ChildItem');
    keys('C-u');

    type('cd /tmp');
    keys('Enter');
    await waitFor(/\[127\.0\.0\.1\]: PS \/tmp>$/, 'the prompt at /tmp');

    type('while ($true) { Start-Sleep 1 }');
    keys('Enter');
    const prompts = count(/\[127\.0\.0\.1\]: PS \/tmp> ?/);
    await new Promise((r) => setTimeout(r, 2500));
    // Still running: no new prompt came.
    expect(count(/\[127\.0\.0\.1\]: PS \/tmp> ?/)).toBe(prompts);
    keys('C-c');
    await waitFor(/\[127\.0\.0\.1\]: PS \/tmp>$/, 'the prompt back after Ctrl+C');
    expect(count(/\[127\.0\.0\.1\]: PS \/tmp> ?/)).toBe(prompts + 1);
    type('"alive $PID"');
    keys('Enter');
    await waitFor(/\nalive \d+\n/, 'the session alive after the stop');

    // A stop that takes a while (a finally block sleeps): the second Ctrl+C during it says so and the shell waits.
    type('try { while ($true) { Start-Sleep 1 } } finally { Start-Sleep 3 }');
    keys('Enter');
    await new Promise((r) => setTimeout(r, 2000));
    keys('C-c');
    await new Promise((r) => setTimeout(r, 500));
    keys('C-c');
    await waitFor(/the pipeline is stopping; waiting for the server to confirm\n/, 'the second Ctrl+C answered');
    await waitFor(/waiting for the server to confirm\n+\[127\.0\.0\.1\]: PS \/tmp>$/, 'the prompt after the slow stop');
    type('"still $PID"');
    keys('Enter');
    await waitFor(/\nstill \d+\n/, 'the session alive after the second Ctrl+C');

    type('$n = Read-Host "Your name"; "hi $n"');
    keys('Enter');
    await waitFor(/\nYour name:$/, 'the Read-Host prompt');
    type('Ada');
    keys('Enter');
    await waitFor(/\nhi Ada\n/, 'Read-Host answered');

    type('$p = Read-Host -AsSecureString "PIN"; "length " + [Net.NetworkCredential]::new("", $p).Password.Length');
    keys('Enter');
    await waitFor(/\nPIN:$/, 'the secure Read-Host prompt');
    type('s3cr3t-typed');
    keys('Enter');
    const secure = await waitFor(/\nlength 12\n/, 'the SecureString received whole');
    // Typed with the echo off: the secret is nowhere on the screen.
    expect(secure).not.toContain('s3cr3t-typed');

    type('exit');
    keys('Enter');
    await waitFor(/shell exited with 0/, 'the shell leaving with 0');

    const files = readdirSync(join(home, 'history'));
    expect(files).toHaveLength(1);
    const history = readFileSync(join(home, 'history', files[0]!), 'utf8').split('\n');
    expect(history).toContain('1+1');
    expect(history).toContain('Get-Greeting world');
    // The answer typed at Read-Host is not a command.
    expect(history).not.toContain('Ada');
    expect(history.join('\n')).not.toContain('s3cr3t-typed');
    expect(promptLine()).toBe('shell exited with 0');
  }, 240_000);
});
