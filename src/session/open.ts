// openSession: New-PSSession for Node. A target is a WinRM endpoint
// (`http(s)://host:port/wsman` or a bare host), or an OutOfProc server:
// `exec:<command line>` (stdio of a process), `unix:<path>` (a Unix socket) or
// `ssh://[user@]host[:port]` (the powershell subsystem over SSH).

import { UsageError } from '../errors.js';
import { userInfo } from 'node:os';
import { connectSocket, spawnServer, type SpawnOptions } from '../transport/outofproc/index.js';
import type { SshOptions } from '../transport/ssh/index.js';
import { authFor, parseOutOfProcTarget, resolveTarget, targetEndpoint, type ConnectOptions, type Target } from '../winrm/target.js';
import { WSManClient } from '../winrm/wsman-client.js';
import { OutOfProcCarrier, type OutOfProcCarrierOptions } from './carriers/outofproc-carrier.js';
import { WSManCarrier, type WSManCarrierOptions } from './carriers/wsman-carrier.js';
import { RunspacePool, type RunspacePoolOptions } from './runspace-pool.js';
import { parseSessionHandle, recordOrigin, type SessionHandle } from './handle.js';

export type { Credential } from '../winrm/target.js';

export interface SessionOptions extends RunspacePoolOptions, WSManCarrierOptions, OutOfProcCarrierOptions, ConnectOptions {
  /** exec: targets: environment and working directory of the server process. */
  readonly spawn?: SpawnOptions;
  /** ssh:// targets: keys, host-key checks, subsystem (user, host and port come from the target). */
  readonly ssh?: Omit<SshOptions, 'host' | 'port' | 'username' | 'signal'> & { readonly username?: string };
}

/**
 * Connects to a disconnected PowerShell session that another client created:
 * by its handle (pool.handle(), from any process; the credential comes from
 * `options`), or by target and ShellId.
 */
export async function connectSession(handle: SessionHandle, options?: SessionOptions): Promise<RunspacePool>;
export async function connectSession(target: Target, shellId: string, options?: SessionOptions): Promise<RunspacePool>;
export async function connectSession(first: Target | SessionHandle, second?: string | SessionOptions, third: SessionOptions = {}): Promise<RunspacePool> {
  if (typeof second !== 'string') {
    const h = parseSessionHandle(first);
    const options: SessionOptions = { runspacePoolId: h.runspacePoolId, configurationName: h.configurationName, ...(second ?? {}) };
    return connectSession(h.target, h.shellId, options);
  }
  const target = first as Target;
  const options = third;
  const endpoint = targetEndpoint(target);
  if (endpoint !== undefined && parseOutOfProcTarget(endpoint)) throw new UsageError('OutOfProc sessions cannot be disconnected, so there is nothing to connect to');
  const carrier = wsmanCarrier(target, options);
  const pool = await RunspacePool.connect(carrier, second, options);
  recordWsmanOrigin(pool, target, carrier, options);
  return pool;
}

/** What pool.handle() needs to know that the pool does not (handle.ts). */
function recordWsmanOrigin(pool: RunspacePool, target: Target, carrier: WSManCarrier, options: SessionOptions): void {
  const cred = options.credential;
  const own = typeof target === 'object' && !(target instanceof WSManClient) ? target.auth : undefined;
  const scheme = (options.auth ?? own ?? authFor(cred)).scheme;
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
export async function openSession(target: Target, options: SessionOptions = {}): Promise<RunspacePool> {
  const endpoint = targetEndpoint(target);
  const oop = endpoint === undefined ? undefined : parseOutOfProcTarget(endpoint);
  if (!oop) {
    const carrier = wsmanCarrier(target, options);
    const pool = await RunspacePool.open(carrier, options);
    recordWsmanOrigin(pool, target, carrier, options);
    return pool;
  }
  // ssh2 is imported only for an ssh:// target: loading it was most of the start-up of every other one.
  const connection =
    oop.kind === 'exec'
      ? spawnServer(oop.command, options.spawn)
      : oop.kind === 'unix'
        ? await connectSocket(oop.path, options.signal)
        : await (await import('../transport/ssh/index.js')).connectSsh({
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

/** The WS-Management carrier openSession uses (invokeCommand's default `connect`). */
export function wsmanCarrier(target: Target, options: SessionOptions = {}): WSManCarrier {
  if (target instanceof WSManClient) return new WSManCarrier(target, { ownsClient: false, ...options });
  return new WSManCarrier(resolveTarget(target, options).client, options);
}
