// The public API's types as a user meets them: test/types/user.ts imports
// `psremote` (mapped to src/index.ts) and is compiled with tsc --strict; its
// expectTypeOf lines and @ts-expect-error lines (old names, the CLI's option
// shape) fail the compile when the API drifts. And src/index.ts exports each
// declaration under one name only.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a user program compiles under tsc --strict: PSValue from invoke, one Target everywhere, old names gone', async () => {
  const r = await new Promise<{ code: number; out: string }>((done) => {
    execFile(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'test/types/tsconfig.json'], { cwd: root, timeout: 240_000 }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
  expect(r.out).toBe('');
  expect(r.code).toBe(0);
}, 300_000);

test('src/index.ts exports each declaration once, under one name', () => {
  const program = ts.createProgram([`${root}src/index.ts`], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const mod = checker.getSymbolAtLocation(program.getSourceFile(`${root}src/index.ts`)!)!;
  const names = new Map<ts.Symbol, string[]>();
  for (const e of checker.getExportsOfModule(mod)) {
    const s = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
    names.set(s, [...(names.get(s) ?? []), e.name]);
  }
  const twice = [...names.values()].filter((n) => n.length > 1);
  expect(twice).toEqual([]);
  // The check sees what it should: a few names every user imports.
  const all = [...names.values()].flat();
  expect(all).toEqual(expect.arrayContaining(['openSession', 'PSValue', 'PSInput', 'Target', 'toPlain', 'WSManCarrier', 'PsRemoteError']));
}, 120_000);
