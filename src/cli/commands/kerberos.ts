// `psremote kinit user@REALM` and `psremote klist`: log in to Kerberos the
// way MIT's kinit does (a TGT in a FILE ccache, KRB5CCNAME or --ccache), so
// later commands with --auth kerberos|negotiate reuse it; and show what is
// in the cache psremote would use. The password comes from --password-env
// or a prompt, never from the command line.

import type { Command } from 'commander';
import { ticketFlagNames } from '../../auth/kerberos/messages/constants.js';
import { unparsePrincipal } from '../../auth/kerberos/principal.js';
import { UsageError } from '../../errors.js';
import { ccachePath } from '../../transport/kerberos/config.js';
import { kinit, listCcache } from '../../transport/kerberos/credentials.js';
import { promptPassword } from '../connection-flags.js';
import type { CliIO } from '../io.js';

interface KinitFlags {
  passwordEnv?: string;
  keytab?: string;
  ccache?: string;
  kdc?: string;
  krb5Config?: string;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('kinit')
    .description('get a Kerberos ticket-granting ticket and store it in a FILE ccache (KRB5CCNAME, or --ccache)')
    .argument('<principal>', 'user@REALM (the realm may be left out when krb5.conf has default_realm)')
    .option('--password-env <var>', 'environment variable holding the password (otherwise you are prompted)')
    .option('--keytab <path>', 'use the key in this keytab instead of a password')
    .option('--ccache <path>', 'where to write the ccache (default KRB5CCNAME or /tmp/krb5cc_<uid>)')
    .option('--kdc <host:port>', 'ask this KDC instead of the ones krb5.conf or DNS name')
    .option('--krb5-config <path>', 'Kerberos configuration (default KRB5_CONFIG or /etc/krb5.conf)')
    .action(async (principal: string, f: KinitFlags) => {
      const out = ccachePath(f.ccache);
      let password: string | undefined;
      if (f.keytab === undefined) {
        if (f.passwordEnv) {
          password = process.env[f.passwordEnv];
          if (password === undefined) throw new UsageError(`environment variable ${f.passwordEnv} (from --password-env) is not set`);
        } else password = await promptPassword(`password for ${principal}: `, io);
      }
      await kinit({
        principal,
        out,
        ...(password !== undefined && { password }),
        ...(f.keytab !== undefined && { keytab: f.keytab }),
        ...(f.kdc !== undefined && { kdc: f.kdc }),
        ...(f.krb5Config !== undefined && { krb5Config: f.krb5Config }),
      });
      io.stderr.write(`psremote: ticket for ${principal} stored in ${out}\n`);
    });

  program
    .command('klist')
    .description('list the Kerberos tickets in the ccache psremote would use, with their expiry')
    .option('--ccache <path>', 'the ccache to read (default KRB5CCNAME or /tmp/krb5cc_<uid>)')
    .option('--json', 'print JSON')
    .action((f: { ccache?: string; json?: boolean }) => {
      const { path, cache } = listCcache(f.ccache === undefined ? {} : { ccache: f.ccache });
      if (cache === undefined) {
        io.stderr.write(`psremote: no credentials cache at ${path}\n`);
        process.exitCode = 1;
        return;
      }
      const now = Date.now();
      const rows = cache.credentials.map((c) => ({
        server: unparsePrincipal(c.server),
        client: unparsePrincipal(c.client),
        start: (c.startTime ?? c.authTime).toISOString(),
        expires: c.endTime.toISOString(),
        renewUntil: c.renewTill?.toISOString(),
        expired: c.endTime.getTime() <= now,
        flags: ticketFlagNames(c.flags),
        enctype: c.key.enctype,
      }));
      if (f.json) {
        io.stdout.write(`${JSON.stringify({ ccache: path, defaultPrincipal: unparsePrincipal(cache.defaultPrincipal), tickets: rows })}\n`);
        return;
      }
      io.stdout.write(`Ticket cache: FILE:${path}\nDefault principal: ${unparsePrincipal(cache.defaultPrincipal)}\n\n`);
      for (const r of rows) {
        io.stdout.write(`${r.server}\n  valid ${r.start} to ${r.expires}${r.expired ? ' (EXPIRED)' : ''}${r.renewUntil ? `, renew until ${r.renewUntil}` : ''}\n  flags: ${r.flags.join(' ') || '-'}; enctype ${r.enctype}\n`);
      }
      if (rows.length === 0) io.stdout.write('(no tickets)\n');
    });
}
