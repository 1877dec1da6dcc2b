// The WS-Management service configuration as a WS-Transfer Get of
// `…/wsman/1/config` returns it (what `winrm get winrm/config` prints). Windows
// answers it only to administrators; the shape is that of the recorded answers
// (fixtures/upstream pypsrp test_wsman_update_envelope_size_*.yml): top-level
// limits, then Client, Service (with Auth and AllowUnencrypted) and Winrs.

import { childElement, textContent, type XmlElement } from '../util/xml.js';
import { NS } from './namespaces.js';
import type { ParsedEnvelope } from './response.js';

export interface ServiceAuthConfig {
  readonly basic?: boolean;
  readonly kerberos?: boolean;
  readonly negotiate?: boolean;
  readonly certificate?: boolean;
  readonly credSSP?: boolean;
  /** None, Relaxed or Strict. */
  readonly cbtHardeningLevel?: string;
}

export interface WSManServiceConfig {
  readonly maxEnvelopeSizeKb?: number;
  readonly maxTimeoutMs?: number;
  readonly maxBatchItems?: number;
  readonly service: {
    readonly allowUnencrypted?: boolean;
    readonly maxConcurrentOperationsPerUser?: number;
    readonly maxConnections?: number;
    readonly auth: ServiceAuthConfig;
  };
  readonly winrs: {
    readonly idleTimeoutMs?: number;
    readonly maxShellsPerUser?: number;
    readonly maxMemoryPerShellMB?: number;
    readonly maxProcessesPerShell?: number;
    readonly maxConcurrentUsers?: number;
    readonly allowRemoteShellAccess?: boolean;
  };
}

function text(el: XmlElement | undefined, local: string): string | undefined {
  const c = el && childElement(el, NS.config, local);
  return c ? textContent(c).trim() : undefined;
}

function num(el: XmlElement | undefined, local: string): number | undefined {
  const t = text(el, local);
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}

function bool(el: XmlElement | undefined, local: string): boolean | undefined {
  const t = text(el, local)?.toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The configuration in a GetResponse, or undefined when the body holds none. */
export function parseServiceConfig(env: ParsedEnvelope): WSManServiceConfig | undefined {
  const cfg = childElement(env.body, NS.config, 'Config');
  if (!cfg) return undefined;
  const service = childElement(cfg, NS.config, 'Service');
  const auth = service && childElement(service, NS.config, 'Auth');
  const winrs = childElement(cfg, NS.config, 'Winrs');
  return defined({
    maxEnvelopeSizeKb: num(cfg, 'MaxEnvelopeSizekb'),
    maxTimeoutMs: num(cfg, 'MaxTimeoutms'),
    maxBatchItems: num(cfg, 'MaxBatchItems'),
    service: defined({
      allowUnencrypted: bool(service, 'AllowUnencrypted'),
      maxConcurrentOperationsPerUser: num(service, 'MaxConcurrentOperationsPerUser'),
      maxConnections: num(service, 'MaxConnections'),
      auth: defined({
        basic: bool(auth, 'Basic'),
        kerberos: bool(auth, 'Kerberos'),
        negotiate: bool(auth, 'Negotiate'),
        certificate: bool(auth, 'Certificate'),
        credSSP: bool(auth, 'CredSSP'),
        cbtHardeningLevel: text(auth, 'CbtHardeningLevel'),
      }),
    }),
    winrs: defined({
      idleTimeoutMs: num(winrs, 'IdleTimeout'),
      maxShellsPerUser: num(winrs, 'MaxShellsPerUser'),
      maxMemoryPerShellMB: num(winrs, 'MaxMemoryPerShellMB'),
      maxProcessesPerShell: num(winrs, 'MaxProcessesPerShell'),
      maxConcurrentUsers: num(winrs, 'MaxConcurrentUsers'),
      allowRemoteShellAccess: bool(winrs, 'AllowRemoteShellAccess'),
    }),
  });
}
