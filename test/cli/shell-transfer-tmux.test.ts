// `upload` and `download` at the `psremote shell` prompt, in a real terminal
// (tmux) against the endpoint on real pwsh: a file goes up, pwsh reads it back
// (Get-Content), it comes down again byte for byte, with the summary line; a
// malformed command gets its usage and the shell goes on. A native program that
// reads stdin (`sh -c 'read x'`) does not hang the shell: pwsh gives it an
// empty stdin in a remote session, and the prompt comes back.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pwshServer } from '../helpers/pwsh.js';
import { describeWithTmux } from '../helpers/tmux.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

type Psremote = typeof import('../../src/index.js');

describeWithTmux('upload and download in psremote shell (tmux, real pwsh)', (pwsh) => {
  const socket = `psremote-transfer-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'psremote-shell-transfer-'));
  const remote = join(tmpdir(), `psremote-shell-up-${process.pid}.txt`);
  let endpoint: Awaited<ReturnType<Psremote['startEndpoint']>> | undefined;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const keys = (...k: string[]) => tmux('send-keys', '-t', 'sh', ...k);
  const type = (text: string) => keys('-l', text);
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-500', '-t', 'sh').trimEnd();
  async function waitFor(re: RegExp, what: string, ms = 30_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = screen();
      if (re.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${re}); the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const prompts = () => (screen().match(/^\[127\.0\.0\.1\]: PS \S*>/gm) ?? []).length;
  async function run(line: string, expect: RegExp, what: string): Promise<string> {
    const before = prompts();
    type(line);
    keys('Enter');
    const s = await waitFor(expect, what);
    const end = Date.now() + 30_000;
    while (prompts() <= before && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    return s;
  }

  beforeAll(async () => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    writeFileSync(join(dir, 'up.txt'), 'line one\nline two: ünïcode\n');
    const ps = (await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)) as Psremote;
    endpoint = await ps.startEndpoint({ realEngine: pwshServer(pwsh) });
    const command = `cd '${dir}' && PSREMOTE_HOME='${dir}' NO_COLOR=1 '${process.execPath}' '${CLI}' shell ${endpoint.url} --no-history; echo "shell exited with $?"; sleep 600`;
    tmux('new-session', '-d', '-s', 'sh', '-x', '150', '-y', '50', command);
  }, 60_000);

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await endpoint?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(remote, { force: true });
  });

  it('upload, read remotely, download; usage errors; a native program reading stdin does not hang', async () => {
    await waitFor(/^\[127\.0\.0\.1\]: PS \/\S*>$/m, 'the first prompt', 60_000);
    await run(`upload up.txt ${remote}`, /uploaded 1 file, 29 bytes in [\d.]+ s, 1 SHA-256 hashes verified\n/, 'the upload summary');
    await run(`Get-Content ${remote}`, /Get-Content .*\nline one\nline two: ünïcode\n/, 'pwsh reading the uploaded file');
    await run(`download ${remote} 'back copy.txt'`, /downloaded 1 file, 29 bytes in [\d.]+ s, 1 SHA-256 hashes verified\n/, 'the download summary');
    expect(readFileSync(join(dir, 'back copy.txt'), 'utf8')).toBe('line one\nline two: ünïcode\n');
    await run(`download ${remote} 'back copy.txt'`, /download: .*\(PSR_COPY_TARGET_EXISTS\)\n/, 'an existing file refused without --force');
    await run('upload onlyone', /upload: give two paths \(upload \[-r\] \[--force\] LOCAL REMOTE\)\n/, 'the usage');
    await run(`sh -c 'read x; echo "got [$x]"'`, /\ngot \[\]\n/, 'the native program ending at once on an empty stdin');
    await run('1+1', /> 1\+1\n2\n/, 'the shell still answering');
    type('exit');
    keys('Enter');
    await waitFor(/shell exited with 0/, 'the shell exiting 0');
  }, 180_000);
});
