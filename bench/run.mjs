// Runs every bench/*.bench.mjs|ts file in its own process (so one benchmark's heap
// does not disturb the next), prints their results, and writes them into
// BENCHMARKS.md between the generated-results markers with the machine, Node
// version and date (the hand-written notes below the markers are kept).
//
// `node bench/run.mjs wan` runs only the files whose names contain "wan" and
// leaves BENCHMARKS.md alone unless BENCH_WRITE=1. `BENCH_QUICK=1` runs the
// quick subset (QUICK below, a few minutes instead of most of an hour) and
// writes it. A run that writes replaces the sections of the files it ran and
// keeps the others from the earlier runs: each section names its own run
// (date and load average), so the table says which rows come from which run.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files of BENCH_QUICK=1: start-up, the client's profiles, fan-out, idle memory, the pool on loopback. */
const QUICK = ['cli-startup', 'client-profile', 'fan-out', 'idle-sessions', 'session.bench'];

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const only = quick ? QUICK : process.argv.slice(2);
const all = readdirSync(here)
  .filter((f) => /\.bench\.(mjs|ts)$/.test(f))
  .sort();
const files = all.filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const stamp = () => `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const load = () => loadavg()[0].toFixed(1);
let failed = 0;
/** The new section of each file run, by file name. */
const sections = new Map();
for (const f of files) {
  console.log(`\n## ${f}`);
  const started = stamp();
  const loadBefore = load();
  const args = f.endsWith('.ts') ? ['--import', 'tsx', join(here, f)] : [join(here, f)];
  const r = spawnSync(process.execPath, args, { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) failed++;
  const run = `Run ${started}${quick ? ' (BENCH_QUICK=1)' : only.length ? ` (\`node bench/run.mjs ${only.join(' ')}\`)` : ' (full `npm run bench`)'}, load average ${loadBefore} at its start and ${load()} at its end.`;
  sections.set(f, `### \`bench/${f}\`${r.status !== 0 ? ' (failed)' : ''}\n\n${run}\n\n${(r.stdout ?? '').trim()}\n`);
}

const START = '<!-- bench:start (written by npm run bench) -->';
const END = '<!-- bench:end -->';

/** The sections of the generated block, by file name (the text up to the next file's heading). */
function earlierSections(block) {
  const out = new Map();
  const heads = [...block.matchAll(/^### `bench\/([^`]+)`/gm)];
  heads.forEach((m, i) => out.set(m[1], `${block.slice(m.index, heads[i + 1]?.index ?? block.length).trimEnd()}\n`));
  return out;
}

if (only.length === 0 || quick || process.env.BENCH_WRITE === '1') {
  const path = join(here, '../BENCHMARKS.md');
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {}
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  const earlier = a >= 0 && b > a ? earlierSections(text.slice(a + START.length, b)) : new Map();
  const cpu = cpus();
  const header = [
    `Written by \`npm run bench\` (\`bench/run.mjs\`), last on ${stamp()}: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores,`,
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}, load average ${load()} at the end.`,
    'Each section below names the run it comes from and the load average then: a subset',
    '(`BENCH_QUICK=1 npm run bench`, or file names as arguments with BENCH_WRITE=1) rewrites',
    'only the sections of the files it ran and keeps the others from earlier runs.',
  ].join('\n');
  const body = all
    .flatMap((f) => sections.get(f) ?? earlier.get(f) ?? [])
    .join('\n');
  const block = `${START}\n## Latest runs\n\n${header}\n\n${body}${END}`;
  const title = '# Benchmarks\n\n';
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length);
  else if (text.startsWith('# ')) {
    const nl = text.indexOf('\n');
    text = `${text.slice(0, nl + 1)}\n${block}\n\n${text.slice(nl + 1).replace(/^\n+/, '')}`;
  } else text = `${title}${block}\n\n${text}`;
  writeFileSync(path, text);
}
process.exit(failed ? 1 : 0);
