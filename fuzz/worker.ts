// One fuzz target in a worker thread (fuzz/run.ts): the main thread watches
// `progress[0]` (the case being run) to report hangs and out-of-memory kills.

import { parentPort, workerData } from 'node:worker_threads';
import { minimise, prepare, runTarget } from './engine.js';
import { loadTarget } from './targets.js';

interface Job {
  target: string;
  seed: number;
  firstCase: number;
  cases: number;
  deadlineMs: number;
  progress: SharedArrayBuffer;
}

// Most cases end in a typed error; capturing stacks for them is most of the cost.
Error.stackTraceLimit = 0;
const job = workerData as Job;
const progress = new Int32Array(job.progress);
const prepared = prepare(await loadTarget(job.target));
parentPort!.postMessage({ type: 'ready' });
const BATCH = 2000;
const started = Date.now();
let next = job.firstCase;
const end = job.firstCase + job.cases;
while (next < end && Date.now() - started < job.deadlineMs) {
  const n = Math.min(BATCH, end - next);
  const r = runTarget(prepared, {
    seed: job.seed,
    cases: n,
    firstCase: next,
    deadlineMs: job.deadlineMs - (Date.now() - started),
    onCase: (i) => {
      progress[0] = i;
    },
    slowMs: 5000,
  });
  for (const f of r.findings) {
    const small = f.kind === 'exception' ? minimise(prepared.target, f.input) : f.input;
    parentPort!.postMessage({ type: 'finding', finding: { ...f, input: small } });
  }
  next += r.cases;
  parentPort!.postMessage({ type: 'progress', done: r.cases });
  if (r.cases === 0) break;
}
parentPort!.postMessage({ type: 'end' });
