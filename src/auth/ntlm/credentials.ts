// NTLM credentials: a user name in any of the forms Windows accepts, and a
// password or the NT hash in its place (pass-the-hash). The password is turned
// into the NT hash at once and kept nowhere else; neither appears in messages.

import { UsageError } from '../../errors.js';
import { ntowfv1 } from './crypto.js';

export interface NtlmCredentials {
  /** `user`, `DOMAIN\user` or `user@domain.example` (UPN). */
  readonly username: string;
  readonly password?: string | undefined;
  /** The NT hash (16 bytes, or 32 hex characters) instead of the password. */
  readonly ntHash?: Uint8Array | string | undefined;
  /** Domain for a bare user name (ignored when the name carries one). */
  readonly domain?: string | undefined;
}

export interface ResolvedCredentials {
  /** UserName as sent in AUTHENTICATE (a UPN is sent whole, with an empty domain). */
  readonly user: string;
  readonly domain: string;
  readonly ntHash: Uint8Array;
}

export function parseNtHash(h: Uint8Array | string): Uint8Array {
  if (typeof h !== 'string') {
    if (h.byteLength !== 16) throw new UsageError(`an NT hash is 16 bytes, not ${h.byteLength}`);
    return new Uint8Array(h);
  }
  // Accept the LM:NT form secretsdump prints; only the NT half matters.
  const hex = h.includes(':') ? h.slice(h.lastIndexOf(':') + 1) : h;
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new UsageError('an NT hash is 32 hexadecimal characters');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Splits the user name the way Windows SSPI does: `DOMAIN\user` gives the
 * domain; `user@realm` is a UPN, sent as the user name with an empty domain.
 */
export function resolveCredentials(c: NtlmCredentials): ResolvedCredentials {
  if (!c.username) throw new UsageError('NTLM needs a user name');
  if (c.password === undefined && c.ntHash === undefined) throw new UsageError('NTLM needs a password or an NT hash');
  if (c.password !== undefined && c.ntHash !== undefined) throw new UsageError('give a password or an NT hash, not both');
  let user = c.username;
  let domain = c.domain ?? '';
  const slash = user.indexOf('\\');
  if (slash >= 0) {
    domain = user.slice(0, slash);
    user = user.slice(slash + 1);
  } else if (user.includes('@')) {
    domain = '';
  }
  if (!user) throw new UsageError(`no user name in ${JSON.stringify(c.username)}`);
  return { user, domain, ntHash: c.ntHash !== undefined ? parseNtHash(c.ntHash) : ntowfv1(c.password!) };
}
