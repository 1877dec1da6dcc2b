// What `psremote check` reports: items with a status, the evidence behind it
// and, for what is wrong, the fix; and the facts they were read from, which
// `--expect` files assert on (expect.ts).

import type { WSManServiceConfig } from '../../wsman/config.js';
import type { CertificateFacts } from './network.js';
import type { ProbeFacts } from './probes.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'info';

export interface CheckItem {
  /** Stable id, e.g. `tls.certificate.expiry` (what JUnit test cases are named by). */
  readonly id: string;
  readonly status: CheckStatus;
  readonly title: string;
  /** What was seen. */
  readonly evidence: string;
  /** What to change, for a warning or a failure. */
  readonly fix?: string;
}

/** on: offered in the 401 or accepted; accepted/refused: tried with the credentials given. */
export type SchemeState = 'accepted' | 'refused' | 'offered' | 'off';

export interface ConfigurationFacts {
  readonly opens: boolean;
  readonly error?: string;
  readonly psVersion?: string | null;
  readonly protocolVersion?: string | null;
  /** FullLanguage, ConstrainedLanguage, RestrictedLanguage or NoLanguage. */
  readonly languageMode?: string | null;
  /** Commands visible, without aliases and the remoting infrastructure every restricted endpoint has. */
  readonly commands?: readonly string[];
  /** Disconnect and reconnect worked (null: not tried). */
  readonly disconnect?: boolean | null;
}

export interface HostFacts {
  readonly url: string;
  readonly https: boolean;
  readonly addresses?: readonly string[];
  readonly tcp: boolean;
  readonly certificate?: CertificateFacts;
  readonly clockSkewSeconds?: number | null;
  readonly identify?: { readonly productVendor?: string | undefined; readonly productVersion?: string | undefined; readonly protocolVersion?: string | undefined; readonly anonymous: boolean };
  readonly auth: {
    /** Schemes in the WWW-Authenticate headers of an unauthenticated request. */
    readonly offered: readonly string[];
    readonly schemes: Readonly<Record<'basic' | 'negotiate' | 'kerberos' | 'credssp' | 'certificate', SchemeState>>;
    /** SOAP without message encryption over http: accepted, refused, or unknown (no credentials, or https). */
    readonly unencrypted: 'accepted' | 'refused' | 'unknown' | 'not applicable';
    /** NTLM over https without channel bindings refused: required. */
    readonly channelBinding: 'required' | 'not required' | 'unknown' | 'not applicable';
    /** The schemes psremote authenticated with, using the credentials given. */
    readonly usable: readonly string[];
  };
  /** Kerberos, when a principal was known: the SPN psremote would use and whether a ticket for it could be had and was accepted. */
  readonly kerberos?: { readonly principal: string; readonly spn: string | null; readonly ticket: boolean; readonly error?: string };
  /** The service configuration, when the user may read it. */
  readonly limits: { readonly readable: true; readonly config: WSManServiceConfig } | { readonly readable: false; readonly reason: string };
  readonly configurations: Readonly<Record<string, ConfigurationFacts>>;
  readonly probes?: ProbeFacts;
}

export interface CheckReport {
  readonly target: string;
  readonly checkedAt: string;
  readonly items: readonly CheckItem[];
  readonly facts: HostFacts;
  /** The worst status of the items. */
  readonly status: CheckStatus;
}

const ORDER: Readonly<Record<CheckStatus, number>> = { info: 0, pass: 1, warn: 2, fail: 3 };

export function worst(items: readonly CheckItem[]): CheckStatus {
  return items.reduce<CheckStatus>((w, i) => (ORDER[i.status] > ORDER[w] ? i.status : w), 'pass');
}

/** The report as text, one line per item and the fix under it. */
export function formatReport(r: CheckReport): string {
  const mark: Readonly<Record<CheckStatus, string>> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', info: 'INFO' };
  const lines = [`psremote check ${r.target} (${r.checkedAt})`];
  for (const i of r.items) {
    lines.push(`${mark[i.status]}  ${i.title}: ${i.evidence}`);
    if (i.fix && i.status !== 'pass' && i.status !== 'info') lines.push(`      fix: ${i.fix}`);
  }
  const count = (s: CheckStatus) => r.items.filter((i) => i.status === s).length;
  lines.push(`${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed`);
  return `${lines.join('\n')}\n`;
}
