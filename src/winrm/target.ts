// How the public session APIs name a server: a host/URL string, a full set of
// connection options, or an existing WSManClient (shared, not closed by us).

import { UsageError } from '../errors.js';
import { HttpTransport, type HttpTransportOptions } from '../transport/http/transport.js';
import { WSManClient, type WSManClientOptions } from './wsman-client.js';

export interface ConnectionOptions extends HttpTransportOptions, WSManClientOptions {}

export type Target = string | ConnectionOptions | WSManClient;

export interface ResolvedTarget {
  readonly client: WSManClient;
  /** We created the client, so we close it. */
  readonly owned: boolean;
}

export function resolveTarget(target: Target, defaults: Partial<ConnectionOptions> = {}): ResolvedTarget {
  if (target instanceof WSManClient) return { client: target, owned: false };
  const options: ConnectionOptions = typeof target === 'string' ? { ...defaults, endpoint: target } : { ...defaults, ...target };
  return { client: new WSManClient(new HttpTransport(options), options), owned: true };
}

/**
 * OutOfProc targets: `exec:<command line>` starts a PSRP server process and talks
 * over its stdio (a user's `pwsh -s -NoLogo`, the test peer), `unix:<path>`
 * connects to a server on a Unix socket (`pwsh -CustomPipeName`).
 */
export type OutOfProcTarget =
  | { readonly kind: 'exec'; readonly command: string }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'ssh'; readonly host: string; readonly port: number | undefined; readonly username: string | undefined };

export function parseOutOfProcTarget(target: string): OutOfProcTarget | undefined {
  if (/^ssh:\/\//i.test(target)) return parseSshTarget(target);
  const m = /^(exec|unix):(.*)$/is.exec(target);
  if (!m) return undefined;
  const rest = m[2]!.trim();
  const kind = m[1]!.toLowerCase() as 'exec' | 'unix';
  if (!rest) throw new UsageError(`${kind}: target needs ${kind === 'exec' ? 'a command line' : 'a socket path'}`);
  return kind === 'exec' ? { kind, command: rest } : { kind, path: rest };
}

/** `ssh://[user@]host[:port]` (PowerShell's `New-PSSession -HostName user@host -Port n`). */
function parseSshTarget(target: string): OutOfProcTarget {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UsageError(`not an ssh:// target: ${target}`);
  }
  if (!url.hostname || (url.pathname && url.pathname !== '/') || url.search || url.hash || url.password) {
    throw new UsageError(`an ssh:// target is ssh://[user@]host[:port], nothing more: ${target}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { kind: 'ssh', host, port: url.port ? Number(url.port) : undefined, username: url.username ? decodeURIComponent(url.username) : undefined };
}
