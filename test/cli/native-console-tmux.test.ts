// A native program that waits for console input, in a real terminal (tmux):
// `sh -c 'read x'` reads pwsh's empty stdin and returns; `read x < /dev/tty`
// used to open the terminal psremote shell holds in raw mode and wait for a
// newline that never comes (pwsh ran with the CLI's, or serve's, controlling
// terminal). The PSRP server now runs in a session of its own, so /dev/tty is
// ENXIO and the program ends, as a remote program finds no console on Windows.
// Both the OutOfProc target (exec:pwsh -s) and serve --engine real started in
// the terminal; `cat` too; and `invoke` gets the same answer.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { pwshEngineCommand } from '../helpers/pwsh.js';
import { describeWithTmux } from '../helpers/tmux.js';

const TTY_READ = `sh -c 'read x < /dev/tty; echo "tty gave [$x]"'`;
const NO_TTY = /cannot open \/dev\/tty: No such device or address/;

describeWithTmux('native programs reading the console (tmux, real pwsh)', (pwsh) => {
  const socket = `psremote-native-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = (w: string) => tmux('capture-pane', '-p', '-J', '-S', '-300', '-t', w).trimEnd();
  async function waitFor(w: string, re: RegExp, what: string, ms = 45_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const s = screen(w);
      if (re.test(s)) return s;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what} (${re}); the screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
  /** Types `line` at the prompt; resolves with the screen once `re` shows and the prompt is back. */
  async function run(w: string, prompt: RegExp, line: string, re: RegExp, what: string): Promise<string> {
    const before = count(screen(w), prompt);
    tmux('send-keys', '-t', w, '-l', line);
    tmux('send-keys', '-t', w, 'Enter');
    await waitFor(w, re, what);
    const end = Date.now() + 45_000;
    while (count(screen(w), prompt) <= before) {
      if (Date.now() > end) throw new Error(`no prompt after ${what}; the screen:\n${screen(w)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return screen(w);
  }
  const node = `NO_COLOR=1 '${process.execPath}' '${process.cwd()}/${CLI}'`;
  const engine = pwshEngineCommand(pwsh).join(' ');

  beforeAll(() => {
    expect(existsSync(CLI), 'run `npm run build` first').toBe(true);
    tmux('new-session', '-d', '-s', 'oop', '-x', '160', '-y', '50', `${node} shell 'exec:${engine}' --no-history; echo "shell exited with $?"; sleep 600`);
    // serve in the terminal too, so that its engine processes could have opened it.
    tmux('new-session', '-d', '-s', 'serve', '-x', '160', '-y', '20', `${node} serve --engine real --engine-command '${engine}'; sleep 600`);
  });

  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });

  it('exec:pwsh -s: read from stdin, cat and read < /dev/tty all return; the session goes on', async () => {
    const prompt = /^\[localhost\]: PS \S*>/gm;
    await waitFor('oop', prompt, 'the prompt');
    await run('oop', prompt, `sh -c 'read x; echo "stdin gave [$x]"'`, /stdin gave \[\]/, 'read on an empty stdin');
    await run('oop', prompt, `cat; 'after cat'`, /^after cat$/m, 'cat at end of input');
    const s = await run('oop', prompt, TTY_READ, NO_TTY, 'no terminal to open');
    expect(s).toMatch(/tty gave \[\]/);
    await run('oop', prompt, `'still' + ' here'`, /^still here$/m, 'the session alive');
  }, 180_000);

  it('serve --engine real started in a terminal: shell and invoke get no terminal either', async () => {
    const url = /listening on (\S+)/.exec(await waitFor('serve', /listening on \S+\nengine: real/, 'serve'))![1]!;
    tmux('new-session', '-d', '-s', 'sh', '-x', '160', '-y', '50', `${node} shell ${url} --no-history; echo "shell exited with $?"; sleep 600`);
    const prompt = /^\[127\.0\.0\.1\]: PS \S*>/gm;
    await waitFor('sh', prompt, 'the prompt');
    await run('sh', prompt, TTY_READ, NO_TTY, 'no terminal to open');
    await run('sh', prompt, `'still' + ' here'`, /^still here$/m, 'the session alive');
    tmux('new-session', '-d', '-s', 'inv', '-x', '160', '-y', '20', `${node} invoke ${url} -c "${TTY_READ.replace(/[$"]/g, '\\$&')}; 'done'"; echo "invoke exited with $?"; sleep 600`);
    const inv = await waitFor('inv', /invoke exited with \d+/, 'invoke to end');
    expect(inv).toMatch(NO_TTY);
    expect(inv).toMatch(/^done$/m);
  }, 180_000);
});
