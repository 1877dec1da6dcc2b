// The fuzzing engine shared by `npm run fuzz` (fuzz/run.ts) and the bounded CI
// slice (test/fuzz/fuzz.test.ts). Deterministic by construction: case i of a
// run with seed s is a pure function of (s, i, target seeds), so a case that
// hangs or kills a worker can be regenerated and minimised afterwards.
//
// Each case is one of: a mutation of a seed (libFuzzer-style byte mutations,
// stacked), a splice of two seeds, or a fresh value from fast-check (random
// bytes, or text built from the target's dictionary). A case is a finding when
// `run` throws anything that is not a PsRemoteError, or takes too long.

import fc from 'fast-check';
import { PsRemoteError } from '../src/errors.js';

/** What every fuzz target default-exports (fuzz/README.md). */
export interface FuzzTarget {
  readonly name: string;
  /** Valid inputs to mutate (taken from fixtures/ where possible). */
  seeds(): Uint8Array[];
  /** Parses `input`; may throw only a PsRemoteError. */
  run(input: Uint8Array): void;
  /** Optional tokens the mutator inserts (tag names, magic bytes...). */
  readonly dictionary?: readonly (string | Uint8Array)[];
  /** Largest generated input in bytes (default 64 KiB, or twice the largest seed). */
  readonly maxInputBytes?: number;
}

export interface Finding {
  readonly target: string;
  readonly caseIndex: number;
  readonly kind: 'exception' | 'slow' | 'crash';
  readonly message: string;
  readonly input: Uint8Array;
}

// sfc32 seeded through a 32-bit mix of (seed, case): cheap and reproducible.
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  constructor(seed: number, stream: number) {
    const mix = (x: number) => {
      x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
      x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
      return (x ^ (x >>> 16)) >>> 0;
    };
    this.#a = mix(seed | 0);
    this.#b = mix((stream | 0) ^ 0x9e3779b9);
    this.#c = mix(this.#a ^ Math.imul(stream | 0, 0x85ebca6b));
    this.#d = 1;
    for (let i = 0; i < 8; i++) this.#next();
  }
  #next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.#next() / 0x100000000) * n);
  }
  chance(p: number): boolean {
    return this.#next() / 0x100000000 < p;
  }
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x3c, 0x3e, 0x26, 0x3b, 0x22, 0x2f, 0x0a, 0x0d, 0x3d, 0x3a];
const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const TEXT_TOKENS = ['<', '>', '/>', '</', '&amp;', '&#x0;', '&#65;', ']]>', '<![CDATA[', '<!--', '-->', '<?xml version="1.0"?>', '"', "'", '=', ':', 'xmlns:', 'xmlns="', '\r\n', '\u0000', '\u001b', '\uFFFF', '_x001B_', '_x', 'A'.repeat(64)];

export function toBytes(t: string | Uint8Array): Uint8Array {
  return typeof t === 'string' ? new TextEncoder().encode(t) : t;
}

/** One stacked mutation of `input` (never longer than `max`). */
export function mutate(rng: Rng, input: Uint8Array, others: readonly Uint8Array[], dict: readonly Uint8Array[], max: number): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  const rounds = 1 + rng.int(rng.chance(0.2) ? 16 : 4);
  for (let r = 0; r < rounds; r++) {
    const n = b.length;
    switch (rng.int(n === 0 ? 1 : 11)) {
      case 0: {
        // insert a token (dictionary or generic)
        const tok = dict.length > 0 && rng.chance(0.6) ? dict[rng.int(dict.length)]! : toBytes(TEXT_TOKENS[rng.int(TEXT_TOKENS.length)]!);
        b = splice(b, rng.int(n + 1), 0, tok);
        break;
      }
      case 1:
        { const at = rng.int(n); b[at] = b[at]! ^ (1 << rng.int(8)); }
        break;
      case 2:
        b[rng.int(n)] = rng.int(256);
        break;
      case 3:
        b[rng.int(n)] = INTERESTING_8[rng.int(INTERESTING_8.length)]!;
        break;
      case 4: {
        // delete a range
        const at = rng.int(n);
        b = splice(b, at, 1 + rng.int(Math.min(n - at, rng.chance(0.5) ? 8 : 256)), new Uint8Array(0));
        break;
      }
      case 5: {
        // duplicate a range (repetition finds quadratic paths)
        const at = rng.int(n);
        const len = 1 + rng.int(Math.min(n - at, 64));
        const chunk = b.slice(at, at + len);
        const times = rng.chance(0.1) ? 2 + rng.int(200) : 1;
        const rep = new Uint8Array(Math.min(chunk.length * times, Math.max(0, max - n)));
        for (let i = 0; i < rep.length; i++) rep[i] = chunk[i % chunk.length]!;
        b = splice(b, at, 0, rep);
        break;
      }
      case 6: {
        // copy a range over another
        const from = rng.int(n);
        const to = rng.int(n);
        const len = 1 + rng.int(Math.min(n - Math.max(from, to), 32));
        b.copyWithin(to, from, from + len);
        break;
      }
      case 7: {
        // a 32-bit field set to an interesting value, either byte order
        if (n < 4) break;
        const at = rng.int(n - 3);
        const v = INTERESTING_32[rng.int(INTERESTING_32.length)]! + (rng.chance(0.3) ? rng.int(3) - 1 : 0);
        new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, rng.chance(0.5));
        break;
      }
      case 8:
        // truncate
        b = b.slice(0, rng.int(n));
        break;
      case 9: {
        // splice in a piece of another seed
        const o = others[rng.int(others.length)];
        if (!o || o.length === 0) break;
        const from = rng.int(o.length);
        b = splice(b, rng.int(n + 1), rng.chance(0.5) ? rng.int(Math.min(n, 64)) : 0, o.subarray(from, from + 1 + rng.int(Math.min(o.length - from, 512))));
        break;
      }
      case 10: {
        // increment/decrement a byte (length and count fields)
        const at = rng.int(n);
        b[at] = (b[at]! + (rng.chance(0.5) ? 1 : 255)) & 0xff;
        break;
      }
    }
    if (b.length > max) b = b.slice(0, max);
  }
  return b;
}

function splice(b: Uint8Array, at: number, del: number, ins: Uint8Array): Uint8Array {
  at = Math.min(at, b.length);
  del = Math.min(del, b.length - at);
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, at), 0);
  out.set(ins, at);
  out.set(b.subarray(at + del), at + ins.length);
  return out;
}

export interface PreparedTarget {
  readonly target: FuzzTarget;
  readonly seeds: Uint8Array[];
  readonly dict: Uint8Array[];
  readonly max: number;
  readonly bytes: fc.Arbitrary<Uint8Array>;
  readonly text: fc.Arbitrary<Uint8Array>;
}

export function prepare(target: FuzzTarget): PreparedTarget {
  const seeds = target.seeds().filter((s) => s.length > 0);
  const largest = seeds.reduce((m, s) => Math.max(m, s.length), 0);
  const dict = (target.dictionary ?? []).map(toBytes);
  const tokens = [...dict, ...TEXT_TOKENS.map(toBytes)];
  return {
    target,
    seeds: seeds.length > 0 ? seeds : [new Uint8Array([0x3c])],
    dict,
    max: target.maxInputBytes ?? Math.max(64 * 1024, largest * 2),
    bytes: fc.uint8Array({ maxLength: 512 }),
    text: fc
      .array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8, unit: 'binary' }).map(toBytes)), { maxLength: 64 })
      .map((parts) => Uint8Array.from(parts.flatMap((x) => [...x]))),
  };
}

/** The input of case `i` of a run with `seed` (pure: same arguments, same bytes). */
export function generateCase(p: PreparedTarget, seed: number, i: number): Uint8Array {
  const rng = new Rng(seed, i);
  const roll = rng.int(100);
  if (roll < 85) return mutate(rng, p.seeds[rng.int(p.seeds.length)]!, p.seeds, p.dict, p.max);
  if (roll < 92) {
    // splice: the head of one seed and the tail of another, then mutate
    const a = p.seeds[rng.int(p.seeds.length)]!;
    const b = p.seeds[rng.int(p.seeds.length)]!;
    const joined = new Uint8Array([...a.subarray(0, rng.int(a.length + 1)), ...b.subarray(rng.int(b.length + 1))]);
    return mutate(rng, joined.subarray(0, p.max), p.seeds, p.dict, p.max);
  }
  // fast-check values: raw bytes, or text made of dictionary tokens and characters
  return fc.sample(roll < 96 ? p.bytes : p.text, { seed: rng.int(0x7fffffff), numRuns: 1 })[0]!;
}

/** Runs one input; undefined when the target behaved (returned or threw a PsRemoteError). */
export function check(target: FuzzTarget, input: Uint8Array): string | undefined {
  try {
    target.run(input);
    return undefined;
  } catch (e) {
    if (e instanceof PsRemoteError) {
      // A typed error must still be a sane one: a message, and no secret-free check here.
      if (typeof e.message !== 'string' || e.message.length === 0) return `${e.name} with an empty message`;
      return undefined;
    }
    const err = e as Error;
    return `${err?.name ?? typeof e}: ${String(err?.message ?? e).slice(0, 300)}`;
  }
}

/** The first line of a failure, for comparing minimised candidates. */
function signature(msg: string): string {
  return msg.replace(/[0-9]+/g, 'N').slice(0, 80);
}

/**
 * Shrinks a failing input while it fails the same way: fast-check-style
 * chunk removal (halves, quarters, … single bytes), then byte simplification.
 */
export function minimise(target: FuzzTarget, input: Uint8Array, budget = 4000): Uint8Array {
  const first = check(target, input);
  if (first === undefined) return input;
  const sig = signature(first);
  const fails = (b: Uint8Array) => {
    const m = check(target, b);
    return m !== undefined && signature(m) === sig;
  };
  let cur = input;
  let tries = 0;
  for (let chunk = Math.max(1, cur.length >> 1); chunk >= 1 && tries < budget; chunk = chunk >> 1) {
    for (let at = 0; at < cur.length && tries < budget; ) {
      const cand = splice(cur, at, Math.min(chunk, cur.length - at), new Uint8Array(0));
      tries++;
      if (fails(cand)) cur = cand;
      else at += chunk;
    }
  }
  for (let i = 0; i < cur.length && tries < budget; i++) {
    if (cur[i] === 0x41) continue;
    const cand = Uint8Array.from(cur);
    cand[i] = 0x41;
    tries++;
    if (fails(cand)) cur = cand;
  }
  return cur;
}

export interface RunOptions {
  seed: number;
  cases: number;
  /** Stop after this many milliseconds even if fewer cases ran. */
  deadlineMs?: number;
  /** A case slower than this is a finding (default 2000 ms). */
  slowMs?: number;
  /** Called before each case with its index (the worker stores it for crash reports). */
  onCase?: (i: number) => void;
  firstCase?: number;
}

export interface RunResult {
  readonly cases: number;
  readonly findings: Finding[];
}

/** Runs `cases` cases of one target in this thread. */
export function runTarget(p: PreparedTarget, o: RunOptions): RunResult {
  const findings: Finding[] = [];
  const slowMs = o.slowMs ?? 2000;
  const start = Date.now();
  const first = o.firstCase ?? 0;
  let done = 0;
  // The seeds themselves first: they must pass, or the target is wrong.
  if (first === 0) {
    for (const s of p.seeds) {
      const m = check(p.target, s);
      if (m !== undefined) findings.push({ target: p.target.name, caseIndex: -1, kind: 'exception', message: m, input: s });
    }
  }
  for (let i = first; i < first + o.cases; i++) {
    if (o.deadlineMs !== undefined && (done & 63) === 0 && Date.now() - start > o.deadlineMs) break;
    o.onCase?.(i);
    const input = generateCase(p, o.seed, i);
    const t0 = Date.now();
    const m = check(p.target, input);
    const took = Date.now() - t0;
    done++;
    if (m !== undefined) findings.push({ target: p.target.name, caseIndex: i, kind: 'exception', message: m, input });
    else if (took > slowMs) findings.push({ target: p.target.name, caseIndex: i, kind: 'slow', message: `took ${took} ms`, input });
    if (findings.length >= 20) break;
  }
  return { cases: done, findings };
}
