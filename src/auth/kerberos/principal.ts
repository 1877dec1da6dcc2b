// Principal names as people type them (MIT's krb5_parse_name):
// `comp/comp@REALM`, with `\` escaping `/`, `@` and `\`. An empty realm takes
// the default realm; realms are case-sensitive (RFC 4120 6.1), so
// `alice@example.com` is not `alice@EXAMPLE.COM`.

import { UsageError } from '../../errors.js';
import { NT_PRINCIPAL, NT_SRV_HST, NT_SRV_INST } from './messages/constants.js';
import type { PrincipalName } from './messages/common.js';

export interface Principal {
  readonly realm: string;
  readonly components: string[];
}

export function parsePrincipal(text: string, defaultRealm?: string): Principal {
  const components: string[] = [];
  let cur = '';
  let realm: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      cur += text[++i];
      continue;
    }
    if (realm !== undefined) {
      if (ch === '@') throw new UsageError(`principal ${JSON.stringify(text)} has more than one '@'`);
      realm += ch;
    } else if (ch === '/') {
      components.push(cur);
      cur = '';
    } else if (ch === '@') {
      components.push(cur);
      cur = '';
      realm = '';
    } else cur += ch;
  }
  if (realm === undefined) components.push(cur);
  if (components.some((c) => c === '')) throw new UsageError(`principal ${JSON.stringify(text)} has an empty name component`);
  const r = realm === undefined || realm === '' ? defaultRealm : realm;
  if (r === undefined) throw new UsageError(`principal ${JSON.stringify(text)} names no realm and no default_realm is configured: write it as name@REALM`);
  return { realm: r, components };
}

export function unparsePrincipal(p: Principal): string {
  const esc = (s: string): string => s.replace(/[\\/@]/g, (m) => `\\${m}`);
  return `${p.components.map(esc).join('/')}@${esc(p.realm)}`;
}

/** RFC 4120 4: the default salt is the realm followed by the name components, nothing between. */
export function defaultSalt(p: Principal): string {
  return p.realm + p.components.join('');
}

/** The wire PrincipalName: NT-SRV-HST for service/host names, NT-SRV-INST for krbtgt, NT-PRINCIPAL otherwise. */
export function toPrincipalName(p: Principal): PrincipalName {
  const nameType = p.components[0] === 'krbtgt' && p.components.length === 2 ? NT_SRV_INST : p.components.length === 2 ? NT_SRV_HST : NT_PRINCIPAL;
  return { nameType, components: [...p.components] };
}

export const samePrincipal = (a: Principal, b: Principal): boolean => a.realm === b.realm && a.components.join('/') === b.components.join('/');

export const tgsPrincipal = (realm: string, issuingRealm = realm): Principal => ({ realm: issuingRealm, components: ['krbtgt', realm] });
