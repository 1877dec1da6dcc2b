// Connect-PSSession misuse, explained: when a Connect fails, say which of the
// usual mistakes it was (Get-PSSession's view of the server decides), instead of
// the server's generic fault.

import { SessionError } from '../../errors.js';
import { NS, POWERSHELL_RESOURCE_PREFIX, RESOURCE } from '../../wsman/namespaces.js';
import { WSManFaultError } from '../../wsman/fault.js';
import { parseShellElement, type ShellInfo } from '../../wsman/response.js';
import type { WSManClient } from '../../winrm/wsman-client.js';

async function findShell(client: WSManClient, shellId: string): Promise<ShellInfo | undefined> {
  try {
    for await (const el of client.enumerateAll(RESOURCE.shell, { optimize: true, maxElements: 32000 }, { maxElements: 32000 })) {
      if (el.ns !== NS.shell || el.local !== 'Shell') continue;
      const s = parseShellElement(el);
      if (s.shellId.toUpperCase() === shellId.toUpperCase()) return s;
    }
  } catch {
    // the diagnosis is best effort; the caller falls back to the plain message
  }
  return undefined;
}

/** ShellNotFound for a shell we had: the session expired or was removed. Other errors pass through. */
export function sessionGone(e: unknown, shellId: string, url: string): unknown {
  if (!(e instanceof WSManFaultError) || e.kind !== 'ShellNotFound') return e;
  return new SessionError('PSR_SESSION_NOT_FOUND', `the session ${shellId} on ${url} no longer exists: it expired (idle timeout) or was removed`, { shellId }, { cause: e });
}

/** A Connect to `shellId` under `resourceUri` failed with `e`: the error to show. */
export async function explainConnectFailure(e: unknown, client: WSManClient, shellId: string, resourceUri: string): Promise<unknown> {
  if (!(e instanceof WSManFaultError)) return e;
  const where = `${shellId} on ${client.url}`;
  if (e.kind === 'InUseCannotReconnect') {
    return new SessionError(
      'PSR_SESSION_IN_USE',
      `the session ${where} is connected to another client: disconnect it there first (Disconnect-PSSession), or wait until the server disconnects it`,
      { shellId },
      { cause: e },
    );
  }
  if (e.kind !== 'ShellNotFound') return e;
  const shell = await findShell(client, shellId);
  const wanted = resourceUri.slice(POWERSHELL_RESOURCE_PREFIX.length);
  if (!shell) return sessionGone(e, shellId, client.url);
  if (!shell.resourceUri?.startsWith(POWERSHELL_RESOURCE_PREFIX)) {
    return new SessionError('PSR_SESSION_NOT_FOUND', `${where} is not a PowerShell session (its resource is ${shell.resourceUri ?? 'unknown'}); only PowerShell sessions can be connected`, { shellId }, { cause: e });
  }
  const actual = shell.resourceUri.slice(POWERSHELL_RESOURCE_PREFIX.length);
  if (actual.toLowerCase() !== wanted.toLowerCase()) {
    return new SessionError(
      'PSR_SESSION_NOT_FOUND',
      `the session ${where} belongs to the configuration ${actual}, not ${wanted}: connect with configurationName '${actual}'`,
      { shellId },
      { cause: e },
    );
  }
  return new SessionError('PSR_SESSION_NOT_FOUND', `the session ${where} was not found (${e.message})`, { shellId }, { cause: e });
}
