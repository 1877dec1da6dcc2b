// The local pieces of a copy that need no server: exact chunking of any source,
// the progress meter on an injected clock, ticks ↔ ms, the chunk size for a
// payload budget, and a non-retaining record stream (streamOutput).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import { readChunks } from '../../../src/session/copy/local.js';
import { ProgressMeter } from '../../../src/session/copy/progress.js';
import { chunkSizeFor, msFromTicks, ticksFromMs } from '../../../src/session/copy/options.js';
import { RecordStream } from '../../../src/session/stream.js';
import type { CopyProgress } from '../../../src/session/copy/options.js';

async function sizes(src: string | AsyncIterable<Uint8Array>, size: number): Promise<number[]> {
  const out: number[] = [];
  for await (const c of readChunks(src, size)) out.push(c.length);
  return out;
}

it('cuts files, Readables and async iterables into chunks of exactly the size, the last one shorter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'psremote-chunks-'));
  try {
    for (const [len, want] of [
      [0, []],
      [1, [1]],
      [10, [10]],
      [11, [10, 1]],
      [25, [10, 10, 5]],
    ] as const) {
      const f = join(dir, `f${len}`);
      writeFileSync(f, Buffer.alloc(len, 1));
      expect(await sizes(f, 10)).toEqual(want);
      const pieces = [Buffer.alloc(Math.min(3, len), 1), Buffer.alloc(Math.max(0, len - 3), 1)].filter((b) => b.length > 0);
      expect(await sizes(Readable.from(pieces), 10)).toEqual(want);
    }
    async function* reused() {
      const b = Buffer.alloc(4);
      for (let i = 0; i < 3; i++) {
        b.fill(i);
        yield b; // the producer reuses its buffer: the chunks must not change under us
      }
    }
    // each chunk is valid until the next is asked for (one buffer is read into): copy it on receipt
    const chunks: Buffer[] = [];
    for await (const c of readChunks(reused(), 5)) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]));
    const bytes = Buffer.from(Array.from({ length: 23 }, (_, i) => i));
    writeFileSync(join(dir, 'counted'), bytes);
    for (const src of [join(dir, 'counted'), Readable.from([bytes.subarray(0, 7), bytes.subarray(7)])]) {
      const got: Buffer[] = [];
      const views = new Set<ArrayBufferLike>();
      for await (const c of readChunks(src, 10)) (got.push(Buffer.from(c)), views.add(c.buffer));
      expect(Buffer.concat(got)).toEqual(bytes);
      expect(got.map((c) => c.length)).toEqual([10, 10, 3]);
      expect(views.size).toBe(1);
    }
    await expect(sizes(join(dir, 'missing'), 10)).rejects.toMatchObject({ code: 'PSR_COPY_NOT_FOUND', side: 'local' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('reports bytes, rate and ETA on the injected clock, at most once per interval, the last report always', () => {
  let now = 1_000;
  const seen: CopyProgress[] = [];
  const m = new ProgressMeter({ now: () => now, intervalMs: 500, bytesTotal: 1_000, filesTotal: 2, onProgress: (p) => seen.push(p) });
  now += 1_000;
  m.add(250, 'a');
  now += 100;
  m.add(250); // within the interval: not reported
  now += 900;
  m.fileDone();
  m.finish();
  expect(seen).toEqual([
    { bytesDone: 250, bytesTotal: 1_000, filesDone: 0, filesTotal: 2, rate: 250, etaSeconds: 3, current: 'a' },
    { bytesDone: 500, bytesTotal: 1_000, filesDone: 1, filesTotal: 2, rate: 250, etaSeconds: 2, current: 'a' },
    { bytesDone: 500, bytesTotal: 1_000, filesDone: 1, filesTotal: 2, rate: 250, etaSeconds: 2 },
  ]);
  const unknown = new ProgressMeter({ now: () => now });
  now += 1_000;
  unknown.add(10);
  expect(unknown.snapshot()).toMatchObject({ bytesTotal: undefined, etaSeconds: undefined, rate: 10 });
});

it('converts .NET ticks and sizes chunks to fill one payload', () => {
  expect(ticksFromMs(0)).toBe('621355968000000000');
  expect(msFromTicks('621355968000000000')).toBe(0);
  expect(msFromTicks(ticksFromMs(1_796_164_297_315.1234))).toBeCloseTo(1_796_164_297_315.1234, 3);
  expect(chunkSizeFor(382_638)).toBe(286_881);
  expect(chunkSizeFor(382_638) % 3).toBe(0); // whole base64 quanta: no padding inside a chunk
  expect(chunkSizeFor(100)).toBe(3 * 1024);
  expect(chunkSizeFor(382_638, 1000)).toBe(999);
});

it('a non-retaining record stream hands each record to its reader once and keeps none', async () => {
  const s = new RecordStream<number>({ retain: false });
  s.push(1);
  s.push(2);
  const got: number[] = [];
  const reading = (async () => {
    for await (const x of s) got.push(x);
  })();
  await new Promise((r) => setTimeout(r, 0));
  expect(s.items).toEqual([]);
  s.push(3);
  s.end();
  await reading;
  expect(got).toEqual([1, 2, 3]);
  expect(s.items).toEqual([]);
});

it('splits a file into one range per lane, whole chunks each but the last, covering every byte once', async () => {
  const { splitRanges, useRanges } = await import('../../../src/session/copy/ranges.js');
  expect(splitRanges(100, 10, 2)).toEqual([
    [0, 50],
    [50, 50],
  ]);
  expect(splitRanges(101, 10, 2)).toEqual([
    [0, 60],
    [60, 41],
  ]);
  expect(splitRanges(25, 10, 4)).toEqual([
    [0, 10],
    [10, 10],
    [20, 5],
  ]);
  for (const [size, chunk, lanes] of [
    [5_242_887, 65_536, 3],
    [1, 3, 2],
    [286_881 * 9 + 1, 286_881, 2],
  ] as const) {
    const r = splitRanges(size, chunk, lanes);
    expect(r.length).toBeLessThanOrEqual(lanes);
    expect(r.reduce((n, [o, l]) => (expect(o).toBe(n), n + l), 0)).toBe(size);
    for (const [o] of r) expect(o % chunk).toBe(0);
  }
  // small files, and one lane, go in one piece
  expect(useRanges(10 * 65_536, 65_536, 1)).toBe(false);
  expect(useRanges(7 * 65_536, 65_536, 2)).toBe(false);
  expect(useRanges(8 * 65_536, 65_536, 2)).toBe(true);
});
