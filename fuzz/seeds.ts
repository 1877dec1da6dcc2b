// Seed corpora for the fuzz targets, taken from the real recordings in
// fixtures/ (Windows servers answering pypsrp, WinRMSharp, winrm4j; PowerShell's
// own OutOfProc traffic in fixtures/golden; pyspnego's captured tokens).
// Seeds are capped in size so that a case stays fast; computed once per process.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { allRecordingFiles } from '../test/helpers/recordings.js';
import { recordedPayloads, recordingFiles } from '../test/psrp/helpers/recordings.js';
import { loadRecording } from '../src/server/recording.js';
import { Defragmenter } from '../src/psrp/fragment.js';
import { decodeMessage, messageText } from '../src/psrp/message.js';

export const ROOT = join(import.meta.dirname, '..');
const MAX_SEED = 6 * 1024;
const enc = new TextEncoder();

function cached<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}

function pick<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const step = xs.length / n;
  return Array.from({ length: n }, (_, i) => xs[Math.floor(i * step)]!);
}

function small(xs: Uint8Array[], n = 120): Uint8Array[] {
  const seen = new Set<string>();
  const out = xs.filter((b) => {
    if (b.length === 0 || b.length > MAX_SEED) return false;
    const k = Buffer.from(b).toString('base64');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return pick(out, n);
}

// The recording helpers resolve fixtures/ from the project root (workers inherit the cwd).
if (isMainThread && process.cwd() !== ROOT) process.chdir(ROOT);

/** SOAP envelopes, requests and responses, from every recording. */
export const envelopes = cached(() => {
  const out: Uint8Array[] = [];
  for (const f of allRecordingFiles()) {
    for (const x of loadRecording(f).exchanges) {
      out.push(enc.encode(x.request));
      if (x.response.body.startsWith('<')) out.push(enc.encode(x.response.body));
    }
  }
  return small(out, 200);
});

/** Response envelopes only (faults included). */
export const responses = cached(() => {
  const out: Uint8Array[] = [];
  for (const f of allRecordingFiles()) for (const x of loadRecording(f).exchanges) if (x.response.body.startsWith('<')) out.push(enc.encode(x.response.body));
  return small(out, 200);
});

/** Transport payloads of PSRP fragments (both directions) from the pypsrp recordings. */
export const psrpPayloads = cached(() => {
  const out: Uint8Array[] = [];
  for (const f of recordingFiles()) for (const p of recordedPayloads(f)) out.push(p.bytes);
  return small(out, 200);
});

/** Whole PSRP messages (40-byte header + CLIXML) reassembled from those payloads. */
export const psrpMessages = cached(() => {
  const out: Uint8Array[] = [];
  for (const f of recordingFiles()) {
    const d = new Map<string, Defragmenter>();
    for (const p of recordedPayloads(f)) {
      const key = `${p.direction} ${p.shellId}`;
      if (!d.has(key)) d.set(key, new Defragmenter());
      try {
        for (const m of d.get(key)!.receive(p.bytes)) out.push(m.data);
      } catch {
        d.delete(key);
      }
    }
  }
  return small(out, 200);
});

/** CLIXML documents carried by those messages. */
export const clixmlDocs = cached(() => small(psrpMessages().map((m) => enc.encode(messageText(decodeMessage(m)))), 200));

/** OutOfProc lines PowerShell's own client and server exchanged (fixtures/golden). */
export const outOfProcLines = cached(() => {
  const dir = join(ROOT, 'fixtures/golden');
  const out: Uint8Array[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.powershell.jsonl'))) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l.trim()) out.push(enc.encode((JSON.parse(l) as { line: string }).line));
  }
  return small(out, 150);
});

/** Raw tokens captured by pyspnego, by file-name prefix. */
export function pyspnego(prefix: string): Uint8Array[] {
  const dir = join(ROOT, 'fixtures/upstream/jborean93-pyspnego/tests/data');
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

/** Recording files (every format), small ones whole. */
export const recordingTexts = cached(() => {
  const out = allRecordingFiles().map((f) => new Uint8Array(readFileSync(f)));
  return small(out, 60);
});
