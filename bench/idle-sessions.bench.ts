// Memory per idle session (issue 21: under 200 KB). The endpoint runs in its
// own process (bench/soak-endpoint.mjs, scripted engine), so this process holds
// only the client side: IDLE_SESSIONS (200) PowerShell sessions opened, each
// with one command run, then left open and idle (their keep-alive Receive
// outstanding). The client's heap after a full GC, and its RSS, are taken
// before and after; the difference over the count is what one idle session
// costs, and the endpoint's heap the same for the server side.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openSession } from '../src/session/open.js';
import type { RunspacePool } from '../src/session/runspace-pool.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const N = Number(process.env.IDLE_SESSIONS ?? 200);

const child = fork(join(import.meta.dirname, 'soak-endpoint.mjs'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let pending: ((m: unknown) => void) | undefined;
const url = await new Promise<string>((resolve, reject) => {
  child.once('message', (m) => resolve((m as { url: string }).url));
  child.once('exit', () => reject(new Error('the endpoint exited')));
});
child.on('message', (m) => pending?.(m));
const endpointHeap = () =>
  new Promise<number>((resolve) => {
    pending = (m) => resolve((m as { heapUsed: number }).heapUsed);
    child.send('sample');
  });
const clientHeap = () => {
  gc();
  gc();
  return process.memoryUsage();
};

// Warm-up: the JIT, undici's pools and the first buffers are not a session's cost.
for (let i = 0; i < 10; i++) {
  const p = await openSession(url);
  await p.invoke('Write-Output 1').result();
  await p.close();
}
const before = clientHeap();
const epBefore = await endpointHeap();
const pools: RunspacePool[] = [];
for (let i = 0; i < N; i++) {
  const p = await openSession(url);
  await p.invoke('Write-Output 1').result();
  pools.push(p);
}
await new Promise((r) => setTimeout(r, 500));
const after = clientHeap();
const epAfter = await endpointHeap();
for (const p of pools) await p.close();
child.send('close');

const kb = (bytes: number) => (bytes / N / 1024).toFixed(1);
console.log(`${N} idle PowerShell sessions (each opened, one command run, left open with its keep-alive Receive outstanding)`);
console.log('');
console.log('| per idle session | client heap | client RSS | endpoint heap |');
console.log('|---|---|---|---|');
console.log(`| KiB | ${kb(after.heapUsed - before.heapUsed)} | ${kb(after.rss - before.rss)} | ${kb(epAfter - epBefore)} |`);
