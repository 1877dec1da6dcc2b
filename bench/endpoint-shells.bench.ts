// Memory of the local endpoint holding many shells: the endpoint runs in its own
// process (`psremote serve`), and this one opens 500 PowerShell sessions (each
// with its keep-alive Receive held by the server) and then 500 cmd shells, and
// reads the server's resident set size from /proc before and after.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSession } from '../src/session/open.js';
import { openShell } from '../src/winrm/winrs.js';

const N = Number(process.env.SHELLS ?? 500);
const cli = join(import.meta.dirname, '../dist/cli/main.js');
const child = spawn(process.execPath, [cli, 'serve', '--max-shells-per-user', String(2 * N + 10)], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
});
const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
const settle = () => new Promise((r) => setTimeout(r, 1000));

await settle();
const base = rssKiB();
const t0 = performance.now();
const pools = [];
for (let i = 0; i < N; i++) pools.push(await openSession(url, { closeOnExit: false }));
const openMs = performance.now() - t0;
await settle();
const withPools = rssKiB();
// Every pool still answers.
const echoes = await Promise.all(pools.slice(0, 20).map((p) => p.invoke('Write-Output 1').result()));
if (echoes.some((r) => r.output[0] !== 1)) throw new Error('a pool did not answer');

const shells = [];
for (let i = 0; i < N; i++) shells.push(await openShell(url));
await settle();
const withShells = rssKiB();

for (const p of pools) await p.close();
for (const s of shells) await s.close();
await settle();
const after = rssKiB();
child.kill('SIGTERM');

const perPool = (withPools - base) / N;
const perShell = (withShells - withPools) / N;
console.log(`| endpoint process RSS, idle | ${(base / 1024).toFixed(1)} MiB |`);
console.log(`| + ${N} PowerShell sessions (each with a held keep-alive Receive) | ${(withPools / 1024).toFixed(1)} MiB (${perPool.toFixed(1)} KiB per session; opened in ${(openMs / 1000).toFixed(1)} s) |`);
console.log(`| + ${N} cmd shells | ${(withShells / 1024).toFixed(1)} MiB (${perShell.toFixed(1)} KiB per shell) |`);
console.log(`| after closing all | ${(after / 1024).toFixed(1)} MiB |`);
