// Every command's --help (in process, as `psremote <command> --help` prints it):
// exit 0, its usage line, and examples whose command exists; every command is in
// the manual (docs/cli.md); --version is the package's version.
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.js';
import { buildProgram } from '../../src/cli/main.js';
import { allCommands } from '../../src/cli/help-examples.js';

const cli = runInProcess;

const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
const commands = allCommands(await buildProgram(io)).map((c) => c.path);
const paths = new Set(commands);
const manual = readFileSync('docs/cli.md', 'utf8');

describe('--help of every command', () => {
  it('knows the commands', () => {
    expect(commands).toEqual(expect.arrayContaining(['invoke', 'shell', 'exec', 'session new', 'config show', 'upload', 'serve', 'kinit']));
  });

  it.each(commands)('%s --help: usage and examples that name real commands', async (path) => {
    const r = await cli([...path.split(' '), '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`Usage: psremote ${path} `);
    const examples = r.stdout.slice(r.stdout.indexOf('\nExamples:\n'));
    expect(r.stdout).toContain('\nExamples:\n');
    const lines = examples.split('\n').slice(2).filter((l) => /^ {2}\S/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      const words = l.trim().replace(/^echo .*?\| /, '').split(/\s+/);
      expect(words[0]).toBe('psremote');
      // The longest command path the example starts with is a real command.
      const cmd = paths.has(`${words[1]} ${words[2]}`) ? `${words[1]} ${words[2]}` : words[1]!;
      expect(paths.has(cmd), `${path}: example "${l.trim()}" names no command`).toBe(true);
    }
  });

  it('psremote --help: the commands, examples and the exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands.filter((p) => !p.includes(' '))) expect(r.stdout).toMatch(new RegExp(`\\n  ${c} `));
    expect(r.stdout).toContain('Exit codes: 0 success, 1 remote error or failed pipeline, 2 usage error, 3 connection or\nauthentication failure, 4 timeout');
    expect(r.stdout).toContain("npx psremote invoke http://127.0.0.1:5985/wsman -c 'Get-Date'");
  });

  it.each(commands.filter((p) => !p.includes(' ')))('docs/cli.md documents %s in the command table', (c) => {
    expect(manual).toMatch(new RegExp(`\\n\\| \`${c}[ \`]`));
  });

  it('--version and -V print the package version', async () => {
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = await cli([flag]);
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
  });
});
