// `psremote check --expect FILE`: assertions on a host's remoting setup, in
// YAML or JSON (docs/check.md has the schema). The file is validated first, so
// a typo is an error naming the key and what it may be, not a check that can
// never fail; then each assertion is compared with the facts and a mismatch
// says what was expected and what was found.

import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../errors.js';
import type { CheckReport, HostFacts } from './report.js';

export interface Expectations {
  readonly auth?: {
    readonly basic?: 'on' | 'off';
    readonly negotiate?: 'on' | 'off';
    readonly kerberos?: 'on' | 'off';
    readonly credssp?: 'on' | 'off';
    readonly certificate?: 'on' | 'off';
    readonly unencrypted?: 'accepted' | 'refused';
    readonly channelBinding?: 'required' | 'not required';
  };
  readonly https?: 'required' | 'off';
  readonly certificate?: { readonly validForDays?: number; readonly trusted?: boolean };
  readonly limits?: Readonly<Partial<Record<LimitName, number>>>;
  readonly configurations?: Readonly<Record<string, { readonly opens?: boolean; readonly languageMode?: string; readonly commands?: readonly string[]; readonly includes?: readonly string[]; readonly disconnect?: boolean }>>;
}

const LIMITS = ['maxEnvelopeSizeKb', 'maxTimeoutMs', 'maxShellsPerUser', 'maxConcurrentOperationsPerUser', 'idleTimeoutMs', 'maxMemoryPerShellMB'] as const;
type LimitName = (typeof LIMITS)[number];
const LANGUAGE_MODES = ['FullLanguage', 'ConstrainedLanguage', 'RestrictedLanguage', 'NoLanguage'];

function fail(file: string, path: string, what: string): never {
  throw new UsageError(`${file}: ${path}: ${what}`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function keys(file: string, path: string, v: unknown, allowed: readonly string[]): Obj {
  if (!isObj(v)) fail(file, path, `expected a mapping of ${allowed.join(', ')}`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) fail(file, `${path}.${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
  return v;
}

function oneOf<T extends string>(file: string, path: string, v: unknown, allowed: readonly T[]): T {
  // YAML 1.1 readers turn on/off into booleans; accept them for on/off.
  const s = v === true && allowed.includes('on' as T) ? 'on' : v === false && allowed.includes('off' as T) ? 'off' : v;
  if (typeof s !== 'string' || !allowed.includes(s as T)) fail(file, path, `expected ${allowed.join(' or ')}, got ${JSON.stringify(v)}`);
  return s as T;
}

function strings(file: string, path: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(file, path, 'expected a list of command names');
  return v as string[];
}

/** Reads and validates an expectations file (YAML or JSON). */
export function parseExpectations(text: string, file = 'expectations'): Expectations {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    fail(file, '(file)', `not YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const root = keys(file, '(top)', doc ?? {}, ['auth', 'https', 'certificate', 'limits', 'configurations']);
  const out: { -readonly [K in keyof Expectations]: Expectations[K] } = {};
  if (root.auth !== undefined) {
    const a = keys(file, 'auth', root.auth, ['basic', 'negotiate', 'kerberos', 'credssp', 'certificate', 'unencrypted', 'channelBinding']);
    const auth: Record<string, string> = {};
    for (const s of ['basic', 'negotiate', 'kerberos', 'credssp', 'certificate'] as const) if (a[s] !== undefined) auth[s] = oneOf(file, `auth.${s}`, a[s], ['on', 'off']);
    if (a.unencrypted !== undefined) auth.unencrypted = oneOf(file, 'auth.unencrypted', a.unencrypted, ['accepted', 'refused']);
    if (a.channelBinding !== undefined) auth.channelBinding = oneOf(file, 'auth.channelBinding', a.channelBinding, ['required', 'not required']);
    out.auth = auth as Expectations['auth'];
  }
  if (root.https !== undefined) out.https = oneOf<'required' | 'off'>(file, 'https', root.https, ['required', 'off']);
  if (root.certificate !== undefined) {
    const c = keys(file, 'certificate', root.certificate, ['validForDays', 'trusted']);
    if (c.validForDays !== undefined && (typeof c.validForDays !== 'number' || !Number.isInteger(c.validForDays) || c.validForDays < 0)) fail(file, 'certificate.validForDays', 'expected a whole number of days');
    if (c.trusted !== undefined && typeof c.trusted !== 'boolean') fail(file, 'certificate.trusted', 'expected true or false');
    out.certificate = c as Expectations['certificate'];
  }
  if (root.limits !== undefined) {
    const l = keys(file, 'limits', root.limits, LIMITS);
    for (const [k, v] of Object.entries(l)) if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(file, `limits.${k}`, 'expected a whole number');
    out.limits = l as Expectations['limits'];
  }
  if (root.configurations !== undefined) {
    if (!isObj(root.configurations)) fail(file, 'configurations', 'expected a mapping of configuration names');
    const cfgs: Record<string, NonNullable<Expectations['configurations']>[string]> = {};
    for (const [name, v] of Object.entries(root.configurations)) {
      const p = `configurations.${name}`;
      const c = keys(file, p, v ?? {}, ['opens', 'languageMode', 'commands', 'includes', 'disconnect']);
      for (const b of ['opens', 'disconnect'] as const) if (c[b] !== undefined && typeof c[b] !== 'boolean') fail(file, `${p}.${b}`, 'expected true or false');
      cfgs[name] = {
        ...(c.opens !== undefined ? { opens: c.opens as boolean } : {}),
        ...(c.disconnect !== undefined ? { disconnect: c.disconnect as boolean } : {}),
        ...(c.languageMode !== undefined ? { languageMode: oneOf(file, `${p}.languageMode`, c.languageMode, LANGUAGE_MODES) } : {}),
        ...(c.commands !== undefined ? { commands: strings(file, `${p}.commands`, c.commands) } : {}),
        ...(c.includes !== undefined ? { includes: strings(file, `${p}.includes`, c.includes) } : {}),
      };
    }
    out.configurations = cfgs;
  }
  return out;
}

export interface ExpectationResult {
  /** The assertion's key path, e.g. `configurations.Maintenance.commands`. */
  readonly path: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly actual: string;
}

/** The configurations an expectations file needs opened. */
export function configurationsIn(e: Expectations): string[] {
  return Object.keys(e.configurations ?? {});
}

function limitOf(f: HostFacts, name: LimitName): number | undefined {
  if (!f.limits.readable) return undefined;
  const c = f.limits.config;
  return { maxEnvelopeSizeKb: c.maxEnvelopeSizeKb, maxTimeoutMs: c.maxTimeoutMs, maxShellsPerUser: c.winrs.maxShellsPerUser, maxConcurrentOperationsPerUser: c.service.maxConcurrentOperationsPerUser, idleTimeoutMs: c.winrs.idleTimeoutMs, maxMemoryPerShellMB: c.winrs.maxMemoryPerShellMB }[name];
}

/** Each assertion against the facts. */
export function compareExpectations(e: Expectations, f: HostFacts): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  const check = (path: string, expected: string, actual: string, ok = expected === actual) => out.push({ path, ok, expected, actual });
  for (const s of ['basic', 'negotiate', 'kerberos', 'credssp', 'certificate'] as const) {
    const want = e.auth?.[s];
    if (!want) continue;
    const state = f.auth.schemes[s];
    const on = state === 'offered' || state === 'accepted';
    check(`auth.${s}`, want, on ? 'on' : 'off', (want === 'on') === on);
    if (want === 'off' && on) out[out.length - 1] = { ...out[out.length - 1]!, actual: `on (${state})` };
  }
  if (e.auth?.unencrypted) check('auth.unencrypted', e.auth.unencrypted, f.auth.unencrypted === 'not applicable' ? 'refused (https)' : f.auth.unencrypted, f.auth.unencrypted === 'not applicable' ? e.auth.unencrypted === 'refused' : e.auth.unencrypted === f.auth.unencrypted);
  if (e.auth?.channelBinding) check('auth.channelBinding', e.auth.channelBinding, f.auth.channelBinding);
  if (e.https) check('https', e.https, f.https ? 'required' : 'off');
  if (e.certificate) {
    const c = f.certificate;
    if (e.certificate.validForDays !== undefined) check('certificate.validForDays', `at least ${e.certificate.validForDays} days`, c ? `${c.daysLeft} days (until ${c.validTo})` : 'no certificate', !!c && c.daysLeft >= e.certificate.validForDays);
    if (e.certificate.trusted !== undefined) check('certificate.trusted', String(e.certificate.trusted), c ? String(c.trusted && c.nameMatches) + (c.trusted && c.nameMatches ? '' : ` (${c.trustError ?? c.nameError})`) : 'no certificate', !!c && c.trusted && c.nameMatches === e.certificate.trusted);
  }
  for (const [k, v] of Object.entries(e.limits ?? {}) as [LimitName, number][]) {
    const actual = limitOf(f, k);
    check(`limits.${k}`, String(v), actual === undefined ? (f.limits.readable ? 'not in the configuration' : `not readable (${f.limits.reason})`) : String(actual));
  }
  for (const [name, want] of Object.entries(e.configurations ?? {})) {
    const p = `configurations.${name}`;
    const got = f.configurations[name];
    if (!got) {
      check(p, 'checked', 'not checked (no credentials accepted)', false);
      continue;
    }
    if (want.opens !== undefined) check(`${p}.opens`, String(want.opens), got.opens ? 'true' : `false (${got.error})`, got.opens === want.opens);
    if (!got.opens) {
      if (want.opens !== false) check(p, 'opens', `does not open: ${got.error}`, false);
      continue;
    }
    if (want.languageMode) check(`${p}.languageMode`, want.languageMode, got.languageMode ?? 'unknown');
    if (want.disconnect !== undefined) check(`${p}.disconnect`, String(want.disconnect), String(got.disconnect));
    const have = new Map((got.commands ?? []).map((c) => [c.toLowerCase(), c]));
    if ((want.commands || want.includes) && !got.commands) {
      check(`${p}.commands`, want.commands ? `exactly ${want.commands.join(', ')}` : `at least ${want.includes!.join(', ')}`, 'not known (the endpoint did not answer GET_COMMAND_METADATA)', false);
    } else if (want.commands) {
      const wanted = new Set(want.commands.map((c) => c.toLowerCase()));
      const missing = want.commands.filter((c) => !have.has(c.toLowerCase()));
      const extra = [...have.entries()].filter(([k]) => !wanted.has(k)).map(([, v]) => v);
      const diff = [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...(extra.length ? [`unexpected ${extra.join(', ')}`] : [])].join('; ');
      check(`${p}.commands`, `exactly ${want.commands.join(', ')}`, diff ? `${diff} (visible: ${[...have.values()].join(', ') || 'none'})` : `exactly ${want.commands.join(', ')}`, !diff);
    }
    if (want.includes && got.commands) {
      const missing = want.includes.filter((c) => !have.has(c.toLowerCase()));
      check(`${p}.includes`, `at least ${want.includes.join(', ')}`, missing.length ? `missing ${missing.join(', ')}` : `at least ${want.includes.join(', ')}`, missing.length === 0);
    }
  }
  return out;
}

export function formatExpectations(results: readonly ExpectationResult[]): string {
  const bad = results.filter((r) => !r.ok);
  const lines = results.map((r) => `${r.ok ? 'ok  ' : 'DIFF'}  ${r.path}: expected ${r.expected}${r.ok ? '' : `, found ${r.actual}`}`);
  lines.push(bad.length === 0 ? `all ${results.length} expectations hold` : `${bad.length} of ${results.length} expectations do not hold`);
  return `${lines.join('\n')}\n`;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: one test case per check item and per expectation. */
export function junitReport(report: CheckReport, results: readonly ExpectationResult[]): string {
  const cases = [
    ...report.items.map((i) => ({ name: i.id, failure: i.status === 'fail' ? `${i.evidence}${i.fix ? ` — fix: ${i.fix}` : ''}` : undefined, out: `${i.status}: ${i.evidence}` })),
    ...results.map((r) => ({ name: `expect.${r.path}`, failure: r.ok ? undefined : `expected ${r.expected}, found ${r.actual}`, out: `expected ${r.expected}` })),
  ];
  const failures = cases.filter((c) => c.failure).length;
  const body = cases
    .map((c) => `    <testcase classname="psremote.check" name="${xml(c.name)}">${c.failure ? `<failure message="${xml(c.failure)}"/>` : ''}<system-out>${xml(c.out)}</system-out></testcase>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n  <testsuite name="${xml(`psremote check ${report.target}`)}" tests="${cases.length}" failures="${failures}" timestamp="${xml(report.checkedAt)}">\n${body}\n  </testsuite>\n</testsuites>\n`;
}
