// A TGT the client forwarded (RFC 4121 delegation, `psremote --delegate`) is
// written as an MIT FILE ccache `krb5cc_<client>` in the endpoint's
// delegation folder, mode 0600, so the shell's second hop (or a test's klist)
// can use it as Windows would give the logon session the forwarded TGT.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeCcache } from '../auth/kerberos/ccache.js';
import type { KerberosAcceptResult } from '../auth/kerberos/gss/acceptor.js';

export function delegatedCcachePath(dir: string, clientName: string): string {
  return join(dir, `krb5cc_${clientName.replace(/[^A-Za-z0-9@._-]/g, '_')}`);
}

export function storeDelegated(dir: string, r: KerberosAcceptResult): void {
  const d = r.delegated;
  if (!d) return;
  const i = d.info;
  const client = { nameType: i.pname?.nameType ?? 1, realm: i.prealm ?? r.client.realm, components: [...(i.pname?.components ?? r.client.components)] };
  const server = { nameType: i.sname?.nameType ?? 2, realm: i.srealm ?? d.ticket.realm, components: [...(i.sname?.components ?? d.ticket.sname.components)] };
  if (i.key.keytype !== 17 && i.key.keytype !== 18 && i.key.keytype !== 23) return;
  const bytes = serializeCcache({
    defaultPrincipal: client,
    config: [],
    credentials: [
      {
        client,
        server,
        key: { enctype: i.key.keytype, value: i.key.keyvalue },
        authTime: i.authTime ?? new Date(0),
        ...(i.startTime ? { startTime: i.startTime } : {}),
        endTime: i.endTime ?? r.ticketEndTime,
        ...(i.renewTill ? { renewTill: i.renewTill } : {}),
        isSkey: false,
        flags: i.flags ?? 0,
        addresses: [],
        authData: [],
        ticket: d.ticket.der,
        secondTicket: new Uint8Array(0),
      },
    ],
  });
  writeFileSync(delegatedCcachePath(dir, r.clientName), bytes, { mode: 0o600 });
}
