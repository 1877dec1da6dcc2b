// CLI start-up: `psremote --version` and `--help` load none of the commands'
// modules, and a command loads its own module only (bench/cli-startup.bench.ts
// measures the time). What a run loads is read from the built CLI through an
// ESM loader hook that records every resolved module.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildProgram, run } from '../../src/cli/main.js';

const CLI = 'dist/cli/main.js';

beforeAll(() => {
  // The CLI is tested as users run it: from the built package.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}, 180_000);

/** The packages and dist/ files a CLI run resolved. */
function loaded(args: string[]): { code: number | null; stdout: string; packages: string[]; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'psremote-startup-'));
  const out = join(dir, 'imports.txt');
  try {
    const r = spawnSync(process.execPath, ['--import', './test/helpers/trace-imports.mjs', CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TRACE_IMPORTS_OUT: out },
      timeout: 30_000,
    });
    const urls = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    const packages = [...new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []))].sort();
    const files = [...new Set(urls.flatMap((u) => /\/dist\/(.+\.js)$/.exec(u)?.[1] ?? []))].sort();
    return { code: r.status, stdout: r.stdout, packages, files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const silent = () => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() });

describe('CLI start-up', () => {
  test('--version loads commander and a handful of cli files, none of the layers below', () => {
    const r = loaded(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.packages).toEqual(['commander']);
    // The trace sees something: the entry point itself.
    expect(r.files).toContain('cli/main.js');
    expect(r.files.filter((f) => !/^(cli\/[^/]+|errors|session\/(store|handle))\.js$/.test(f))).toEqual([]);
    expect(r.files).not.toContain('cli/commands/invoke.js');
  });

  test('--help loads no command module either', () => {
    const r = loaded(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\n  invoke [options] [hosts] ');
    expect(r.packages).toEqual(['commander']);
    expect(r.files.filter((f) => f.startsWith('cli/commands/'))).toEqual([]);
  });

  test('invoke loads its own module, undici, and no other command, server, SSH, queue or yaml code', () => {
    const r = loaded(['invoke', '--help']);
    expect(r.code).toBe(0);
    expect(r.packages).toEqual(['commander', 'undici']);
    expect(r.files.filter((f) => f.startsWith('cli/commands/'))).toEqual(['cli/commands/invoke.js']);
    expect(r.files.filter((f) => /^(server|fleet|transport\/ssh|auth\/kerberos)\//.test(f))).toEqual([]);
  });

  test('serve loads the server and yaml, not the client-only packages', () => {
    const r = loaded(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.files).toContain('cli/commands/serve.js');
    for (const p of ['ssh2', 'bullmq', 'ioredis']) expect(r.packages).not.toContain(p);
  });

  test('a worker loads BullMQ (the lazy import is still there when needed)', () => {
    const r = loaded(['worker', '--help']);
    expect(r.code).toBe(0);
    expect(r.packages).toEqual(expect.arrayContaining(['bullmq', 'ioredis']));
  });
});

describe('the command index', () => {
  test('psremote --help from the index is the help the modules build', async () => {
    const full = await buildProgram(silent());
    const lazy = await buildProgram(silent(), ['--help']);
    expect(lazy.commands.length).toBe(full.commands.length);
    expect(lazy.helpInformation()).toBe(full.helpInformation());
  });

  test('a mistyped command is still an unknown command with a suggestion', async () => {
    const io = silent();
    let err = '';
    io.stderr.on('data', (d) => (err += d));
    const code = await run(['invok'], io);
    process.exitCode = undefined;
    expect(code).toBe(2);
    expect(err).toContain("unknown command 'invok'");
    expect(err).toContain('(Did you mean invoke?)');
  });

  test('help COMMAND loads that command: its own options are listed', async () => {
    const io = silent();
    let out = '';
    io.stdout.on('data', (d) => (out += d));
    expect(await run(['help', 'exec'], io)).toBe(0);
    expect(out).toContain('Usage: psremote exec [options] <host> <command...>');
    expect(out).toContain('--codepage <n>');
  });
});
