// openSession: New-PSSession for Node. A target is a WinRM endpoint
// (`http(s)://host:port/wsman` or a bare host), or an OutOfProc server:
// `exec:<command line>` (stdio of a process), `unix:<path>` (a Unix socket) or
// `ssh://[user@]host[:port]` (the powershell subsystem over SSH).

import { UsageError } from '../errors.js';
import { HttpTransport, type HttpTransportOptions } from '../transport/http/transport.js';
import { basicAuth, certificateAuth, noAuth, type HttpAuth } from '../transport/http/auth.js';
import { ntlmAuth, type NtlmAuthOptions } from '../transport/http/ntlm-auth.js';
import { WSManClient, type WSManClientOptions } from '../winrm/wsman-client.js';
import { userInfo } from 'node:os';
import { connectSocket, spawnServer, type SpawnOptions } from '../transport/outofproc/index.js';
import { connectSsh, type SshOptions } from '../transport/ssh/index.js';
import { parseOutOfProcTarget, type ConnectionOptions } from '../winrm/target.js';
import { credsspAuth, type CredSspAuthOptions } from '../transport/http/credssp-auth.js';
import { OutOfProcCarrier, type OutOfProcCarrierOptions } from './carriers/outofproc-carrier.js';
import { WSManCarrier, type WSManCarrierOptions } from './carriers/wsman-carrier.js';
import { RunspacePool, type RunspacePoolOptions } from './runspace-pool.js';
import { parseSessionHandle, recordOrigin, type SessionHandle } from './handle.js';

export type Credential =
  | { readonly username: string; readonly password: string; readonly authentication?: 'basic' }
  | { readonly authentication: 'certificate' }
  /** NTLM in the Negotiate scheme (negotiate: the best mechanism psremote has, which is NTLM); password or NT hash. */
  | ({ readonly authentication: 'ntlm' | 'negotiate' } & Omit<NtlmAuthOptions, 'scheme'>)
  /** CredSSP: the password is delegated to the remote host (the second hop). */
  | ({ readonly authentication: 'credssp' } & CredSspAuthOptions);

function authFor(cred: Credential | undefined): HttpAuth {
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

export interface SessionOptions extends RunspacePoolOptions, WSManCarrierOptions, OutOfProcCarrierOptions {
  /** exec: targets: environment and working directory of the server process. */
  readonly spawn?: SpawnOptions;
  /** ssh:// targets: keys, host-key checks, subsystem (user, host and port come from the target). */
  readonly ssh?: Omit<SshOptions, 'host' | 'port' | 'username' | 'signal'> & { readonly username?: string };
  readonly credential?: Credential;
  /** Use https for a bare host name (port 5986). */
  readonly useSsl?: boolean;
  /** Allow Basic over plain http (credentials and data in clear). */
  readonly allowUnencrypted?: boolean;
  readonly tls?: HttpTransportOptions['tls'];
  readonly proxy?: string | false;
  readonly userAgent?: string;
  readonly operationTimeoutMs?: number;
  readonly sessionId?: string;
  readonly locale?: string;
  /** Full connection options (as the CLI's connection flags build them); they take precedence. */
  readonly connection?: Partial<ConnectionOptions>;
  /** Record the conversation (plain SOAP, scrubbed) to this file; with `scrubHosts` the credential's user name is scrubbed too. */
  readonly record?: HttpTransportOptions['record'];
}

function recordWithUser(record: NonNullable<HttpTransportOptions['record']>, cred: Credential | undefined): NonNullable<HttpTransportOptions['record']> {
  if (typeof record === 'string' || !record.scrubHosts || !cred || !('username' in cred)) return record;
  return { ...record, names: { ...record.names, users: [...(record.names?.users ?? []), cred.username] } };
}

/**
 * Connects to a disconnected PowerShell session that another client created:
 * by its handle (pool.handle(), from any process; the credential comes from
 * `options`), or by endpoint and ShellId.
 */
export async function connectSession(handle: SessionHandle, options?: SessionOptions): Promise<RunspacePool>;
export async function connectSession(target: string, shellId: string, options?: SessionOptions): Promise<RunspacePool>;
export async function connectSession(first: string | SessionHandle, second?: string | SessionOptions, third: SessionOptions = {}): Promise<RunspacePool> {
  if (typeof first !== 'string') {
    const h = parseSessionHandle(first);
    const options: SessionOptions = { runspacePoolId: h.runspacePoolId, configurationName: h.configurationName, ...(typeof second === 'object' ? second : {}) };
    return connectSession(h.target, h.shellId, options);
  }
  const target = first;
  if (typeof second !== 'string') throw new UsageError('connectSession(target, shellId, options): the ShellId is missing');
  const options = third;
  if (parseOutOfProcTarget(target)) throw new UsageError('OutOfProc sessions cannot be disconnected, so there is nothing to connect to');
  const carrier = wsmanCarrier(target, options);
  const pool = await RunspacePool.connect(carrier, second, options);
  recordWsmanOrigin(pool, carrier, options);
  return pool;
}

/** What pool.handle() needs to know that the pool does not (handle.ts). */
function recordWsmanOrigin(pool: RunspacePool, carrier: WSManCarrier, options: SessionOptions): void {
  const cred = options.credential;
  const scheme = options.connection?.auth?.scheme ?? authFor(cred).scheme;
  const user = cred && 'username' in cred ? cred.username : undefined;
  recordOrigin(pool, {
    target: carrier.client.url,
    configurationName: options.configurationName ?? 'Microsoft.PowerShell',
    ...(scheme !== 'none' ? { authentication: scheme } : {}),
    ...(user ? { user } : {}),
    release: () => carrier.client.close(),
  });
}

/** Opens a PowerShell session (a RunspacePool) on a WinRM host or an OutOfProc server. */
export async function openSession(target: string, options: SessionOptions = {}): Promise<RunspacePool> {
  const oop = parseOutOfProcTarget(target);
  if (!oop) {
    const carrier = wsmanCarrier(target, options);
    const pool = await RunspacePool.open(carrier, options);
    recordWsmanOrigin(pool, carrier, options);
    return pool;
  }
  const connection =
    oop.kind === 'exec'
      ? spawnServer(oop.command, options.spawn)
      : oop.kind === 'unix'
        ? await connectSocket(oop.path, options.signal)
        : await connectSsh({
            ...(options.credential && 'password' in options.credential ? { password: options.credential.password } : {}),
            ...options.ssh,
            host: oop.host,
            ...(oop.port !== undefined ? { port: oop.port } : {}),
            username: oop.username ?? options.ssh?.username ?? (options.credential && 'username' in options.credential ? options.credential.username : userInfo().username),
            ...(options.signal ? { signal: options.signal } : {}),
          });
  const carrierOptions: OutOfProcCarrierOptions = {
    ...(options.closeTimeoutMs !== undefined ? { closeTimeoutMs: options.closeTimeoutMs } : {}),
    ...(options.maxLine !== undefined ? { maxLine: options.maxLine } : {}),
    ...(options.payloadBudget !== undefined ? { payloadBudget: options.payloadBudget } : {}),
  };
  return RunspacePool.open(new OutOfProcCarrier(connection, carrierOptions), options);
}

/** The WS-Management carrier openSession uses, for invokeOnHosts and other carrier-level callers. */
export function wsmanCarrier(target: string, options: SessionOptions = {}): WSManCarrier {
  if (parseOutOfProcTarget(target)) throw new UsageError(`${target.split(':')[0]}: targets are not WS-Management endpoints`);
  const auth = authFor(options.credential);
  const transport = new HttpTransport({
    endpoint: target,
    auth,
    ...(options.record ? { record: recordWithUser(options.record, options.credential) } : {}),
    ...options.connection,
    ...(options.useSsl !== undefined ? { secure: options.useSsl } : {}),
    ...(options.allowUnencrypted !== undefined ? { allowUnencrypted: options.allowUnencrypted } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const clientOptions: WSManClientOptions = {
    ...(options.operationTimeoutMs !== undefined ? { operationTimeoutMs: options.operationTimeoutMs } : {}),
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
    ...options.connection,
  };
  return new WSManCarrier(new WSManClient(transport, clientOptions), options);
}
