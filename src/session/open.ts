// openSession: New-PSSession for Node. A target is a WinRM endpoint
// (`http(s)://host:port/wsman` or a bare host), or an OutOfProc server:
// `exec:<command line>` (stdio of a process), `unix:<path>` (a Unix socket) or
// `ssh://[user@]host[:port]` (the powershell subsystem over SSH).

import { UsageError } from '../errors.js';
import { userInfo } from 'node:os';
import { connectSocket, spawnServer, type SpawnOptions } from '../transport/outofproc/index.js';
import { connectSsh, type SshOptions } from '../transport/ssh/index.js';
import { parseOutOfProcTarget, resolveTarget, targetEndpoint, type ConnectOptions, type Target } from '../winrm/target.js';
import { WSManClient } from '../winrm/wsman-client.js';
import { OutOfProcCarrier, type OutOfProcCarrierOptions } from './carriers/outofproc-carrier.js';
import { WSManCarrier, type WSManCarrierOptions } from './carriers/wsman-carrier.js';
import { RunspacePool, type RunspacePoolOptions } from './runspace-pool.js';

export type { Credential } from '../winrm/target.js';

export interface SessionOptions extends RunspacePoolOptions, WSManCarrierOptions, OutOfProcCarrierOptions, ConnectOptions {
  /** exec: targets: environment and working directory of the server process. */
  readonly spawn?: SpawnOptions;
  /** ssh:// targets: keys, host-key checks, subsystem (user, host and port come from the target). */
  readonly ssh?: Omit<SshOptions, 'host' | 'port' | 'username' | 'signal'> & { readonly username?: string };
}

/** Connects to a disconnected PowerShell session (by ShellId) that another client created. */
export async function connectSession(target: Target, shellId: string, options: SessionOptions = {}): Promise<RunspacePool> {
  const endpoint = targetEndpoint(target);
  if (endpoint !== undefined && parseOutOfProcTarget(endpoint)) throw new UsageError('OutOfProc sessions cannot be disconnected, so there is nothing to connect to');
  return RunspacePool.connect(wsmanCarrier(target, options), shellId, options);
}

/** Opens a PowerShell session (a RunspacePool) on a WinRM host or an OutOfProc server. */
export async function openSession(target: Target, options: SessionOptions = {}): Promise<RunspacePool> {
  const endpoint = targetEndpoint(target);
  const oop = endpoint === undefined ? undefined : parseOutOfProcTarget(endpoint);
  if (!oop) return RunspacePool.open(wsmanCarrier(target, options), options);
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

/** The WS-Management carrier openSession uses (invokeCommand's default `connect`). */
export function wsmanCarrier(target: Target, options: SessionOptions = {}): WSManCarrier {
  if (target instanceof WSManClient) return new WSManCarrier(target, { ownsClient: false, ...options });
  return new WSManCarrier(resolveTarget(target, options).client, options);
}
