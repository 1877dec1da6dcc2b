// How every public entry point names a server (openSession, connectSession,
// getRemoteSessions, openShell, runCommand, the WMI functions, invokeCommand,
// invokeOnHosts): a Target is a host name or URL string, a full set of
// connection options (the object form of the same thing, what the CLI's
// connection flags build), or an existing WSManClient (shared, not closed by
// us). ConnectOptions are the conveniences every entry point takes beside it.

import { UsageError } from '../errors.js';
import { basicAuth, certificateAuth, noAuth, type HttpAuth } from '../transport/http/auth.js';
import { credsspAuth, type CredSspAuthOptions } from '../transport/http/credssp-auth.js';
import { ntlmAuth, type NtlmAuthOptions } from '../transport/http/ntlm-auth.js';
import { HttpTransport, type HttpTransportOptions } from '../transport/http/transport.js';
import { WSManClient, type WSManClientOptions } from './wsman-client.js';

/** The object form of a target: where (`endpoint`) and how (auth, TLS, timeouts). */
export interface ConnectionOptions extends HttpTransportOptions, WSManClientOptions {}

/** A server: `host`, `https://host:5986/wsman`, `exec:…`/`unix:…`/`ssh://…` (sessions only), its options, or a WSManClient. */
export type Target = string | ConnectionOptions | WSManClient;

export type Credential =
  | { readonly username: string; readonly password: string; readonly authentication?: 'basic' }
  | { readonly authentication: 'certificate' }
  /** NTLM in the Negotiate scheme (negotiate: the best mechanism psremote has, which is NTLM); password or NT hash. */
  | ({ readonly authentication: 'ntlm' | 'negotiate' } & Omit<NtlmAuthOptions, 'scheme'>)
  /** CredSSP: the password is delegated to the remote host (the second hop). */
  | ({ readonly authentication: 'credssp' } & CredSspAuthOptions);

/**
 * How to connect, beside the target (PowerShell's -Credential, -UseSSL and
 * session options, flat): used as they are for a string target; a
 * ConnectionOptions target's own fields win over them; a WSManClient target is
 * already connected and ignores them. `auth` (any HttpAuth mechanism) wins
 * over `credential`.
 */
export interface ConnectOptions extends Partial<Omit<HttpTransportOptions, 'endpoint' | 'secure'>>, Omit<WSManClientOptions, 'operationTimeoutMs'> {
  readonly credential?: Credential;
  /** Use https for a bare host name (port 5986). */
  readonly useSsl?: boolean;
  readonly operationTimeoutMs?: number | undefined;
}

/** The keys of ConnectOptions that go to the transport and client as they are. */
const PASSED = [
  'auth', 'allowUnencrypted', 'tls', 'proxy', 'env', 'userAgent', 'readTimeoutMs', 'keepAliveTimeoutMs', 'connectTimeoutMs',
  'maxResponseBytes', 'maxConnections', 'headers', 'dispatcherFactory', 'clock', 'reuseConnections',
  'operationTimeoutMs', 'readTimeoutMarginMs', 'maxEnvelopeSize', 'locale', 'dataLocale', 'sessionId', 'newMessageId',
] as const satisfies readonly (keyof ConnectOptions)[];

export function authFor(cred: Credential | undefined): HttpAuth {
  if (!cred) return noAuth();
  switch (cred.authentication) {
    case 'certificate':
      return certificateAuth();
    case 'ntlm':
    case 'negotiate': {
      const { authentication, ...rest } = cred;
      return ntlmAuth({ ...rest, scheme: authentication });
    }
    case 'credssp': {
      const { authentication: _a, ...rest } = cred;
      return credsspAuth(rest);
    }
    default:
      return basicAuth(cred.username, cred.password);
  }
}

function recordWithUser(record: NonNullable<HttpTransportOptions['record']>, cred: Credential | undefined): NonNullable<HttpTransportOptions['record']> {
  if (typeof record === 'string' || !record.scrubHosts || !cred || !('username' in cred)) return record;
  return { ...record, names: { ...record.names, users: [...(record.names?.users ?? []), cred.username] } };
}

/** The endpoint string a target names; undefined for a WSManClient (already connected). */
export function targetEndpoint(target: Target): string | undefined {
  if (target instanceof WSManClient) return undefined;
  return typeof target === 'string' ? target : target.endpoint;
}

/** The full connection options of a string or object target, with `options` filling in. */
export function connectionFor(target: string | ConnectionOptions, options: ConnectOptions = {}): ConnectionOptions {
  const passed: Record<string, unknown> = {};
  for (const k of PASSED) if (options[k] !== undefined) passed[k] = options[k];
  const base: ConnectionOptions = {
    endpoint: typeof target === 'string' ? target : target.endpoint,
    auth: authFor(options.credential),
    ...passed,
    ...(options.record ? { record: recordWithUser(options.record, options.credential) } : {}),
    ...(options.useSsl !== undefined ? { secure: options.useSsl } : {}),
  };
  return typeof target === 'string' ? base : { ...base, ...target };
}

export interface ResolvedTarget {
  readonly client: WSManClient;
  /** We created the client, so we close it. */
  readonly owned: boolean;
}

export function resolveTarget(target: Target, options: ConnectOptions = {}): ResolvedTarget {
  if (target instanceof WSManClient) return { client: target, owned: false };
  const endpoint = targetEndpoint(target)!;
  if (parseOutOfProcTarget(endpoint)) throw new UsageError(`${endpoint.split(':')[0]}: targets are not WS-Management endpoints`);
  const c = connectionFor(target, options);
  return { client: new WSManClient(new HttpTransport(c), c), owned: true };
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
