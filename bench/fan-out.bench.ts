// 1,000 PowerShell sessions fanned out on loopback (issue 21): invokeOnHosts
// (Invoke-Command -ComputerName) over FANOUT_SESSIONS (1,000) targets, all the
// local endpoint in its own process (bench/soak-endpoint.mjs, scripted
// engine), each an open + one command + close. Once with PowerShell's default
// throttle of 32, once with all of them at once. Reported: wall time, the
// client's peak heap (sampled every 20 ms) and peak RSS, and the endpoint's
// peak RSS (VmHWM of its process). The endpoint's connection limit is raised
// to 4,096 (FANOUT_MAX_CONNECTIONS): its default, from the memory, is about
// 1,300 here, and 1,000 sessions at once hold two connections each (the pool's
// Receive and the command's); over the limit it drops connections, and those
// sessions fail with "the connection was closed before the response was complete".
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { invokeOnHosts } from '../src/session/invoke.js';

const N = Number(process.env.FANOUT_SESSIONS ?? 1000);
const MAX_CONNECTIONS = process.env.FANOUT_MAX_CONNECTIONS ?? '4096';
const child = fork(join(import.meta.dirname, 'soak-endpoint.mjs'), [], {
  execArgv: ['--expose-gc'],
  env: { ...process.env, ENDPOINT_MAX_CONNECTIONS: MAX_CONNECTIONS },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const url = await new Promise<string>((resolve, reject) => {
  child.once('message', (m) => resolve((m as { url: string }).url));
  child.once('exit', () => reject(new Error('the endpoint exited')));
});
const dropped = () =>
  new Promise<number>((resolve) => {
    child.once('message', (m) => resolve((m as { stats: { connectionsDropped: number } }).stats.connectionsDropped));
    child.send('sample');
  });
const peakRss = (pid: number | 'self') => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

// Warm-up: JIT and the first connections are not the fan-out's cost.
for await (const r of invokeOnHosts(Array.from({ length: 20 }, () => url), 'Write-Output 1', { throttleLimit: 10 })) if (!r.ok) throw r.error;

const rows: string[] = [];
for (const throttle of [32, N]) {
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const t0 = performance.now();
  let ok = 0;
  const failures = new Map<string, number>();
  for await (const r of invokeOnHosts(Array.from({ length: N }, () => url), 'Write-Output 1', { throttleLimit: throttle })) {
    if (r.ok && r.result.output.length === 1) ok++;
    else {
      const why = r.ok ? 'wrong output' : r.error.message.slice(0, 80);
      failures.set(why, (failures.get(why) ?? 0) + 1);
    }
  }
  const ms = performance.now() - t0;
  clearInterval(sampler);
  const drops = await dropped();
  // VmHWM is the peak over the process's life: the later, wider run's figure includes the earlier one's.
  rows.push(
    `| ${throttle === N ? `all ${N} at once` : throttle} | ${ok} / ${N}${failures.size ? ` (${[...failures].map(([k, v]) => `${v}× ${k}`).join('; ')})` : ''} | ${(ms / 1000).toFixed(2)} s | ${Math.round((N / ms) * 1000)} sessions/s | ${mib(peakHeap)} | ${mib(peakRss('self'))} | ${mib(peakRss(child.pid!))} | ${drops} |`,
  );
}
child.send('close');
await new Promise((r) => child.once('exit', r));
console.log(`${N} PowerShell sessions (open + \`Write-Output 1\` + close each) through invokeOnHosts to the local endpoint in another process (connection limit ${MAX_CONNECTIONS}), loopback, anonymous`);
console.log('| throttle | succeeded | wall time | rate | client peak heap | client peak RSS | endpoint peak RSS | connections the endpoint dropped (so far) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
