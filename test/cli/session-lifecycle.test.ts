// The session lifecycle through the CLI, each step a separate process, against
// the local endpoint (scripted engine): new → invoke --disconnected → list
// --remote → receive (every line exactly once) → remove.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';

const CLI = 'dist/cli/main.js';
let ep: LocalEndpoint;
let home: string;

beforeAll(async () => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  home = mkdtempSync(join(tmpdir(), 'psremote-home-'));
  ep = await startEndpoint({
    handler: async (ctx) => {
      if (ctx.commandText !== 'count') return ctx.output(ctx.commandText);
      for (let i = 1; i <= 20; i++) {
        ctx.output(`line ${i}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  });
}, 120_000);

afterAll(async () => {
  await ep?.close();
  rmSync(home, { recursive: true, force: true });
});

function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, PSREMOTE_HOME: home }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: 30_000 });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('new, invoke --disconnected, list --remote, receive, remove: each from a new process', async () => {
  const made = await cli(['session', 'new', ep.url, '--name', 'job1']);
  expect(made.stderr).toBe('');
  expect(made.stdout).toMatch(/^session job1 created on .*: ShellId [0-9A-F-]{36}, Disconnected\n$/);
  const shellId = /ShellId ([0-9A-F-]{36})/.exec(made.stdout)![1]!;

  const started = await cli(['invoke', '--session', 'job1', '-c', 'count', '--disconnected']);
  expect(started.code).toBe(0);
  const pipelineId = /pipeline ([0-9A-F-]{36}) runs in disconnected session job1/.exec(started.stdout)![1]!;

  const listed = await cli(['session', 'list', '--remote', ep.url]);
  expect(listed.code).toBe(0);
  expect(listed.stdout.split('\n')[1]).toMatch(new RegExp(`^${shellId}\\s+Disconnected\\s+Microsoft\\.PowerShell\\s+\\d+s\\s+\\d+s\\s+\\d+s\\s+\\d+s\\s+${pipelineId}$`));

  const local = await cli(['session', 'list']);
  expect(local.stdout).toBe(`job1\t${ep.url}\t${shellId}\tMicrosoft.PowerShell\n`);

  const received = await cli(['session', 'receive', 'job1', '--json']);
  expect(received.stderr).toBe('');
  expect(received.code).toBe(0);
  expect(received.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i + 1}`));

  const removed = await cli(['session', 'remove', 'job1']);
  expect(removed.stdout).toBe('session job1 removed\n');
  expect((await cli(['session', 'list', '--remote', ep.url])).stdout.trim().split('\n')).toHaveLength(1); // header only
  expect((await cli(['session', 'list'])).stdout).toBe('');

  const gone = await cli(['session', 'receive', 'job1']);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/no session named "job1".*\(PSR_SESSION_NOT_FOUND\)/);
});

test('remove --remote with filters removes only matching sessions', async () => {
  await cli(['session', 'new', ep.url, '--name', 'a']);
  await cli(['session', 'new', ep.url, '--name', 'b']);
  const none = await cli(['session', 'remove', '--remote', ep.url, '--state', 'disconnected', '--idle-longer-than', '1h']);
  expect(none.stdout).toBe('');
  const all = await cli(['session', 'remove', '--remote', ep.url, '--state', 'disconnected']);
  expect(all.stdout.trim().split('\n')).toHaveLength(2);
  expect(ep.stats.openShells).toBe(0);
});

test('connect runs commands from stdin in the session and leaves it disconnected; disconnect; remove --remote forgets the name', async () => {
  await cli(['session', 'new', ep.url, '--name', 'shell1']);
  const shellId = ep.shells().at(-1)!.shellId;
  const ran = await cli(['session', 'connect', 'shell1', '--json'], 'first\n\nsecond\nexit\nnot run\n');
  expect(ran).toMatchObject({ code: 0, stdout: '"first"\n"second"\n' });
  expect(ep.shells().find((s) => s.shellId === shellId)?.state).toBe('Disconnected');
  const d = await cli(['session', 'disconnect', 'shell1', '--idle-timeout', '600']);
  expect(d).toMatchObject({ code: 0, stdout: 'session shell1 disconnected; the server keeps it 600 s\n' });
  const bad = await cli(['session', 'disconnect', 'shell1', '--buffer-mode', 'sometimes']);
  expect(bad.stderr).toMatch(/invalid --buffer-mode sometimes: Block or Drop/);
  const removed = await cli(['session', 'remove', '--remote', ep.url, '--state', 'disconnected']);
  expect(removed.stdout).toBe(`removed ${shellId} (Disconnected) and its name shell1\n`);
  expect((await cli(['session', 'list'])).stdout).toBe('');
});
