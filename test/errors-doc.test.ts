// docs/errors.md is the table of codes, classes and fields; this test scans
// src/ so the table cannot drift: every ErrorCode is in the table, every code
// in the table is an ErrorCode, every class named there is declared in src/
// and extends PsRemoteError (directly or through another listed class), and
// every PsRemoteError subclass in src/ is in the table. It also holds the one
// error model: each code is raised by exactly one class (read from the
// syntax tree of src/: the codes a class's own body names, the codes given to
// `new X(...)`, and codes reaching X through a local helper or constant), and
// src/ builds no plain Error, TypeError or RangeError.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

const files = sources(join(root, 'src')).map((f) => {
  const text = readFileSync(f, 'utf8');
  return { path: relative(root, f), text, sf: ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true) };
});
const errorsTs = readFileSync(join(root, 'src/errors.ts'), 'utf8');
const union = errorsTs.slice(errorsTs.indexOf('export type ErrorCode'), errorsTs.indexOf('export interface PsRemoteErrorOptions'));
const codes = new Set([...union.matchAll(/'(PSR_[A-Z0-9_]+)'/g)].map((m) => m[1]!));

const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
// Rows of the table, and the two lines of codes no class raises: "Declared, not
// raised yet" (reserved) and "In results only" (fleet result records).
const NOT_RAISED = ['Declared, not raised', 'In results only'];
const rows = doc.split('\n').filter((l) => /^\| `\w+`/.test(l) || NOT_RAISED.some((p) => l.startsWith(p)));
const table = rows.map((l) => {
  if (NOT_RAISED.some((p) => l.startsWith(p))) return { cls: '-', codes: [...l.matchAll(/`(PSR_[A-Z0-9_]+)`/g)].map((m) => m[1]!) };
  const cells = l.split(' | ');
  return { cls: /`(\w+)`/.exec(cells[0]!)![1]!, codes: [...cells[1]!.matchAll(/`(PSR_[A-Z0-9_]+)`/g)].map((m) => m[1]!) };
});

// class X extends Y, for every class in src/ (exported or not)
const parent = new Map<string, string>();
const classDecls = new Map<string, ts.ClassDeclaration>();
function walk(node: ts.Node, visit: (n: ts.Node) => boolean | void): void {
  if (visit(node) === false) return;
  ts.forEachChild(node, (c) => walk(c, visit));
}
for (const f of files) {
  walk(f.sf, (n) => {
    if (!ts.isClassDeclaration(n) || !n.name) return;
    classDecls.set(n.name.text, n);
    const ext = n.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    if (ext && ts.isIdentifier(ext)) parent.set(n.name.text, ext.text);
  });
}
const isPsRemoteError = (c: string): boolean => {
  for (let k: string | undefined = c, n = 0; k !== undefined && n < 10; k = parent.get(k), n++) if (k === 'PsRemoteError') return true;
  return false;
};
const errorClasses = new Set([...parent.keys()].filter((c) => c !== 'PsRemoteError' && isPsRemoteError(c)));

// Helpers that are not error classes but raise one with the code they are given:
// ByteReader's `code` option is the code of the RemoteProtocolError it throws
// when a read runs past the end (src/util/bytes.ts).
const RAISERS: Readonly<Record<string, string>> = { ByteReader: 'RemoteProtocolError' };
// Files that read codes (map a code to an exit code), never raise them.
const READERS = new Set(['src/cli/exit-codes.ts']);
// Codes of result records (FleetResult.error), never thrown; docs/errors.md lists them under "In results only".
const RESULT_CODES = new Set(['PSR_FLEET_JOB_FAILED', 'PSR_UNKNOWN']);

const isCode = (n: ts.Node): n is ts.StringLiteralLike => (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && /^PSR_[A-Z0-9_]+$/.test(n.text);
const inType = (n: ts.Node): boolean => {
  for (let p = n.parent; p; p = p.parent) if (ts.isTypeNode(p)) return true;
  return false;
};
const calleeName = (e: ts.Expression): string | undefined =>
  ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && errorClasses.has(e.expression.text) ? e.expression.text : undefined;

/** The class a literal (or a reference to a constant) is raised as, from where it stands; undefined when it is not in a raising position. */
function classOf(n: ts.Node, helpers: Map<string, Set<string>>): string | undefined {
  for (let p: ts.Node | undefined = n.parent; p; p = p.parent) {
    if (ts.isBinaryExpression(p) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(p.operatorToken.kind)) return undefined;
    if (ts.isCaseClause(p)) return undefined;
    if (ts.isNewExpression(p) && ts.isIdentifier(p.expression)) {
      const c = p.expression.text;
      if (errorClasses.has(c)) return c;
      if (RAISERS[c]) return RAISERS[c];
    }
    if (ts.isCallExpression(p)) {
      const c = calleeName(p.expression);
      if (c !== undefined && errorClasses.has(c)) return c; // X.limit(...), a static factory
      const via = c === undefined ? undefined : helpers.get(c);
      if (via?.size === 1) return [...via][0];
    }
    if (ts.isClassDeclaration(p) && p.name && errorClasses.has(p.name.text)) return p.name.text;
  }
  return undefined;
}

function reads(n: ts.Node): boolean {
  if (ts.isCaseClause(n.parent)) return true;
  if (ts.isCallExpression(n.parent) && ts.isPropertyAccessExpression(n.parent.expression) && /^(startsWith|has|includes)$/.test(n.parent.expression.name.text)) return true;
  for (let p: ts.Node | undefined = n.parent; p && !ts.isStatement(p); p = p.parent) {
    if (ts.isBinaryExpression(p) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(p.operatorToken.kind)) return true;
    if (ts.isNewExpression(p) || ts.isClassDeclaration(p)) return false;
  }
  return false;
}

/** Local functions (and const arrows) of a file that build exactly the error classes returned. */
function helpersOf(sf: ts.SourceFile): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  walk(sf, (n) => {
    let name: string | undefined;
    let body: ts.Node | undefined;
    if (ts.isFunctionDeclaration(n) && n.name && n.body) [name, body] = [n.name.text, n.body];
    else if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name) && n.initializer && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))) [name, body] = [n.name.text, n.initializer.body];
    if (name === undefined || body === undefined) return;
    const built = new Set<string>();
    walk(body, (m) => {
      if (ts.isNewExpression(m) && ts.isIdentifier(m.expression) && errorClasses.has(m.expression.text)) built.add(m.expression.text);
    });
    if (built.size) out.set(name, built);
  });
  return out;
}

const raisedBy = new Map<string, Set<string>>();
const unplaced: string[] = [];
for (const f of files) {
  if (READERS.has(f.path)) continue;
  const helpers = helpersOf(f.sf);
  // A constant holding codes is raised as whatever its references are raised as.
  const constants = new Map<string, string[]>();
  walk(f.sf, (n) => {
    if (!ts.isVariableDeclaration(n) || !ts.isIdentifier(n.name) || !n.initializer || helpers.has(n.name.text)) return;
    const found: string[] = [];
    walk(n.initializer, (m) => {
      if (isCode(m) && !inType(m) && !reads(m)) found.push(m.text);
    });
    if (found.length) constants.set(n.name.text, found);
  });
  const constantClasses = new Map<string, Set<string>>();
  walk(f.sf, (n) => {
    if (!ts.isIdentifier(n) || !constants.has(n.text) || (ts.isVariableDeclaration(n.parent) && n.parent.name === n)) return;
    const c = classOf(n, helpers);
    if (c !== undefined) constantClasses.set(n.text, (constantClasses.get(n.text) ?? new Set()).add(c));
  });
  const note = (code: string, cls: string | undefined, where: ts.Node) => {
    if (cls === undefined) {
      if (!RESULT_CODES.has(code)) unplaced.push(`${code} at ${f.path}:${f.sf.getLineAndCharacterOfPosition(where.getStart()).line + 1}`);
      return;
    }
    raisedBy.set(code, (raisedBy.get(code) ?? new Set()).add(cls));
  };
  walk(f.sf, (n) => {
    if (f.path === 'src/errors.ts' && ts.isTypeAliasDeclaration(n)) return false;
    if (!isCode(n) || inType(n)) return;
    let decl: ts.Node | undefined = n.parent;
    while (decl && !ts.isVariableDeclaration(decl) && !ts.isStatement(decl)) decl = decl.parent;
    if (decl && ts.isVariableDeclaration(decl) && ts.isIdentifier(decl.name) && constants.has(decl.name.text)) {
      const via = constantClasses.get(decl.name.text);
      if (via) for (const c of via) note(n.text, c, n);
      else note(n.text, classOf(n, helpers), n);
      return;
    }
    // A comparison, a case or a prefix test reads a code; anything else must be raising one.
    if (!reads(n)) note(n.text, classOf(n, helpers), n);
  });
}

test('every error code is documented in docs/errors.md, and nothing else', () => {
  expect(codes.size).toBeGreaterThan(40);
  const documented = new Set(table.flatMap((r) => r.codes));
  expect([...codes].filter((c) => !documented.has(c))).toEqual([]);
  expect([...documented].filter((c) => !codes.has(c))).toEqual([]);
});

test('every class in the table is a PsRemoteError subclass in src/, and every such class is in the table', () => {
  const listed = new Set(table.map((r) => r.cls).filter((c) => c !== '-'));
  expect([...listed].filter((c) => !errorClasses.has(c))).toEqual([]);
  expect([...errorClasses].filter((c) => !listed.has(c))).toEqual([]);
});

test('src/ raises subclasses, never a bare PsRemoteError (its class would say nothing about the code)', () => {
  const bare = files.filter((f) => /new PsRemoteError\(/.test(f.text)).map((f) => f.path);
  expect(bare).toEqual([]);
});

test('the scan sees the raising places (a check of the check)', () => {
  // One code per kind of place: a super call, a `new X(code)`, a ByteReader option
  // through a constant, a local helper (kdcError's make), a static factory.
  expect(raisedBy.get('PSR_TIMEOUT')).toEqual(new Set(['TimeoutError']));
  expect(raisedBy.get('PSR_WSMAN_INVALID')).toEqual(new Set(['RemoteProtocolError']));
  expect(raisedBy.get('PSR_KRB_FILE_INVALID')).toEqual(new Set(['RemoteProtocolError']));
  expect(raisedBy.get('PSR_KRB_CLOCK_SKEW')).toEqual(new Set(['KerberosError']));
  expect(raisedBy.get('PSR_COPY_DISK_FULL')).toEqual(new Set(['FileTransferError']));
  expect(raisedBy.size).toBeGreaterThan(50);
});

test('every code in src/ stands where it is raised (or read): none is passed around out of sight of this scan', () => {
  expect(unplaced).toEqual([]);
});

test('each code is raised by exactly one class', () => {
  const shared = [...raisedBy].filter(([, cls]) => cls.size > 1).map(([code, cls]) => `${code}: ${[...cls].sort().join(', ')}`);
  expect(shared).toEqual([]);
  expect([...raisedBy.keys()].filter((c) => !codes.has(c))).toEqual([]);
});

test('docs/errors.md lists each code in exactly one row, the row of the class that raises it', () => {
  const rowsOf = new Map<string, string[]>();
  for (const r of table) for (const c of r.codes) rowsOf.set(c, [...(rowsOf.get(c) ?? []), r.cls]);
  expect([...rowsOf].filter(([, cls]) => cls.length !== 1).map(([c, cls]) => `${c}: ${cls.join(', ')}`)).toEqual([]);
  const wrongRow = [...raisedBy].filter(([code, cls]) => rowsOf.get(code)?.[0] !== [...cls][0]).map(([code, cls]) => `${code}: raised by ${[...cls].join(', ')}, listed under ${rowsOf.get(code)?.join(', ')}`);
  expect(wrongRow).toEqual([]);
  // What the table says no class raises is indeed raised by none.
  const notRaised = table.filter((r) => r.cls === '-').flatMap((r) => r.codes);
  expect(notRaised.filter((c) => raisedBy.has(c))).toEqual([]);
});

// Errors built from the built-in classes would reach callers with no code.
// Each allowed place says why; the list is empty today.
const PLAIN_ALLOWED: readonly string[] = [];
// Classes extending Error that are not PsRemoteErrors, and why.
const NON_PSREMOTE_ALLOWED: Readonly<Record<string, string>> = {
  // The endpoint's control flow: thrown by a shell operation, caught by the HTTP
  // front and sent as a SOAP fault; it never leaves the endpoint's request handler.
  Fault: 'src/server/shell-table.ts',
};

test('src/ builds no plain Error, TypeError or RangeError: every error is a PsRemoteError subclass', () => {
  const plain: string[] = [];
  for (const f of files) {
    walk(f.sf, (n) => {
      if ((ts.isNewExpression(n) || ts.isCallExpression(n)) && ts.isIdentifier(n.expression) && /^(Error|TypeError|RangeError|SyntaxError|ReferenceError|EvalError|URIError|AggregateError)$/.test(n.expression.text)) {
        const at = `${f.path}:${f.sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
        if (!PLAIN_ALLOWED.includes(at)) plain.push(`${at}: ${n.getText().slice(0, 80)}`);
      }
      // `throw 'text'` or `throw { ... }`: no class at all.
      if (ts.isThrowStatement(n) && (ts.isStringLiteralLike(n.expression) || ts.isTemplateExpression(n.expression) || ts.isObjectLiteralExpression(n.expression))) {
        plain.push(`${f.path}:${f.sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText().slice(0, 80)}`);
      }
    });
  }
  expect(plain).toEqual([]);
  const others = [...parent.keys()].filter((c) => c !== 'PsRemoteError' && !isPsRemoteError(c) && /^(Error|TypeError|RangeError)$/.test(parent.get(c)!));
  const stray = others.filter((c) => NON_PSREMOTE_ALLOWED[c] === undefined || !files.some((f) => f.path === NON_PSREMOTE_ALLOWED[c] && classDecls.get(c)?.getSourceFile().fileName.endsWith(f.path)));
  expect(stray).toEqual([]);
});

test('the codes given their own names in this release keep the CLI exit codes of the ones they replace', async () => {
  const { exitCodeFor, EXIT } = await import('../src/cli/exit-codes.js');
  expect(['PSR_OUTOFPROC_TRANSPORT', 'PSR_SSH_AUTH_REJECTED', 'PSR_TRANSPORT', 'PSR_AUTH_REJECTED'].map((c) => exitCodeFor(c as never))).toEqual([EXIT.connection, EXIT.connection, EXIT.connection, EXIT.connection]);
  expect([exitCodeFor('PSR_SSH_TIMEOUT'), exitCodeFor('PSR_TIMEOUT')]).toEqual([EXIT.timeout, EXIT.timeout]);
  expect(exitCodeFor('PSR_INTERNAL')).toBe(EXIT.remote);
});

test('toError passes Errors through and makes anything else a UsageError naming what was thrown', async () => {
  const { toError, UsageError, InternalError } = await import('../src/errors.js');
  const e = new Error('x');
  expect(toError(e)).toBe(e);
  expect(toError('a string')).toBeInstanceOf(UsageError);
  expect(toError('a string')).toMatchObject({ code: 'PSR_USAGE', message: 'a callback threw a value that is not an Error: a string' });
  expect(new InternalError('x')).toMatchObject({ code: 'PSR_INTERNAL', name: 'InternalError', message: 'internal error (a bug in psremote): x' });
});

test('every PsRemoteError subclass is exported from the package, so callers can match on it with instanceof', async () => {
  const api = (await import('../src/index.js')) as Record<string, unknown> & { psrp: Record<string, unknown> };
  const declared = [...parent.keys()].filter((c) => c !== 'PsRemoteError' && isPsRemoteError(c));
  expect(declared.length).toBeGreaterThan(20);
  // The PSRP core's own errors are exported with it, under `psrp`.
  expect(declared.filter((c) => typeof api[c] !== 'function' && typeof api.psrp[c] !== 'function')).toEqual([]);
});
