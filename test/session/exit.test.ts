// A program that opens sessions and simply ends: the pool's keep-alive Receive
// must not keep Node running, and the pools still Opened are closed on the
// server (Delete) on the way out, while Disconnected ones are left for later.
// The program runs as a child process against the built package (dist/).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';

const dist = resolve(__dirname, '../../dist/index.js');
let endpoint: LocalEndpoint;
beforeEach(async () => {
  endpoint = await startEndpoint();
});
afterEach(async () => {
  await endpoint.close();
});

function runProgram(body: string): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const src = `import { openSession } from ${JSON.stringify(dist)};\nconst url = ${JSON.stringify(endpoint.url)};\n${body}`;
  const t0 = Date.now();
  return new Promise((done) => {
    execFile(process.execPath, ['--input-type=module', '-e', src], { timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const ops = () => endpoint.log.map((l) => l.operation).filter((o) => o !== 'Receive');

test('a program that forgets to close its session exits, and the session is removed on the server', async () => {
  const r = await runProgram(`
    const pool = await openSession(url);
    for await (const x of pool.invoke('Write-Output 1 2')) console.log(x);
  `);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0); // not killed by the 20 s timeout: it exited by itself
  expect(r.stdout.trim().split('\n')).toEqual(['1', '2']);
  expect(ops()).toEqual(['Create', 'Command', 'Delete']);
  expect(endpoint.stats.openShells).toBe(0);
});

test('a disconnected session outlives the program that disconnected it', async () => {
  const r = await runProgram(`
    const pool = await openSession(url);
    await pool.disconnect({ idleTimeoutMs: 600000 });
    console.log(pool.state);
  `);
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('Disconnected');
  expect(ops()).toEqual(['Create', 'Disconnect']);
  expect(endpoint.stats.openShells).toBe(1);
});

test('closeOnExit: false leaves an open session on the server', async () => {
  const r = await runProgram(`
    const pool = await openSession(url, { closeOnExit: false });
    console.log(pool.state);
  `);
  expect(r.code).toBe(0);
  expect(ops()).toEqual(['Create']);
  expect(endpoint.stats.openShells).toBe(1);
});

test('a running pipeline keeps the program alive until it completes', async () => {
  const r = await runProgram(`
    const pool = await openSession(url);
    const inv = pool.invoke('Write-Output 7');
    inv.result().then((res) => console.log('done', res.output.join(',')));
  `);
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('done 7');
  expect(ops()).toEqual(['Create', 'Command', 'Delete']);
});
