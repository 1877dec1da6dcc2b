// CLIXML throughput: deserialize and serialize a generated document of at
// least 50 MiB of realistic objects (bench/clixml-doc.ts: Get-Process and
// Get-ChildItem shaped, with TN/TNRef, nested lists, enums, dates, escapes,
// shared objects), and the same kind of objects as separate one-object
// documents, which is what PIPELINE_OUTPUT messages carry. Results in
// BENCHMARKS.md; where the time goes in spec-notes/xml-reader.md.
//
// It loads the compiled dist/ (`npm run bench` builds first), so it measures
// the code users run rather than tsx's on-the-fly transpilation.
// CLIXML_BENCH_MB sets the document size (default 50).

import { Bench } from 'tinybench';
import { generateDocument, generateMessages } from './clixml-doc.js';

type Lib = typeof import('../src/clixml/index.js');
const lib = (await import(new URL('../dist/clixml/index.js', import.meta.url).href)) as Lib;

const MiB = 1024 * 1024;
const size = Number(process.env.CLIXML_BENCH_MB ?? 50);
const doc = generateDocument(size * MiB);
const bytes = Buffer.byteLength(doc.xml);
console.log(`document: ${(bytes / MiB).toFixed(1)} MiB UTF-8, ${doc.outputs} output objects, ${doc.objects} <Obj> elements`);

function timed<T>(runs: number, fn: () => T): { median: number; best: number; last: T } {
  const ms: number[] = [];
  let last!: T;
  fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    last = fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, best: ms[0]!, last };
}

function report(what: string, r: { median: number; best: number }, mib: number, objects: number, unit: string): void {
  const rate = (ms: number) => `${(mib / (ms / 1000)).toFixed(1)} MiB/s, ${Math.round(objects / (ms / 1000)).toLocaleString('en-US')} ${unit}/s`;
  console.log(`${what}: median ${r.median.toFixed(0)} ms (${rate(r.median)}); best ${r.best.toFixed(0)} ms (${rate(r.best)})`);
}

const parsed = timed(5, () => lib.parseClixml(doc.xml));
report('deserialize', parsed, bytes / MiB, doc.outputs, 'output objects');
const written = timed(5, () => lib.serializeClixml(parsed.last));
report('serialize', written, Buffer.byteLength(written.last) / MiB, doc.outputs, 'output objects');
const plain = timed(3, () => lib.toPlain(parsed.last, { maxNodes: 1e9 }));
report('plain view (toPlain)', plain, bytes / MiB, doc.outputs, 'output objects');

// One object per document, as PSRP delivers output.
const msgs = generateMessages(8 * MiB);
const msgBytes = msgs.docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
let values: ReturnType<Lib['parseClixml']>[] = [];
const bench = new Bench({ time: 2000, warmupTime: 300 });
bench
  .add(`deserialize ${msgs.docs.length} one-object documents (${(msgBytes / MiB).toFixed(1)} MiB)`, () => {
    values = msgs.docs.map((d) => lib.parseClixml(d));
  })
  .add(`serialize ${msgs.docs.length} one-object documents`, () => {
    for (const v of values) lib.serializeClixml(v);
  });
values = msgs.docs.map((d) => lib.parseClixml(d));
await bench.run();
for (const t of bench.tasks) {
  const r = t.result as { latency?: { p50?: number } } | undefined;
  const ms = r?.latency?.p50;
  if (ms === undefined) continue;
  console.log(`${t.name}: median ${ms.toFixed(0)} ms (${(msgBytes / MiB / (ms / 1000)).toFixed(1)} MiB/s, ${Math.round(msgs.docs.length / (ms / 1000)).toLocaleString('en-US')} documents/s)`);
}
