// Where the Kerberos HTTP client gets its service ticket (and, with
// --delegate, the TGT to forward): a `KerberosTicketSource`. The one here
// reads MIT's FILE ccache (--ccache, KRB5CCNAME, MIT's default
// /tmp/krb5cc_<uid>) for an unexpired ticket for the SPN, as `kvno` or an
// earlier run left it, and the TGT in it; `kdcTicketSource` asks the KDC
// (transport/kerberos/credentials.ts: password, keytab, or the ccache's TGT).

import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { AuthRejectedError } from '../../auth/errors.js';
import { parseCcache, type CcacheCredential } from '../../auth/kerberos/ccache.js';
import type { ForwardableTgt, InitiatorTicket } from '../../auth/kerberos/gss/initiator.js';
import { acquireForwardedTgt, acquireServiceTicket, type KerberosCredentialOptions } from '../kerberos/credentials.js';

export interface KerberosTicketSource {
  /** What the source is, for --debug (never a secret). */
  readonly describe: string;
  serviceTicket(spn: string, options: { signal?: AbortSignal; now: Date }): Promise<InitiatorTicket>;
  forwardedTgt?(options: { signal?: AbortSignal; now: Date }): Promise<ForwardableTgt>;
}

/** The ccache psremote would use: the option, KRB5CCNAME (FILE: only), or MIT's default. */
export function defaultCcachePath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = explicit ?? env.KRB5CCNAME ?? `FILE:/tmp/krb5cc_${process.getuid?.() ?? 0}`;
  const m = /^([A-Z]+):(.*)$/.exec(name);
  if (m && m[1] !== 'FILE') throw new UsageError(`credential cache ${name}: only FILE: caches are supported (not ${m[1]}:)`);
  return m ? m[2]! : name;
}

function toTicket(c: CcacheCredential): InitiatorTicket & { server: ForwardableTgt['server'] } {
  return {
    ticket: c.ticket,
    sessionKey: c.key,
    client: { realm: c.client.realm, components: c.client.components, nameType: c.client.nameType },
    server: { realm: c.server.realm, components: c.server.components, nameType: c.server.nameType },
  };
}

/** Tickets from a FILE ccache. `spn` is `service/host` (realm-less) or `service/host@REALM`. */
export function ccacheTicketSource(path: string): KerberosTicketSource {
  const load = () => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch (e) {
      throw new UsageError(`cannot read the Kerberos credential cache ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (run kinit, or give --password-env or --keytab)`);
    }
    return parseCcache(bytes, path);
  };
  return {
    describe: `ccache ${path}`,
    async serviceTicket(spn, { now }) {
      const cc = load();
      const [name, realm] = spn.split('@') as [string, string | undefined];
      const matching = cc.credentials.filter((c) => c.server.components.join('/').toLowerCase() === name.toLowerCase() && (realm === undefined || c.server.realm === realm));
      const valid = matching.filter((c) => c.endTime.getTime() > now.getTime());
      if (valid.length === 0) {
        const why = matching.length ? `the ticket for ${spn} in it expired at ${matching[0]!.endTime.toISOString()}` : `it holds no ticket for ${spn}`;
        throw new AuthRejectedError(`Kerberos: ${why} (credential cache ${path}); without a KDC source psremote cannot get one, so run \`kvno ${name}\` first`);
      }
      return toTicket(valid.sort((a, b) => b.endTime.getTime() - a.endTime.getTime())[0]!);
    },
    async forwardedTgt({ now }) {
      const cc = load();
      const tgt = cc.credentials.find((c) => c.server.components[0] === 'krbtgt' && c.server.components[1] === c.client.realm && c.endTime.getTime() > now.getTime());
      if (!tgt) throw new UsageError(`--delegate: the credential cache ${path} has no valid TGT to forward`);
      return {
        ...toTicket(tgt),
        flags: tgt.flags,
        authTime: tgt.authTime,
        ...(tgt.startTime ? { startTime: tgt.startTime } : {}),
        endTime: tgt.endTime,
        ...(tgt.renewTill ? { renewTill: tgt.renewTill } : {}),
      };
    },
  };
}

/**
 * Tickets from the KDC (transport/kerberos/credentials.ts): a TGS-REQ for
 * the SPN with a TGT got from the password, the keytab, or the ccache's TGT.
 */
export function kdcTicketSource(opts: KerberosCredentialOptions): KerberosTicketSource {
  const from = opts.password !== undefined ? 'a password' : opts.keytab ? `keytab ${opts.keytab}` : 'the ccache TGT';
  const o = (signal: AbortSignal | undefined, now: Date): KerberosCredentialOptions => ({ ...opts, ...(signal ? { signal } : {}), now: () => now });
  return {
    describe: `the KDC (TGS-REQ for ${opts.principal} with ${from})`,
    serviceTicket: async (spn, { signal, now }) => acquireServiceTicket(spn, o(signal, now)),
    forwardedTgt: async ({ signal, now }) => {
      const t = await acquireForwardedTgt(o(signal, now));
      return { ...t, server: t.server };
    },
  };
}
