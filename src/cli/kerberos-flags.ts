// The Kerberos half of the connection flags: which ticket source the flags
// name (a password with -u user@REALM, --keytab, the ccache's TGT), the SPN
// options, --delegate, and whether `--auth negotiate` can use Kerberos at all
// (a ticket cache, a keytab or a realm in -u), which is when Windows' client
// would try it before NTLM.

import { existsSync } from 'node:fs';
import { FILE_LIMITS, readBoundedFile } from './bounded-file.js';
import { UsageError } from '../errors.js';
import type { HttpAuth } from '../transport/http/auth.js';
import { kerberosAuth, type SpnService } from '../transport/http/kerberos-auth.js';
import { defaultCcachePath, kdcTicketSource, type KerberosTicketSource } from '../transport/http/kerberos-tickets.js';
import { parseCcache } from '../auth/kerberos/ccache.js';
import { configuredRealms, defaultRealm } from '../auth/kerberos/krb5-conf.js';
import { loadKrb5Conf } from '../transport/kerberos/config.js';
import type { CliIO } from './io.js';
import type { ConnectionFlags } from './flag-types.js';
import { promptPassword } from './password-prompt.js';

function ccacheFile(f: ConnectionFlags): string | undefined {
  try {
    const p = defaultCcachePath(f.ccache);
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** The realm of -u user@REALM when krb5.conf (or --kdc) knows how to reach it. */
function knownRealm(f: ConnectionFlags): string | undefined {
  const realm = f.user?.includes('@') ? f.user.slice(f.user.lastIndexOf('@') + 1) : undefined;
  if (!realm) return undefined;
  if (f.kdc) return realm;
  try {
    const conf = loadKrb5Conf(f.krb5Config);
    return configuredRealms(conf).includes(realm) || defaultRealm(conf) === realm ? realm : undefined;
  } catch {
    return undefined;
  }
}

export function kerberosReason(f: ConnectionFlags): string {
  if (f.keytab) return `keytab ${f.keytab}`;
  const realm = knownRealm(f);
  if (realm) return `realm ${realm} is configured`;
  return `credential cache ${ccacheFile(f)}`;
}

/**
 * Whether Kerberos can be tried, as Windows' Negotiate would: a keytab, a
 * -u user@REALM whose realm krb5.conf (or --kdc) names, or a ticket cache.
 */
export function kerberosPossible(f: ConnectionFlags): boolean {
  if (f.keytab || knownRealm(f)) return true;
  if (f.ntHashEnv) return false;
  const cc = ccacheFile(f);
  if (!cc) return false;
  if (!f.user) return true;
  // A cache of someone else (a stale /tmp/krb5cc_<uid>) does not make -u alice a Kerberos login.
  const owner = principalOfCcache(cc);
  const bare = (n: string) => n.split('@')[0]!.split('\\').pop()!.toLowerCase();
  return owner !== undefined && bare(owner) === bare(f.user);
}

/**
 * The ticket source the flags name: -u user@REALM with a password, --keytab,
 * or the ccache's TGT. `password`: one already read (CredSSP reads it to
 * delegate), so it is not asked twice.
 */
export async function kerberosTicketSource(f: ConnectionFlags, io: CliIO, scheme: string, password?: string): Promise<KerberosTicketSource> {
  let principal = f.user;
  const cc = ccacheFile(f);
  if (!principal && cc) principal = principalOfCcache(cc);
  if (!principal) throw new UsageError(`--auth ${scheme} needs -u user@REALM, --keytab with -u, or a ticket cache from kinit`);
  if (!principal.includes('@') && !cc) throw new UsageError(`Kerberos needs the realm: -u ${principal}@REALM`);
  if (password === undefined && !f.keytab && !(cc && !f.passwordEnv && principalOfCcache(cc) === principal)) {
    password = f.passwordEnv ? process.env[f.passwordEnv] : await promptPassword(`password for ${principal}: `, io);
    if (password === undefined) throw new UsageError(`environment variable ${f.passwordEnv} (from --password-env) is not set`);
  }
  // With a keytab, or the ccache's own principal, the password (if any) is for CredSSP's delegation only.
  const usePassword = password !== undefined && !f.keytab && !(cc && !f.passwordEnv && principalOfCcache(cc) === principal);
  return kdcTicketSource({
    principal,
    ...(usePassword ? { password } : {}),
    ...(f.keytab ? { keytab: f.keytab } : {}),
    ...(f.ccache ? { ccache: f.ccache } : {}),
    ...(f.kdc ? { kdc: f.kdc } : {}),
    ...(f.krb5Config ? { krb5Config: f.krb5Config } : {}),
  });
}

export async function kerberosFlags(f: ConnectionFlags, io: CliIO, scheme: 'kerberos' | 'negotiate'): Promise<HttpAuth> {
  if (f.spnService && !['WSMAN', 'HTTP', 'host'].includes(f.spnService)) throw new UsageError(`invalid --spn-service ${f.spnService}: WSMAN, HTTP or host`);
  const tickets = await kerberosTicketSource(f, io, scheme);
  const encryption = f.messageEncryption ?? 'auto';
  if (encryption !== 'auto' && encryption !== 'always' && encryption !== 'never') throw new UsageError(`invalid --message-encryption ${encryption}: use auto, always or never`);
  return kerberosAuth({
    tickets,
    scheme,
    encryption,
    ...(f.spn ? { spn: f.spn } : {}),
    ...(f.spnService ? { spnService: f.spnService as SpnService } : {}),
    ...(f.delegate ? { delegate: true } : {}),
    ...(f.debug ? { debug: (m: string) => io.stderr.write(`debug: ${m}\n`) } : {}),
  });
}

function principalOfCcache(path: string): string | undefined {
  try {
    const c = parseCcache(new Uint8Array(readBoundedFile(path, 'ccache', FILE_LIMITS.key)), path);
    return `${c.defaultPrincipal.components.join('/')}@${c.defaultPrincipal.realm}`;
  } catch {
    return undefined;
  }
}
