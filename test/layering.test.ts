// The layering rule of the project, checked on the source: util → clixml → psrp
// → wsman → auth → transport → session → fleet → server → cli, and nothing imports from
// a layer above its own (the protocol cores stay free of I/O layers).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, test } from 'vitest';

const SRC = resolve(__dirname, '../src');
const RANK: Record<string, number> = { util: 0, 'errors.ts': 0, clixml: 1, psrp: 2, wsman: 3, auth: 4, transport: 5, winrm: 6, session: 7, fleet: 7.5, server: 8, cli: 9, 'index.ts': 10 };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const layerOf = (path: string) => {
  const top = relative(SRC, path).split('/')[0]!;
  const r = RANK[top];
  if (r === undefined) throw new Error(`${relative(SRC, path)} is in no layer: add its folder to RANK`);
  return { top, rank: r };
};

test('no module imports from a layer above its own', () => {
  const violations: string[] = [];
  for (const f of files(SRC)) {
    const from = layerOf(f);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
      const target = resolve(dirname(f), m[1]!.replace(/\.js$/, '.ts'));
      const to = layerOf(target);
      if (to.rank > from.rank) violations.push(`${relative(SRC, f)} (${from.top}) imports ${relative(SRC, target)} (${to.top})`);
    }
  }
  expect(violations).toEqual([]);
});

test('the sans-I/O cores import no I/O modules', () => {
  const io = /from\s+['"]node:(net|http|https|tls|child_process|fs|dgram)['"]/;
  const offenders = files(SRC)
    .filter((f) => ['clixml', 'psrp', 'wsman'].includes(layerOf(f).top))
    .filter((f) => io.test(readFileSync(f, 'utf8')))
    .map((f) => relative(SRC, f));
  expect(offenders).toEqual([]);
});
