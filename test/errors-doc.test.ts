// docs/errors.md is the table of codes, classes and fields; this test scans
// src/ so the table cannot drift: every ErrorCode is in the table, every code
// in the table is an ErrorCode, every class named there is declared in src/
// and extends PsRemoteError (directly or through another listed class), and
// every PsRemoteError subclass in src/ is in the table.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

const src = sources(join(root, 'src')).map((f) => readFileSync(f, 'utf8'));
const errorsTs = readFileSync(join(root, 'src/errors.ts'), 'utf8');
const union = errorsTs.slice(errorsTs.indexOf('export type ErrorCode'), errorsTs.indexOf('export interface PsRemoteErrorOptions'));
const codes = new Set([...union.matchAll(/'(PSR_[A-Z0-9_]+)'/g)].map((m) => m[1]!));

const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const rows = doc.split('\n').filter((l) => /^\| `\w+`/.test(l) || l.startsWith('Declared, not raised'));
const table = rows.map((l) => {
  // "Declared, not raised yet" lists codes no class raises today.
  if (l.startsWith('Declared')) return { cls: 'PsRemoteError', codes: [...l.matchAll(/`(PSR_[A-Z0-9_]+)`/g)].map((m) => m[1]!) };
  const cells = l.split(' | ');
  return { cls: /`(\w+)`/.exec(cells[0]!)![1]!, codes: [...cells[1]!.matchAll(/`(PSR_[A-Z0-9_]+)`/g)].map((m) => m[1]!) };
});

// class X extends Y, for every class in src/
const parent = new Map<string, string>();
for (const s of src) for (const m of s.matchAll(/export class (\w+) extends (\w+)/g)) parent.set(m[1]!, m[2]!);
const isPsRemoteError = (c: string): boolean => {
  for (let k: string | undefined = c, n = 0; k !== undefined && n < 10; k = parent.get(k), n++) if (k === 'PsRemoteError') return true;
  return false;
};

test('every error code is documented in docs/errors.md, and nothing else', () => {
  expect(codes.size).toBeGreaterThan(40);
  const documented = new Set(table.flatMap((r) => r.codes));
  expect([...codes].filter((c) => !documented.has(c))).toEqual([]);
  expect([...documented].filter((c) => !codes.has(c))).toEqual([]);
});

test('every class in the table is a PsRemoteError subclass in src/, and every such class is in the table', () => {
  const listed = new Set(table.map((r) => r.cls));
  expect([...listed].filter((c) => c !== 'PsRemoteError' && !isPsRemoteError(c))).toEqual([]);
  const declared = [...parent.keys()].filter((c) => c !== 'PsRemoteError' && isPsRemoteError(c));
  expect(declared.filter((c) => !listed.has(c))).toEqual([]);
});

test('src/ raises subclasses, never a bare PsRemoteError (its class would say nothing about the code)', () => {
  const bare = sources(join(root, 'src')).filter((f) => /new PsRemoteError\(/.test(readFileSync(f, 'utf8')));
  expect(bare).toEqual([]);
});
