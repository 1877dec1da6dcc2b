// Named hosts (config.ts) wherever a target goes, and named sessions that
// remember how they were opened. One commander preAction hook, so the commands
// themselves see an ordinary URL and ordinary flags: before a command that
// takes a target runs, a target that names a configured host becomes its URL,
// and the host's settings fill every option the command line did not give
// (the command line always wins). `session new` stores how the session was
// opened (the named host, the auth scheme and TLS/Kerberos/proxy options;
// never a password or the variable holding one), and later commands on that
// session (`invoke --session`, `shell --session`, `session receive/connect/
// disconnect/remove`, `upload/download --session`) get them back the same way,
// so only the secret is asked for.

import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { FileSessionStore } from '../session/store.js';
import { loadConfig, type CliConfig, type HostConfig } from './config.js';

/** Commands whose first argument is a target. */
const TARGET_FIRST = new Set(['invoke', 'shell', 'exec', 'identify', 'wmi', 'session new', 'upload', 'download', 'export-session', 'check']);
/** Commands whose first argument is a session name. */
const SESSION_FIRST = new Set(['session receive', 'session connect', 'session disconnect', 'session remove']);
/** Commands with a `--remote HOST` option. */
const REMOTE_OPTION = new Set(['session list', 'session remove']);

/** The options `session new` remembers (no secrets: no password, NT hash, or the names of the variables holding them). */
const REMEMBERED = [
  'auth', 'ssl', 'ca', 'cert', 'key', 'servername', 'insecureSkipVerify', 'insecureAllowUnencrypted', 'proxy', 'messageEncryption',
  'spnego', 'spn', 'spnService', 'keytab', 'ccache', 'kdc', 'krb5Config', 'delegate', 'operationTimeout', 'userAgent',
] as const;

/** How a session was opened, stored with its handle. */
export interface OpenedWith {
  /** The configured host it was opened on, if any. */
  readonly host?: string;
  readonly options?: Readonly<Record<string, string | boolean>>;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function given(cmd: Command, key: string): boolean {
  const source = cmd.getOptionValueSource(key);
  return source === 'cli' || source === 'env';
}

function fill(cmd: Command, settings: Readonly<Record<string, unknown>>): void {
  for (const [k, v] of Object.entries(settings)) {
    if (k === 'url' || v === undefined || given(cmd, k)) continue;
    cmd.setOptionValueWithSource(k, k === 'operationTimeout' ? String(v) : v, 'config');
  }
}

function applyHost(cmd: Command, name: string, h: HostConfig): void {
  fill(cmd, h as unknown as Readonly<Record<string, unknown>>);
  if (h.credentialHelper && !given(cmd, 'passwordEnv')) cmd.setOptionValueWithSource('credentialTarget', h.url, 'config');
  cmd.setOptionValueWithSource('namedHost', name, 'config');
}

/** The target with configured names replaced by their URLs; the settings of the (one) named host applied. */
function resolveTargets(cmd: Command, config: CliConfig, target: string, list: boolean): string {
  // An OutOfProc target is one command line or path, commas included.
  const parts = list && !/^(exec|unix):/i.test(target) ? target.split(',').map((t) => t.trim()) : [target];
  const named = parts.filter((p) => config.hosts.has(p));
  if (named.length === 0) return target;
  const settings = new Set(named.map((n) => JSON.stringify({ ...config.hosts.get(n), url: undefined })));
  if (settings.size > 1) throw new UsageError(`configured hosts ${[...new Set(named)].join(', ')} have different settings: run them in separate invocations`);
  applyHost(cmd, named[0]!, config.hosts.get(named[0]!)!);
  return parts.map((p) => config.hosts.get(p)?.url ?? p).join(',');
}

function applySession(cmd: Command, config: () => CliConfig, name: string): void {
  let handle: { opened?: OpenedWith; user?: string } | undefined;
  try {
    handle = new FileSessionStore().named(name) as { opened?: OpenedWith; user?: string };
  } catch {
    return; // the command itself says the session is not there
  }
  // The user it was made with, for every command on it (not only invoke and shell).
  if (handle.user && !given(cmd, 'user')) cmd.setOptionValueWithSource('user', handle.user, 'config');
  const opened = handle.opened;
  if (!opened) return;
  if (opened.host) {
    const h = config().hosts.get(opened.host);
    if (h) applyHost(cmd, opened.host, h);
  }
  if (opened.options) fill(cmd, opened.options);
}

/** What `session new` stores about how it opened the session (from its resolved flags). */
export function openedWith(flags: Readonly<Record<string, unknown>>): { opened?: OpenedWith } {
  const options: Record<string, string | boolean> = {};
  for (const k of REMEMBERED) {
    const v = flags[k];
    if (typeof v === 'string' || typeof v === 'boolean') options[k] = v;
  }
  const host = typeof flags.namedHost === 'string' ? flags.namedHost : undefined;
  if (!host && Object.keys(options).length === 0) return {};
  return { opened: { ...(host ? { host } : {}), ...(Object.keys(options).length ? { options } : {}) } };
}

/** Installs the hook on the program (after the commands are registered). */
export function installNamedHosts(program: Command): void {
  program.hook('preAction', (_program, cmd) => {
    const path = commandPath(cmd);
    if (!TARGET_FIRST.has(path) && !SESSION_FIRST.has(path) && !REMOTE_OPTION.has(path)) return;
    let cached: CliConfig | undefined;
    const config = () => (cached ??= loadConfig());
    const opts = cmd.opts<{ session?: string; remote?: string }>();
    const args = cmd.processedArgs as unknown[];
    if (REMOTE_OPTION.has(path) && typeof opts.remote === 'string') {
      cmd.setOptionValueWithSource('remote', resolveTargets(cmd, config(), opts.remote, false), 'cli');
    }
    if (SESSION_FIRST.has(path) && typeof args[0] === 'string') return applySession(cmd, config, args[0]);
    if (!TARGET_FIRST.has(path)) return;
    if (typeof opts.session === 'string') return applySession(cmd, config, opts.session);
    if (path === 'upload' || path === 'download') {
      const paths = args[0];
      if (Array.isArray(paths) && typeof paths[0] === 'string') paths[0] = resolveTargets(cmd, config(), paths[0], false);
      return;
    }
    if (typeof args[0] === 'string') args[0] = resolveTargets(cmd, config(), args[0], path === 'invoke');
  });
}
