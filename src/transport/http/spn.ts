// The service principal name for a host, apart from the Kerberos exchange so that
// CredSSP (which names the SPN before it knows whether Kerberos is inside) does not
// load the Kerberos crypto for an NTLM-only run (test/cli/startup.test.ts).
import { isIP } from 'node:net';
import { UsageError } from '../../errors.js';

export type SpnService = 'WSMAN' | 'HTTP' | 'host';

/** The SPN for a host, or a UsageError for a bare IP. */
export function spnFor(host: string, o: { spn?: string; spnService?: SpnService } = {}): string {
  if (o.spn) return o.spn;
  const h = host.replace(/^\[|\]$/g, '');
  if (isIP(h)) {
    throw new UsageError(`Kerberos needs a host name, not the IP address ${h}: service tickets are issued for names (HTTP/<host>). Connect by name, or give --spn`);
  }
  return `${o.spnService ?? 'HTTP'}/${h.toLowerCase()}`;
}
