// CLI start-up: `psremote --version`, and the time from starting `psremote invoke`
// to its first request reaching the endpoint (module loading, argument parsing,
// connection set-up), medians of a few runs, against the built dist/ (or
// another build's dist/cli/main.js in CLI_MAIN, for before/after).
import { spawn } from 'node:child_process';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startEndpoint } from '../src/server/endpoint.js';

const cli = process.env.CLI_MAIN ?? join(import.meta.dirname, '../dist/cli/main.js');
const RUNS = Number(process.env.CLI_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function run(args: string[], onStart?: (t0: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    onStart?.(t0);
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PW: 'pw-1' } });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - t0));
  });
}

const version: number[] = [];
for (let i = 0; i < RUNS; i++) version.push(await run(['--version']));

let first: number | undefined;
let started = 0;
const ep = await startEndpoint({ users: { alice: 'pw-1' }, allowUnencrypted: true });
// A pass-through TCP listener in front of the endpoint notes when the first request's bytes arrive.
const front = createServer((c) => {
  first ??= performance.now() - started;
  const s = connect(Number(new URL(ep.url).port), '127.0.0.1');
  c.pipe(s).pipe(c);
  c.on('error', () => s.destroy());
  s.on('error', () => c.destroy());
});
await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}/wsman`;
const firstRequest: number[] = [];
const total: number[] = [];
for (let i = 0; i < RUNS; i++) {
  first = undefined;
  total.push(await run(['invoke', url, '-u', 'alice', '--password-env', 'PW', '--auth', 'basic', '--insecure-allow-unencrypted', '-c', 'Write-Output 1'], (t0) => (started = t0)));
  if (first !== undefined) firstRequest.push(first);
}
await new Promise((r) => front.close(r));
await ep.close();
console.log('| task | median |');
console.log('|---|---|');
console.log(`| \`psremote --version\` (process start to exit) | ${median(version).toFixed(0)} ms |`);
console.log(`| \`psremote invoke\`: process start to its first request's bytes arriving | ${firstRequest.length ? median(firstRequest).toFixed(0) + ' ms' : 'no request (flags?)'} |`);
console.log(`| \`psremote invoke\` on loopback, whole run | ${median(total).toFixed(0)} ms |`);
