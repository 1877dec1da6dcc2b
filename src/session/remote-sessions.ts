// Get-PSSession -ComputerName: the PowerShell sessions a server holds for us,
// found the way PowerShell finds them (peers note C6): Enumerate the shells
// resource, keep those whose ResourceUri is a PowerShell configuration, then
// Enumerate each shell's commands with a ShellId selector filter.

import { attribute, childElement, textContent, type XmlElement } from '../util/xml.js';
import { NS, POWERSHELL_RESOURCE_PREFIX, RESOURCE } from '../wsman/namespaces.js';
import { parseShellElement, type ShellInfo } from '../wsman/response.js';
import { resolveTarget, type ConnectOptions, type Target } from '../winrm/target.js';
import type { CallOptions } from '../winrm/wsman-client.js';

export interface RemoteCommandInfo {
  readonly commandId: string;
  readonly commandLine: string | undefined;
}

export interface RemoteSessionInfo extends ShellInfo {
  /** The session configuration (`Microsoft.PowerShell`, a JEA endpoint…). */
  readonly configurationName: string;
  /** Time left before a disconnected shell expires, when the server says enough to know. */
  readonly expiresInMs: number | undefined;
  readonly commands: readonly RemoteCommandInfo[];
}

function commandOf(el: XmlElement): RemoteCommandInfo | undefined {
  const id = childElement(el, NS.shell, 'CommandId');
  const commandId = id ? textContent(id).trim() : attribute(el, 'CommandId');
  if (!commandId) return undefined;
  const cl = childElement(el, NS.shell, 'CommandLine');
  return { commandId, commandLine: cl ? textContent(cl).trim() : undefined };
}

export interface GetRemoteSessionsOptions extends CallOptions, ConnectOptions {
  /** Enumerate each shell's commands too (default true). */
  readonly includeCommands?: boolean;
}

/** Lists the PowerShell sessions (shells) on a host, with their running commands. */
export async function getRemoteSessions(target: Target, options: GetRemoteSessionsOptions = {}): Promise<RemoteSessionInfo[]> {
  const { client, owned } = resolveTarget(target, options);
  try {
    const shells: ShellInfo[] = [];
    for await (const el of client.enumerateAll(RESOURCE.shell, { optimize: true, maxElements: 32000 }, { ...options, maxElements: 32000 })) {
      if (el.ns === NS.shell && el.local === 'Shell') shells.push(parseShellElement(el));
    }
    const out: RemoteSessionInfo[] = [];
    for (const s of shells) {
      if (!s.resourceUri?.startsWith(POWERSHELL_RESOURCE_PREFIX)) continue;
      const commands: RemoteCommandInfo[] = [];
      if (options.includeCommands ?? true) {
        for await (const el of client.enumerateAll(
          RESOURCE.shellCommand,
          { optimize: true, maxElements: 32000, selectorFilter: [{ name: 'ShellId', value: s.shellId }] },
          { ...options, maxElements: 32000 },
        )) {
          const c = commandOf(el);
          if (c) commands.push(c);
        }
      }
      const disconnected = s.state === 'Disconnected';
      out.push({
        ...s,
        configurationName: s.resourceUri.slice(POWERSHELL_RESOURCE_PREFIX.length),
        expiresInMs: disconnected && s.idleTimeoutMs !== undefined && s.shellInactivityMs !== undefined ? Math.max(0, s.idleTimeoutMs - s.shellInactivityMs) : undefined,
        commands,
      });
    }
    return out;
  } finally {
    if (owned) await client.close();
  }
}
