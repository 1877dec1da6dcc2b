// Where requests go: the WinRM endpoint URL (bare hosts get the WinRM default
// ports and /wsman) and the HTTP CONNECT proxy, if any, from an explicit option
// or HTTPS_PROXY / HTTP_PROXY / NO_PROXY.

import { UsageError } from '../../errors.js';

export interface Endpoint {
  /** Full URL, e.g. `https://host:5986/wsman`. */
  readonly url: string;
  readonly secure: boolean;
  readonly hostname: string;
  readonly port: number;
  /** `scheme://host:port`, the undici origin. */
  readonly origin: string;
  /** Path with query. */
  readonly path: string;
  /** `host:port` for messages. */
  readonly display: string;
}

/**
 * `host` → `http://host:5985/wsman`; `https://host` → port 5986; a URL with a
 * path keeps it. `secure: true` picks https for a bare host.
 */
export function parseEndpoint(target: string, options: { secure?: boolean; port?: number; path?: string } = {}): Endpoint {
  const t = target.trim();
  if (!t) throw new UsageError('no endpoint given');
  let u: URL;
  try {
    u = /^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? new URL(t) : new URL(`${options.secure ? 'https' : 'http'}://${t}`);
  } catch (e) {
    throw new UsageError(`invalid endpoint "${t}": ${(e as Error).message}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`endpoint "${t}" must use http or https, not ${u.protocol}`);
  if (u.username || u.password) throw new UsageError('put credentials in the auth options, not in the endpoint URL');
  const secure = u.protocol === 'https:';
  const port = options.port ?? (u.port ? Number(u.port) : secure ? 5986 : 5985);
  const path = u.pathname && u.pathname !== '/' ? u.pathname + u.search : (options.path ?? '/wsman');
  const hostname = u.hostname;
  const hostForUrl = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  const origin = `${u.protocol}//${hostForUrl}:${port}`;
  return { url: origin + path, secure, hostname: hostname.replace(/^\[|\]$/g, ''), port, origin, path, display: `${hostForUrl}:${port}` };
}

export interface ProxyConfig {
  readonly hostname: string;
  readonly port: number;
  readonly secure: boolean;
  /** `Proxy-Authorization` value built from URL credentials (never logged). */
  readonly authorization?: string;
  readonly display: string;
}

export function parseProxy(url: string): ProxyConfig {
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    // The URL may hold a password: do not echo it.
    throw new UsageError('invalid proxy URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`proxy must be http:// or https://, not ${u.protocol}`);
  const secure = u.protocol === 'https:';
  const port = u.port ? Number(u.port) : secure ? 443 : 80;
  const authorization = u.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
    : undefined;
  return { hostname: u.hostname.replace(/^\[|\]$/g, ''), port, secure, ...(authorization ? { authorization } : {}), display: `${u.hostname}:${port}` };
}

/** NO_PROXY matching: `*`, exact host, `.suffix` or `suffix` domain match, optional `:port`. */
export function bypassesProxy(endpoint: Endpoint, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = endpoint.hostname.toLowerCase();
  for (const raw of noProxy.split(/[,\s]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let port: number | undefined;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\](?=:|$)/g, ''));
    if (m && m[2] && !entry.includes('::')) {
      entry = m[1]!;
      port = Number(m[2]);
    }
    entry = entry.replace(/^\[|\]$/g, '');
    if (port !== undefined && port !== endpoint.port) continue;
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (host === entry || host === entry.replace(/^\./, '') || (entry.startsWith('.') ? host.endsWith(entry) : host.endsWith(`.${entry}`))) return true;
  }
  return false;
}

/**
 * The proxy for this endpoint: `explicit` (false = never), else HTTPS_PROXY for
 * https / HTTP_PROXY for http (lower case too), unless NO_PROXY matches.
 */
export function resolveProxy(endpoint: Endpoint, explicit: string | false | undefined, env: NodeJS.ProcessEnv = process.env): ProxyConfig | undefined {
  if (explicit === false) return undefined;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  if (explicit !== undefined) return bypassesProxy(endpoint, noProxy) ? undefined : parseProxy(explicit);
  const fromEnv = endpoint.secure ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  if (!fromEnv) return undefined;
  return bypassesProxy(endpoint, noProxy) ? undefined : parseProxy(fromEnv);
}
