// CPU profiles of the client (issue 21): a 50 MiB WinRS stdout through
// runCommand, and 20,000 objects of a PowerShell pipeline iterated on an open
// pool, each in a client process of its own under `node --cpu-prof`, against
// the local endpoint in another process (bench/profile-endpoint.mjs), so the
// profile holds the client alone. Reported: wall and client CPU time, and the
// functions with the most self time. Set PROFILE_KEEP=DIR to keep the
// .cpuprofile files (open them in Chrome's DevTools).
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOP = Number(process.env.PROFILE_TOP ?? 12);
const here = import.meta.dirname;
const ep = fork(join(here, 'profile-endpoint.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const url = await new Promise<string>((resolve) => ep.once('message', (m: { url: string }) => resolve(m.url)));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (name, file and line), largest first, and the busy total. */
function selfTimes(p: Profile): { total: number; rows: [string, number][] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id)!.callFrame;
    const t = p.timeDeltas[i] ?? 0;
    // Waiting for the endpoint is not the client's cost.
    if (cf.functionName === '(idle)') return;
    total += t;
    const file = cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
    const key = `${cf.functionName || '(anonymous)'}${file ? ` (${file}:${cf.lineNumber + 1})` : ''}`;
    self.set(key, (self.get(key) ?? 0) + t);
  });
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]) };
}

const keep = process.env.PROFILE_KEEP;
const cases = [
  { kase: 'winrs', title: 'WinRS: 50 MiB stdout (runCommand)', unit: (n: number, s: number) => `${(n / 2 ** 20 / s).toFixed(1)} MiB/s` },
  { kase: 'objects', title: 'PowerShell: 20,000 objects on an open pool', unit: (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')} objects/s` },
];
for (const { kase, title, unit } of cases) {
  const dir = keep ? join(keep, kase) : mkdtempSync(join(tmpdir(), 'psremote-prof-'));
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, join(here, 'profile-client.mjs'), kase], {
    env: { ...process.env, PROFILE_URL: url },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`the ${kase} client exited ${r.status}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; cpuMs: number; amount: number; rss: number };
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const { total, rows } = selfTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile);
  console.log(`\n${title}: ${m.ms.toFixed(0)} ms wall, ${m.cpuMs.toFixed(0)} ms client CPU, ${unit(m.amount, m.ms / 1000)}; client RSS ${(m.rss / 2 ** 20).toFixed(0)} MiB at the end`);
  console.log(`\n| self time | share of the busy profile | function |`);
  console.log('|---|---|---|');
  for (const [k, t] of rows.slice(0, TOP)) console.log(`| ${(t / 1000).toFixed(0)} ms | ${((100 * t) / total).toFixed(1)}% | \`${k.replace(/\|/g, '\\|')}\` |`);
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
ep.send('close');
await new Promise((r) => ep.once('exit', r));
