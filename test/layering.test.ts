// The measures of the tree, checked on the source: the layering rule
// (util → clixml → psrp → wsman → auth → transport → winrm → session → fleet → server →
// cli, nothing imports from a layer above its own), protocol cores free of I/O
// and clocks, no import cycle (type-only imports count: they tie the files'
// meaning together just as much), and no file too long to read as one thing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = resolve(__dirname, '../src');
const RANK: Record<string, number> = { util: 0, 'errors.ts': 0, clixml: 1, psrp: 2, wsman: 3, auth: 4, transport: 5, winrm: 6, session: 7, fleet: 8, server: 9, cli: 10, 'index.ts': 11 };
const CORES = ['clixml', 'psrp', 'wsman', 'auth'];
const MAX_LINES = 400;

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
}
const ALL = files(SRC);
const rel = (p: string) => relative(SRC, p);
const layerOf = (path: string) => {
  const top = rel(path).split('/')[0]!;
  const r = RANK[top];
  if (r === undefined) throw new Error(`${rel(path)} is in no layer: add its folder to RANK`);
  return { top, rank: r };
};

/**
 * The code of a TypeScript file with comments removed and the insides of
 * string and template literals blanked (the `${…}` parts of templates stay,
 * they are code). Line breaks are kept, so offsets still name lines. Regular
 * expression literals are not recognised; none in src/ holds a quote or `//`
 * that would mislead this (the tests below would show it as a false hit).
 */
function codeOnly(text: string): string {
  let out = '';
  const braces: number[] = []; // per open `${`: the brace depth at which it closes
  let depth = 0;
  let i = 0;
  const blank = (c: string) => (c === '\n' ? '\n' : ' ');
  const template = () => {
    // at the character after a backtick or after the `}` closing a `${`
    while (i < text.length) {
      const c = text[i]!;
      if (c === '\\') { out += '  '; i += 2; continue; }
      if (c === '`') { out += '`'; i++; return; }
      if (c === '$' && text[i + 1] === '{') { out += '${'; i += 2; braces.push(depth); depth++; return; }
      out += blank(c); i++;
    }
  };
  while (i < text.length) {
    const c = text[i]!;
    const n = text[i + 1];
    if (c === '/' && n === '/') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '/' && n === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) out += blank(text[i]!);
      continue;
    }
    if (c === "'" || c === '"') {
      out += c; i++;
      while (i < text.length && text[i] !== c && text[i] !== '\n') {
        if (text[i] === '\\') { out += ' '; i++; }
        out += blank(text[i] ?? ' '); i++;
      }
      out += text[i] ?? ''; i++;
      continue;
    }
    if (c === '`') { out += '`'; i++; template(); continue; }
    if (c === '{') depth++;
    if (c === '}') {
      depth--;
      if (braces.length > 0 && braces[braces.length - 1] === depth) { braces.pop(); out += '}'; i++; template(); continue; }
    }
    out += c; i++;
  }
  return out;
}

/** Every relative module a file names: static imports and re-exports (type-only ones too), `import('…')` in code or in type positions. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const names = [
    ...[...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/^import\s+['"](\.[^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
  ];
  return [...new Set(names.map((n) => resolve(dirname(file), n.replace(/\.js$/, '.ts'))))];
}
const GRAPH = new Map(ALL.map((f) => [f, importsOf(f)]));

test('every folder and top-level file of src/ has a layer', () => {
  const tops = [...new Set(ALL.map((f) => rel(f).split('/')[0]!))].sort();
  expect(tops).toEqual(Object.keys(RANK).sort());
  expect(RANK).toEqual({ util: 0, 'errors.ts': 0, clixml: 1, psrp: 2, wsman: 3, auth: 4, transport: 5, winrm: 6, session: 7, fleet: 8, server: 9, cli: 10, 'index.ts': 11 });
});

test('every relative import names a file that exists', () => {
  const missing = [...GRAPH].flatMap(([f, to]) => to.filter((t) => !GRAPH.has(t)).map((t) => `${rel(f)} imports ${rel(t)}`));
  expect(missing).toEqual([]);
});

test('no module imports from a layer above its own', () => {
  const violations: string[] = [];
  for (const [f, targets] of GRAPH) {
    const from = layerOf(f);
    for (const t of targets) {
      const to = layerOf(t);
      if (to.rank > from.rank) violations.push(`${rel(f)} (${from.top}) imports ${rel(t)} (${to.top})`);
    }
  }
  expect(violations).toEqual([]);
});

describe('the protocol cores (clixml, psrp, wsman, auth) do no I/O and read no clock', () => {
  const core = ALL.filter((f) => CORES.includes(layerOf(f).top));
  const IO = ['net', 'http', 'http2', 'https', 'tls', 'child_process', 'fs', 'fs/promises', 'dgram', 'dns', 'dns/promises', 'worker_threads', 'cluster', 'readline', 'process', 'os', 'timers', 'timers/promises', 'perf_hooks', 'stream', 'inspector'];
  const TIMER = /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(|\bDate\.now\s*\(|\bperformance\.now\s*\(|\bnew Date\s*\(\s*\)|\bprocess\.(hrtime|env|stdout|stderr|stdin|nextTick)\b/g;
  // Real exceptions: each reads the clock only as the default of a clock its
  // caller can inject (the tests inject it).
  const CLOCK_DEFAULTS: Record<string, string> = {
    'auth/ntlm/crypto.ts': 'fileTimeNow(nowMs = Date.now()): callers pass the initiator/acceptor `now` option',
    'auth/ntlm/acceptor.ts': 'the acceptor `now` option defaults to Date.now() for the NTLMv2 timestamp lifetime check',
    'clixml/records.ts': 'makeInformationRecord: TimeGenerated defaults to new Date() when the caller gives none',
  };

  test('no I/O module is imported', () => {
    const ioImport = new RegExp(`(?:from|import)\\s*\\(?\\s*['"](?:node:)?(?:${IO.join('|')})['"]`);
    const offenders = core.filter((f) => ioImport.test(readFileSync(f, 'utf8'))).map(rel);
    expect(offenders).toEqual([]);
  });

  test('no timer or clock in code (comments and strings do not count); the listed exceptions are real', () => {
    const found: Record<string, string[]> = {};
    for (const f of core) {
      const hits = [...codeOnly(readFileSync(f, 'utf8')).matchAll(TIMER)].map((m) => m[0].replace(/\s+/g, ''));
      if (hits.length > 0) found[rel(f)] = hits;
    }
    expect(Object.keys(found).sort()).toEqual(Object.keys(CLOCK_DEFAULTS).sort());
  });

  test('comments and strings are told apart from code', () => {
    expect(codeOnly("// setTimeout(f)\nconst a = 'Date.now()'; /* setInterval( */ x = `${setImmediate(g)} setTimeout(`;").match(TIMER)).toEqual(['setImmediate(']);
    expect(codeOnly('a = `${ {b: 1}.b } ${"}"}` + Date.now()').match(TIMER)).toEqual(['Date.now(']);
  });
});

/** The strongly connected parts (Tarjan) of the import graph with more than one file, or a file importing itself. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const part: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); part.push(w); } while (w !== v);
      if (part.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(part.map(rel).sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test('no import cycle, type-only imports included', () => {
  expect(cycles(GRAPH)).toEqual([]);
});

test('the cycle search finds cycles', () => {
  const g = new Map([['/a', ['/b']], ['/b', ['/c']], ['/c', ['/a']], ['/d', ['/d']], ['/e', ['/a']]].map(([k, v]) => [resolve(SRC, k as string), (v as string[]).map((x) => resolve(SRC, x))]));
  expect(cycles(g).map((c) => c.map((p) => p.replace(/^.*\//, '')))).toEqual([['a', 'b', 'c'], ['d']]);
});

// Files over the limit for now; each may not grow, and comes off this list
// when it is under the limit. None today.
const LONG_FOR_NOW: Record<string, number> = {};

test(`no file in src/ over ${MAX_LINES} lines`, () => {
  const long: Record<string, number> = {};
  for (const f of ALL) {
    const lines = readFileSync(f, 'utf8').split('\n').length - 1;
    if (lines > MAX_LINES) long[rel(f)] = lines;
  }
  const grown = Object.entries(long).filter(([f, n]) => !(f in LONG_FOR_NOW) || n > LONG_FOR_NOW[f]!);
  expect(Object.fromEntries(grown)).toEqual({});
});
