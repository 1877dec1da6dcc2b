// npm run fuzz [--cases N] [--seconds S] [--target NAME[,NAME…]] [--seed X] [--log FILE]
//
// Runs each target in its own worker (memory-capped) for N cases or S seconds,
// whichever ends first; a case that throws a non-PsRemoteError, runs past the
// hang limit or exhausts the worker's heap is a finding, written (minimised
// where possible) to fuzz/findings/. Exit code 1 when there was a finding.

import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { generateCase, prepare, type Finding } from './engine.js';
import { loadTarget, targetNames } from './targets.js';

process.chdir(join(import.meta.dirname, '..')); // fixtures/ paths are relative to the project
const HANG_MS = 15_000;
const HEAP_MB = 768;

// `npm run fuzz -- --cases N` passes flags through; `npm run fuzz --cases N` (no `--`) makes npm
// keep the flag as npm_config_cases (a value, or "true" with the value left as an argument).
const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const env = process.env[`npm_config_${name}`];
  if (env === undefined || env === '') return undefined;
  return env === 'true' ? positional.shift() : env;
}

const cases = Number(arg('cases') ?? 100_000);
const seconds = Number(arg('seconds') ?? 3600);
const seed = Number(arg('seed') ?? Date.now() % 1_000_000_007);
const log = arg('log');
const names = arg('target')?.split(',') ?? targetNames();
const findingsDir = join(import.meta.dirname, 'findings');

function save(f: Finding): string {
  mkdirSync(findingsDir, { recursive: true });
  const hash = createHash('sha256').update(f.input).digest('hex').slice(0, 12);
  const file = join(findingsDir, `${f.target}-${f.kind}-${hash}.bin`);
  writeFileSync(file, f.input);
  writeFileSync(`${file}.txt`, `${f.target} case ${f.caseIndex} seed ${seed}: ${f.kind}: ${f.message}\n`);
  return file;
}

/** Runs cases [first, first+count) in a worker; resolves to the cases done and findings. */
function runWorker(target: string, first: number, count: number, deadlineMs: number): Promise<{ done: number; findings: Finding[]; died?: Finding }> {
  return new Promise((resolve) => {
    const progress = new SharedArrayBuffer(4);
    const cur = new Int32Array(progress);
    cur[0] = first;
    const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { target, seed, firstCase: first, cases: count, deadlineMs, progress },
      resourceLimits: { maxOldGenerationSizeMb: HEAP_MB },
    });
    let done = 0;
    const findings: Finding[] = [];
    let last = -1;
    let lastChange = Date.now();
    let settled = false;
    let ready = false; // seeds are loaded; only then can a case hang
    let dying = false;
    const finish = (died?: Finding) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      resolve({ done, findings, ...(died ? { died } : {}) });
    };
    const died = async (kind: Finding['kind'], message: string) => {
      if (dying || settled) return;
      dying = true;
      const i = cur[0]!;
      const p = prepare(await loadTarget(target));
      finish({ target, caseIndex: i, kind, message, input: generateCase(p, seed, i) });
    };
    const watch = setInterval(() => {
      const now = cur[0]!;
      if (!ready) {
        lastChange = Date.now();
      } else if (now !== last) {
        last = now;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > HANG_MS) {
        void w.terminate();
        void died('slow', `case ran over ${HANG_MS} ms (hang)`);
      }
    }, 1000);
    w.on('message', (m: { type: string; done?: number; finding?: Finding }) => {
      if (m.type === 'ready') ready = true;
      else if (m.type === 'progress') done += m.done!;
      else if (m.type === 'finding') findings.push({ ...m.finding!, input: new Uint8Array(m.finding!.input) });
      else if (m.type === 'end') finish();
    });
    w.on('error', (e) => void died('crash', `worker died: ${(e as Error).message}`));
    w.on('exit', () =>
      setTimeout(() => {
        if (!dying) finish();
      }, 100),
    );
  });
}

let total = 0;
let totalFindings = 0;
for (const name of names) {
  const t0 = Date.now();
  let first = 0;
  let done = 0;
  const findings: Finding[] = [];
  while (done < cases && Date.now() - t0 < seconds * 1000 && findings.length < 20) {
    const r = await runWorker(name, first, cases - done, seconds * 1000 - (Date.now() - t0));
    done += r.done;
    findings.push(...r.findings);
    if (r.died) {
      findings.push(r.died);
      if (r.done === 0 && r.died.caseIndex === first) {
        console.log(`${name}: the worker died before its first case (${r.died.message}); target stopped`);
        break;
      }
      first = r.died.caseIndex + 1;
      done = first;
    } else {
      first += r.done;
      if (r.done === 0) break;
    }
  }
  for (const f of findings) console.log(`FINDING ${name} case ${f.caseIndex}: ${f.kind}: ${f.message} -> ${save(f)}`);
  const secs = (Date.now() - t0) / 1000;
  console.log(`${name}: ${done} cases in ${secs.toFixed(1)} s, ${findings.length} findings (seed ${seed})`);
  if (log) appendFileSync(log, `${JSON.stringify({ target: name, cases: done, seconds: Math.round(secs), findings: findings.length, seed, date: new Date().toISOString() })}\n`);
  total += done;
  totalFindings += findings.length;
}
console.log(`total: ${total} cases, ${totalFindings} findings`);
process.exitCode = totalFindings > 0 ? 1 : 0;
