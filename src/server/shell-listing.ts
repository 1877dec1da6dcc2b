// What the endpoint lists and describes: shells (or one shell's commands) for
// Enumerate, as Get-PSSession -ComputerName asks, and Get of one shell or of the
// service configuration.

import { attribute, childElement, childElements, escapeXmlText, textContent } from '../util/xml.js';
import { NS, RESOURCE } from '../wsman/namespaces.js';
import type { ParsedEnvelope } from '../wsman/reader.js';
import type { RequestInfo } from './recording.js';
import { FAULTS, configBody, shellXml, type ServiceConfigSettings } from './responses.js';
import { Fault, type Shell, type ShellTable } from './shell-table.js';

// Get-PSSession -ComputerName: shells, or one shell's commands with a ShellId selector filter.
// `visible` says which shells the user may see (their own; an administrator's, all).
/** The items of the enumeration, each one XML element. */
export function enumerateShells(table: ShellTable, env: ParsedEnvelope, info: RequestInfo, visible: (s: Shell) => boolean): string[] {
  const items: string[] = [];
  if (info.resourceUri === RESOURCE.shell) {
    for (const s of [...table.all()].filter(visible)) items.push(shellXml(table.describe(s, true), s.kind));
  } else if (info.resourceUri === RESOURCE.shellCommand) {
    const en = childElement(env.body, NS.enumeration, 'Enumerate');
    const filter = en && childElement(en, NS.wsman, 'Filter');
    const set = filter && childElement(filter, NS.wsman, 'SelectorSet');
    const sel = set && childElements(set, NS.wsman, 'Selector').find((x) => attribute(x, 'Name') === 'ShellId');
    const found = sel ? table.find(textContent(sel).trim()) : undefined;
    const shell = found && visible(found) ? found : undefined;
    for (const c of shell ? shell.commands.values() : []) {
      items.push(`<rsp:Command xmlns:rsp="${NS.shell}"><rsp:CommandId>${escapeXmlText(c.id)}</rsp:CommandId></rsp:Command>`);
    }
  } else throw new Fault(FAULTS.actionNotSupported);
  return items;
}

// WS-Transfer Get: the service configuration, or one shell (pypsrp's is_alive).
export function getResource(table: ShellTable, info: RequestInfo, serviceConfig: () => ServiceConfigSettings): string {
  if (info.resourceUri === 'http://schemas.microsoft.com/wbem/wsman/1/config') return configBody(serviceConfig());
  if (info.shellId) {
    const s = table.shellOf(info);
    return shellXml(table.describe(s, true), s.kind);
  }
  throw new Fault(FAULTS.actionNotSupported);
}
