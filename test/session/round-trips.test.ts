// The requests on the critical path of the one-shot helpers and of a command
// on an open pool, counted on the local endpoint's log (runCommand and exec
// end the command's stdin with a Send of their own unless told it is not read): the requests answered
// before the call resolved. What goes on after (the Delete of a one-shot
// helper, sent in the background) must still reach the server, also when the
// program ends right after (child processes against the built package).
import { execFile, execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { flushPendingCloses } from '../../src/winrm/exit.js';
import { invokeCommand } from '../../src/session/invoke.js';
import { openSession } from '../../src/session/open.js';
import { runCommand } from '../../src/winrm/winrs.js';

const dist = resolve(__dirname, '../../dist/index.js');
let ep: LocalEndpoint;
beforeAll(() => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}, 120_000);
beforeEach(async () => {
  // `greet` writes its output and ends at once, so one Receive carries both (a
  // real process's exit can come a Receive later: that is the server's timing).
  ep = await startEndpoint({ cmdCommands: { greet: async (ctx) => (ctx.stdout('hi'), 0) } });
});
afterEach(async () => {
  await flushPendingCloses();
  await ep.close();
});
afterAll(async () => {
  await flushPendingCloses();
});

/** Operations answered so far, with any status other than 200 appended. */
const ops = (from = 0) => ep.log.slice(from).map((l) => (l.status === 200 ? l.operation : `${l.operation}:${l.status}`));

test('runCommand: Create, Command, Send (stdin ended), Receive on the critical path; no Signal; the Delete follows and no shell is left', async () => {
  const r = await runCommand(ep.url, 'greet');
  expect(r).toMatchObject({ exitCode: 0, stdout: 'hi' });
  const critical = ops();
  expect(critical).toEqual(['Create', 'Command', 'Send', 'Receive']);
  await flushPendingCloses();
  expect(ops()).toEqual(['Create', 'Command', 'Send', 'Receive', 'Delete']);
  expect(ep.stats.openShells).toBe(0);
});

test('runCommand with closeStdin: false (the command reads no stdin): Create, Command, Receive, as pywinrm minus its Signal', async () => {
  const r = await runCommand(ep.url, 'greet', [], { closeStdin: false });
  expect(r).toMatchObject({ exitCode: 0, stdout: 'hi' });
  expect(ops()).toEqual(['Create', 'Command', 'Receive']);
  await flushPendingCloses();
  expect(ops()).toEqual(['Create', 'Command', 'Receive', 'Delete']);
});

test('runCommand with awaitClose: the Delete is answered before it resolves', async () => {
  await runCommand(ep.url, 'greet', [], { awaitClose: true });
  expect(ops()).toEqual(['Create', 'Command', 'Send', 'Receive', 'Delete']);
  expect(ep.stats.openShells).toBe(0);
});

test('invokeCommand: open + one command in 4 requests (Create, Receive, Command, Receive), the Delete after, no shell left', async () => {
  const result = await invokeCommand(ep.url, 'Write-Output 1');
  expect(result.output.length).toBeGreaterThan(0);
  const critical = ops();
  expect(critical).toEqual(['Create', 'Receive', 'Command', 'Receive']);
  await flushPendingCloses();
  // The pool's keep-alive Receive, outstanding during the command, is answered with a fault when the shell goes.
  expect(ops().slice(4).filter((o) => !o.startsWith('Receive'))).toEqual(['Delete']);
  expect(ep.stats.openShells).toBe(0);
});

test('a command on an open pool: Command and Receive', async () => {
  const pool = await openSession(ep.url);
  try {
    await pool.invoke('Write-Output 1').result();
    const n = ep.log.length;
    await pool.invoke('Write-Output 2').result();
    expect(ops(n)).toEqual(['Command', 'Receive']);
    const m = ep.log.length;
    await pool.invoke('Write-Output 3').result();
    expect(ops(m)).toEqual(['Command', 'Receive']);
  } finally {
    await pool.close();
  }
  expect(ep.stats.openShells).toBe(0);
});

function runProgram(body: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const src = `import { runCommand, invokeCommand } from ${JSON.stringify(dist)};\nconst url = ${JSON.stringify(ep.url)};\n${body}`;
  return new Promise((done) => {
    execFile(process.execPath, ['--input-type=module', '-e', src], { timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

test('a program that ends right after runCommand still deletes its shell', async () => {
  const r = await runProgram(`const r = await runCommand(url, 'greet'); console.log(r.exitCode);`);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('0');
  expect(ops()).toEqual(['Create', 'Command', 'Send', 'Receive', 'Delete']);
  expect(ep.stats.openShells).toBe(0);
});

test('a program that ends right after invokeCommand still deletes its pool', async () => {
  const r = await runProgram(`const r = await invokeCommand(url, 'Write-Output 1'); console.log(r.output.length > 0);`);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('true');
  expect(ops().filter((o) => !o.startsWith('Receive'))).toEqual(['Create', 'Command', 'Delete']);
  expect(ep.stats.openShells).toBe(0);
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve(__dirname, '../../dist/cli/main.js'), ...args], { timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

test('psremote exec: Create, Command, Send (stdin ended, no --stdin), Receive, Delete (no Signal), and the shell is gone when the process has exited', async () => {
  const r = await cli(['exec', ep.url, '--', 'greet']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('hi');
  expect(ops()).toEqual(['Create', 'Command', 'Send', 'Receive', 'Delete']);
  expect(ep.stats.openShells).toBe(0);
});

test('psremote invoke on one host: the pool is deleted before the process exits', async () => {
  const r = await cli(['invoke', ep.url, '-c', 'Write-Output 1', '--json']);
  expect(r.code).toBe(0);
  expect(ops().filter((o) => !o.startsWith('Receive'))).toEqual(['Create', 'Command', 'Delete']);
  expect(ep.stats.openShells).toBe(0);
});

test('psremote invoke in the default view asks once whether the server can format (one more Command), then runs the script', async () => {
  const r = await cli(['invoke', ep.url, '-c', 'Write-Output 1']);
  expect(r.code).toBe(0);
  expect(ops().filter((o) => !o.startsWith('Receive'))).toEqual(['Create', 'Command', 'Command', 'Delete']);
  expect(ep.stats.openShells).toBe(0);
});
