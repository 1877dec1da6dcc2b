// The bounded CI slice of `npm run fuzz`: every target for a fixed number of
// cases with a fixed seed (deterministic, so a failure here reproduces with
// `npm run fuzz -- --target NAME --seed 20261201 --cases N`), and every kept
// regression input in fuzz/regressions/<target>/ (each once a finding).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { check, prepare, runTarget } from '../../fuzz/engine.js';
import { loadTarget, targetNames } from '../../fuzz/targets.js';

const CASES = Number(process.env.PSREMOTE_FUZZ_CASES ?? 3000);
const SEED = 20261201;
const REGRESSIONS = join(import.meta.dirname, '../../fuzz/regressions');

let stackLimit = Error.stackTraceLimit;
beforeAll(() => {
  stackLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // most cases end in a typed error; stacks are most of the cost
});
afterAll(() => {
  Error.stackTraceLimit = stackLimit;
});

describe('fuzz targets (bounded slice)', () => {
  test('every target file has the documented shape', async () => {
    const names = targetNames();
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const n of names) {
      const t = await loadTarget(n);
      expect(t.name).toBe(n);
      expect(t.seeds().length).toBeGreaterThan(0);
    }
  });

  for (const name of targetNames()) {
    test(`${name}: ${CASES} cases, only PsRemoteErrors`, { timeout: 120_000 }, async () => {
      const p = prepare(await loadTarget(name));
      const r = runTarget(p, { seed: SEED, cases: CASES, slowMs: 5000 });
      expect(r.findings.map((f) => `case ${f.caseIndex}: ${f.kind}: ${f.message}`)).toEqual([]);
      expect(r.cases).toBe(CASES);
    });
  }
});

describe('fuzz regressions', () => {
  const dirs = existsSync(REGRESSIONS) ? readdirSync(REGRESSIONS).filter((d) => !d.includes('.')) : [];
  test('there are kept regression inputs', () => {
    expect(dirs.length).toBeGreaterThan(0);
  });
  for (const dir of dirs) {
    test(`${dir}: every kept input gives a typed error or a value`, async () => {
      const t = await loadTarget(dir);
      const files = readdirSync(join(REGRESSIONS, dir)).filter((f) => f.endsWith('.bin'));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) expect([f, check(t, new Uint8Array(readFileSync(join(REGRESSIONS, dir, f))))]).toEqual([f, undefined]);
    });
  }
});
