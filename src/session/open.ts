// openSession: New-PSSession for Node. A target is a WinRM endpoint
// (`http(s)://host:port/wsman` or a bare host); `exec:` and `ssh://` targets go
// through the OutOfProc carrier when it is available.

import { UsageError } from '../errors.js';
import { HttpTransport, type HttpTransportOptions } from '../transport/http/transport.js';
import { basicAuth, certificateAuth, noAuth, type HttpAuth } from '../transport/http/auth.js';
import { ntlmAuth, type NtlmAuthOptions } from '../transport/http/ntlm-auth.js';
import { WSManClient, type WSManClientOptions } from './wsman-client.js';
import type { ConnectionOptions } from './target.js';
import { WSManCarrier, type WSManCarrierOptions } from './wsman-carrier.js';
import { RunspacePool, type RunspacePoolOptions } from './runspace-pool.js';

export type Credential =
  | { readonly username: string; readonly password: string; readonly authentication?: 'basic' }
  | { readonly authentication: 'certificate' }
  /** NTLM in the Negotiate scheme (negotiate: the best mechanism psremote has, which is NTLM); password or NT hash. */
  | ({ readonly authentication: 'ntlm' | 'negotiate' } & Omit<NtlmAuthOptions, 'scheme'>);

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
    default:
      return basicAuth(cred.username, cred.password);
  }
}

export interface SessionOptions extends RunspacePoolOptions, WSManCarrierOptions {
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
}

/** Connects to a disconnected PowerShell session (by ShellId) that another client created. */
export async function connectSession(target: string, shellId: string, options: SessionOptions = {}): Promise<RunspacePool> {
  return RunspacePool.connect(wsmanCarrier(target, options), shellId, options);
}

/** Opens a PowerShell session (a RunspacePool) on a WinRM host. */
export async function openSession(target: string, options: SessionOptions = {}): Promise<RunspacePool> {
  return RunspacePool.open(wsmanCarrier(target, options), options);
}

/** The WS-Management carrier openSession uses, for invokeOnHosts and other carrier-level callers. */
export function wsmanCarrier(target: string, options: SessionOptions = {}): WSManCarrier {
  if (/^(exec:|ssh:\/\/)/i.test(target)) {
    throw new UsageError(`${target.split(':')[0]} targets need the OutOfProc transport, which is not available in this build`);
  }
  const auth = authFor(options.credential);
  const transport = new HttpTransport({
    endpoint: target,
    auth,
    ...options.connection,
    ...(options.useSsl !== undefined ? { secure: options.useSsl } : {}),
    ...(options.allowUnencrypted !== undefined ? { allowUnencrypted: options.allowUnencrypted } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  const clientOptions: WSManClientOptions = {
    ...(options.operationTimeoutMs !== undefined ? { operationTimeoutMs: options.operationTimeoutMs } : {}),
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
    ...options.connection,
  };
  return new WSManCarrier(new WSManClient(transport, clientOptions), options);
}
