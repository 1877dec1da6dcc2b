// The CLI's configuration file: named hosts, each with what the connection
// flags would say (URL, auth scheme, user, configuration name, certificate
// options, proxy, defaults), so `psremote invoke win01 -c …` needs no flags.
// Found at $PSREMOTE_CONFIG, else $XDG_CONFIG_HOME/psremote/config.json, else
// ~/.config/psremote/config.json. It never holds a secret: a `password` (or
// anything like one) is refused with the way to give it instead (an environment
// variable, the prompt, or a credential helper command, credential-helper.ts).

import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { FILE_LIMITS, readBoundedText } from './bounded-file.js';
import { UsageError } from '../errors.js';

/** A host's settings: the connection flags' names (camelCase), as commander stores them. */
export interface HostConfig {
  readonly url: string;
  readonly auth?: string;
  readonly user?: string;
  readonly configurationName?: string;
  readonly passwordEnv?: string;
  readonly credentialHelper?: string;
  readonly ssl?: boolean;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
  readonly insecureSkipVerify?: boolean;
  readonly insecureAllowUnencrypted?: boolean;
  readonly proxy?: string | false;
  readonly messageEncryption?: string;
  readonly spnego?: boolean;
  readonly spn?: string;
  readonly spnService?: string;
  readonly keytab?: string;
  readonly ccache?: string;
  readonly kdc?: string;
  readonly krb5Config?: string;
  readonly delegate?: boolean;
  readonly operationTimeout?: number;
  readonly userAgent?: string;
}

export interface CliConfig {
  readonly path: string;
  readonly exists: boolean;
  readonly hosts: ReadonlyMap<string, HostConfig>;
}

type Kind = 'string' | 'boolean' | 'number' | 'proxy';

/** Every key a host may have and its type; anything else is refused, so a typo is not silently ignored. */
export const HOST_KEYS: Readonly<Record<keyof HostConfig, Kind>> = {
  url: 'string', auth: 'string', user: 'string', configurationName: 'string', passwordEnv: 'string', credentialHelper: 'string',
  ssl: 'boolean', ca: 'string', cert: 'string', key: 'string', servername: 'string', insecureSkipVerify: 'boolean',
  insecureAllowUnencrypted: 'boolean', proxy: 'proxy', messageEncryption: 'string', spnego: 'boolean', spn: 'string',
  spnService: 'string', keytab: 'string', ccache: 'string', kdc: 'string', krb5Config: 'string', delegate: 'boolean',
  operationTimeout: 'number', userAgent: 'string',
};

// Keys that would hold a secret in clear text.
const SECRET_KEY = /^(password|passwd|pwd|secret|nthash|nt_hash|token|privatekey|credential)$/i;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PSREMOTE_CONFIG) return env.PSREMOTE_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'psremote', 'config.json');
}

function fail(path: string, where: string, what: string): never {
  throw new UsageError(`config ${path}: ${where}: ${what}`);
}

function readHost(path: string, name: string, raw: unknown): HostConfig {
  const where = `hosts.${name}`;
  if (!/^[\w.-]{1,64}$/.test(name)) fail(path, where, 'a host name is letters, digits, . _ - (at most 64)');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(path, where, 'must be an object ({"url": …})');
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (SECRET_KEY.test(k)) fail(path, `${where}.${k}`, 'secrets are never kept in the config file: give "passwordEnv" (an environment variable), a "credentialHelper" command, or type it at the prompt');
    const kind = (HOST_KEYS as Record<string, Kind>)[k];
    if (!kind) fail(path, `${where}.${k}`, `unknown key (known: ${Object.keys(HOST_KEYS).join(', ')})`);
    const ok = kind === 'proxy' ? typeof v === 'string' || v === false : typeof v === kind;
    if (!ok) fail(path, `${where}.${k}`, `must be ${kind === 'proxy' ? 'a URL or false' : `a ${kind}`}, not ${JSON.stringify(v)}`);
  }
  const h = raw as HostConfig;
  if (typeof h.url !== 'string' || h.url === '') fail(path, `${where}.url`, 'missing (host, host:port or http(s)://host:port/wsman)');
  for (const [k, v] of [['url', h.url], ['proxy', h.proxy]] as const) {
    if (typeof v === 'string' && /^[a-z][\w+.-]*:\/\/[^/@]*:[^/@]*@/i.test(v)) fail(path, `${where}.${k}`, 'has a password in it (user:password@): secrets are never kept in the config file');
  }
  if (h.operationTimeout !== undefined && !(h.operationTimeout > 0 && h.operationTimeout <= 3600)) fail(path, `${where}.operationTimeout`, 'seconds, 1-3600');
  return h;
}

/** Reads and checks the config file; a missing file is an empty config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const path = configPath(env);
  // An explicit PSREMOTE_CONFIG that is missing is a mistake worth saying; the default path is optional.
  if (!env.PSREMOTE_CONFIG && !existsSync(path)) return { path, exists: false, hosts: new Map() };
  const text = readBoundedText(path, 'config', FILE_LIMITS.config);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config ${path}: not valid JSON: ${(e as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) fail(path, 'top level', 'must be an object ({"hosts": {…}})');
  for (const k of Object.keys(data as object)) {
    if (SECRET_KEY.test(k)) fail(path, k, 'secrets are never kept in the config file');
    if (k !== 'hosts' && k !== '$schema') fail(path, k, 'unknown key (known: hosts)');
  }
  const hostsRaw = (data as { hosts?: unknown }).hosts ?? {};
  if (hostsRaw === null || typeof hostsRaw !== 'object' || Array.isArray(hostsRaw)) fail(path, 'hosts', 'must be an object of named hosts');
  const hosts = new Map<string, HostConfig>();
  for (const [name, raw] of Object.entries(hostsRaw as Record<string, unknown>)) hosts.set(name, readHost(path, name, raw));
  return { path, exists: true, hosts };
}

/** A URL with any user:password@ part masked. */
function maskUrl(u: string): string {
  return u.replace(/^([a-z][\w+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}

/** A host's settings for `config show`: what could be secret masked (a helper's arguments), whether the password variable is set. */
export function maskedHost(h: HostConfig, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k === 'credentialHelper' && typeof v === 'string') {
      const [first = ''] = v.trim().split(/\s+/);
      out[k] = v.trim() === first ? first : `${first} ***`;
    } else if (k === 'passwordEnv' && typeof v === 'string') out[k] = `${v} (${env[v] === undefined ? 'not set' : 'set, value hidden'})`;
    else if ((k === 'url' || k === 'proxy') && typeof v === 'string') out[k] = maskUrl(v);
    else out[k] = v;
  }
  return out;
}
