// checkHost(): what a host really offers over WinRM, asked over the protocol
// itself, with the evidence for each finding (docs/check.md). Every probe is
// read-only except the PowerShell ones, which open a session, look, and close
// it. Nothing is guessed: what the user may not read is reported as such.

import { PsRemoteError, UsageError } from '../../errors.js';
import { targetEndpoint, type Target } from '../../winrm/target.js';
import { basicAuth, noAuth, type HttpAuth } from '../../transport/http/auth.js';
import { AuthRejectedError } from '../../auth/errors.js';
import { ntlmAuth } from '../../transport/http/ntlm-auth.js';
import { kerberosAuth, spnFor, type SpnService } from '../../transport/http/kerberos-auth.js';
import { kdcTicketSource } from '../../transport/http/kerberos-tickets.js';
import type { KerberosCredentialOptions } from '../../transport/kerberos/credentials.js';
import { runProbes, type ProbeOptions } from './probes.js';
import { HttpTransport } from '../../transport/http/transport.js';
import { parseServiceConfig } from '../../wsman/config.js';
import { RESOURCE } from '../../wsman/namespaces.js';
import { WSManFaultError } from '../../wsman/fault.js';
import { WSManClient } from '../../winrm/wsman-client.js';
import { challengeProbe, certificateProbe, resolveHost, tcpProbe, type NetworkOptions } from './network.js';
import { itemsFor } from './items.js';
import { probePowerShell } from './powershell.js';
import { worst, type CheckReport, type ConfigurationFacts, type HostFacts, type SchemeState } from './report.js';

export interface CheckOptions {
  readonly credential?: { readonly username: string; readonly password: string };
  /**
   * Kerberos: which principal and where its credentials are (default: the
   * credential's user when it names a realm, `user@REALM`, and its password).
   */
  readonly kerberos?: Omit<KerberosCredentialOptions, 'signal' | 'now'> & { readonly spn?: string; readonly spnService?: SpnService };
  /** Opt-in probes that change server state or take time (see probes.ts). */
  readonly probes?: ProbeOptions;
  /** CA (PEM) the server certificate should chain to, and the name to check it against. */
  readonly tls?: { readonly ca?: string | Buffer; readonly servername?: string };
  /** Session configurations to open (default Microsoft.PowerShell). */
  readonly configurations?: readonly string[];
  /** Per-probe timeout (default 10 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
}

const SCHEME_NAMES = { basic: 'Basic', negotiate: 'Negotiate', kerberos: 'Kerberos', credssp: 'CredSSP', certificate: 'Certificate' } as const;

/** A URL from a host, host:port or URL, as the transport reads it. */
function targetUrl(target: string): URL {
  if (/^https?:\/\//i.test(target)) {
    const u = new URL(target);
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/wsman';
    return u;
  }
  const [host, port] = target.split(/:(?=\d+$)/);
  return new URL(`http://${host}:${port ?? 5985}/wsman`);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The Kerberos principal to try: the option, or a `user@REALM` credential with its password. */
function kerberosFor(o: CheckOptions): (KerberosCredentialOptions & { spn?: string; spnService?: SpnService }) | undefined {
  if (o.kerberos) return { ...(o.credential && o.kerberos.password === undefined && !o.kerberos.keytab && !o.kerberos.ccache ? { password: o.credential.password } : {}), ...o.kerberos };
  const u = o.credential?.username;
  return u && /^[^@\\]+@[^@]+$/.test(u) ? { principal: u, password: o.credential!.password } : undefined;
}

export async function checkHost(target: Target, options: CheckOptions = {}): Promise<CheckReport> {
  const now = options.now ?? (() => new Date());
  const endpoint = targetEndpoint(target);
  // The probes open their own connections, from the name up (DNS, TCP, TLS, HTTP).
  if (endpoint === undefined) throw new UsageError('checkHost probes a host from its name: give a host name, URL or ConnectionOptions, not a connected WSManClient');
  const url = targetUrl(endpoint);
  const https = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (https ? 443 : 80));
  const net: NetworkOptions = { timeoutMs: options.timeoutMs ?? 10_000, ca: options.tls?.ca, servername: options.tls?.servername, now };
  const tlsOption = { ...(options.tls?.ca ? { ca: options.tls.ca } : {}), ...(options.tls?.servername ? { servername: options.tls.servername } : {}) };
  const facts: {
    -readonly [K in keyof HostFacts]: HostFacts[K];
  } = {
    url: url.toString(),
    https,
    tcp: false,
    auth: { offered: [], schemes: { basic: 'off', negotiate: 'off', kerberos: 'off', credssp: 'off', certificate: 'off' }, unencrypted: https ? 'not applicable' : 'unknown', channelBinding: https ? 'unknown' : 'not applicable', usable: [] },
    limits: { readable: false, reason: 'not tried' },
    configurations: {},
  };
  const errors: Record<string, string> = {};
  try {
    facts.addresses = await resolveHost(host);
  } catch (e) {
    errors.dns = message(e);
  }
  if (!errors.dns) {
    try {
      await tcpProbe(host, port, net.timeoutMs);
      facts.tcp = true;
    } catch (e) {
      errors.tcp = message(e);
    }
  }
  if (facts.tcp && https) {
    try {
      facts.certificate = await certificateProbe(host, port, net);
    } catch (e) {
      errors.tls = message(e);
    }
  }
  if (facts.tcp && !errors.tls) {
    try {
      const c = await challengeProbe(url, net);
      facts.clockSkewSeconds = c.clockSkewSeconds;
      facts.auth = { ...facts.auth, offered: c.schemes };
      if (c.status !== 401) errors.challenge = `an unauthenticated request got HTTP ${c.status}, not 401`;
    } catch (e) {
      errors.challenge = message(e);
    }
  }

  // One client per way of authenticating; each is closed after use.
  const clients: WSManClient[] = [];
  const clientWith = (auth: HttpAuth, allowUnencrypted = true) => {
    const c = new WSManClient(new HttpTransport({ endpoint: url.toString(), auth, allowUnencrypted, proxy: false, tls: tlsOption, connectTimeoutMs: net.timeoutMs, readTimeoutMs: net.timeoutMs }), {});
    clients.push(c);
    return c;
  };
  const offered = (s: string) => facts.auth.offered.some((o) => o.toLowerCase() === s.toLowerCase());
  const schemes: Record<keyof typeof SCHEME_NAMES, SchemeState> = { ...facts.auth.schemes };
  for (const k of Object.keys(SCHEME_NAMES) as (keyof typeof SCHEME_NAMES)[]) if (offered(SCHEME_NAMES[k])) schemes[k] = 'offered';
  let authenticated: WSManClient | undefined;
  const usable: string[] = [];
  try {
    // The transport verifies the certificate as every client does: with one that
    // does not verify, nothing authenticated can be learned, and the report says why.
    const unverified = facts.certificate && (!facts.certificate.trusted || !facts.certificate.nameMatches);
    if (unverified) errors.authSkipped = 'the server certificate does not verify, so psremote (like every client) will not send credentials';
    if (facts.tcp && !errors.tls && !unverified) {
      const anonymous = clientWith(noAuth());
      try {
        const id = await anonymous.identify({ signal: options.signal });
        facts.identify = { productVendor: id.productVendor, productVersion: id.productVersion, protocolVersion: id.protocolVersion, anonymous: true };
      } catch {
        // Windows answers Identify only after authentication unless anonymous Identify is allowed.
      }
      const cred = options.credential;
      const attempt = async (name: 'basic' | 'negotiate', auth: HttpAuth): Promise<WSManClient | undefined> => {
        const c = clientWith(auth);
        try {
          const id = await c.identify({ signal: options.signal });
          facts.identify ??= { productVendor: id.productVendor, productVersion: id.productVersion, protocolVersion: id.protocolVersion, anonymous: false };
          schemes[name] = 'accepted';
          usable.push(SCHEME_NAMES[name]);
          return c;
        } catch (e) {
          if (e instanceof AuthRejectedError) schemes[name] = offered(SCHEME_NAMES[name]) ? 'refused' : 'off';
          else errors[`auth.${name}`] = message(e);
          return undefined;
        }
      };
      if (cred) {
        const ntlm = offered('Negotiate') || offered('NTLM') ? await attempt('negotiate', ntlmAuth({ username: cred.username, password: cred.password })) : undefined;
        const basic = offered('Basic') ? await attempt('basic', basicAuth(cred.username, cred.password)) : undefined;
        authenticated = ntlm ?? basic;
        if (!https) {
          // SOAP without message encryption: Basic carries it by nature; NTLM is asked not to seal.
          if (basic) facts.auth = { ...facts.auth, unencrypted: 'accepted' };
          else if (ntlm) {
            const plain = clientWith(ntlmAuth({ username: cred.username, password: cred.password, encryption: 'never' }));
            try {
              await plain.identify({ signal: options.signal });
              facts.auth = { ...facts.auth, unencrypted: 'accepted' };
            } catch {
              facts.auth = { ...facts.auth, unencrypted: 'refused' };
            }
          }
        } else if (ntlm) {
          const unbound = clientWith(ntlmAuth({ username: cred.username, password: cred.password, channelBinding: false }));
          try {
            await unbound.identify({ signal: options.signal });
            facts.auth = { ...facts.auth, channelBinding: 'not required' };
          } catch (e) {
            facts.auth = { ...facts.auth, channelBinding: e instanceof AuthRejectedError || e instanceof PsRemoteError ? 'required' : 'unknown' };
          }
        }
      }
      const k = kerberosFor(options);
      if (k && (offered('Kerberos') || offered('Negotiate'))) {
        let spn: string | undefined;
        try {
          spn = spnFor(host, { ...(k.spn ? { spn: k.spn } : {}), ...(k.spnService ? { spnService: k.spnService } : {}) });
        } catch (e) {
          facts.kerberos = { principal: k.principal, spn: null, ticket: false, error: message(e) };
        }
        if (spn) {
          const c = clientWith(kerberosAuth({ tickets: kdcTicketSource(k), scheme: offered('Kerberos') ? 'kerberos' : 'negotiate', spn }));
          try {
            await c.identify({ signal: options.signal });
            schemes.kerberos = 'accepted';
            usable.push('Kerberos');
            facts.kerberos = { principal: k.principal, spn, ticket: true };
            authenticated ??= c;
          } catch (e) {
            facts.kerberos = { principal: k.principal, spn, ticket: !(e instanceof PsRemoteError && e.code.startsWith('PSR_KRB_')), error: message(e) };
            if (e instanceof AuthRejectedError) schemes.kerberos = 'refused';
          }
        }
      }
    }
    facts.auth = { ...facts.auth, schemes, usable };

    if (authenticated) {
      try {
        const env = await authenticated.get(RESOURCE.config, [], { signal: options.signal });
        const config = parseServiceConfig(env);
        facts.limits = config ? { readable: true, config } : { readable: false, reason: 'the answer holds no configuration' };
      } catch (e) {
        facts.limits = { readable: false, reason: e instanceof WSManFaultError ? `${e.kind}: ${e.faultMessage ?? e.message}` : message(e) };
      }
    } else facts.limits = { readable: false, reason: unverified ? 'the certificate does not verify' : options.credential ? 'no scheme accepted the credentials' : 'no credentials given' };

    const configurations: Record<string, ConfigurationFacts> = {};
    if (options.credential && usable.length > 0) {
      for (const name of options.configurations ?? ['Microsoft.PowerShell']) {
        configurations[name] = await probePowerShell(url.toString(), name, { credential: options.credential, basic: !usable.includes('Negotiate'), tls: tlsOption, ...(options.signal ? { signal: options.signal } : {}) });
      }
    }
    facts.configurations = configurations;
    if (options.probes && authenticated) facts.probes = await runProbes(authenticated, options.probes, options.signal);
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
  const items = itemsFor(facts, errors, options);
  return { target: endpoint, checkedAt: now().toISOString(), items, facts, status: worst(items) };
}
