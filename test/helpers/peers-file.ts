// Where the vitest globalSetup writes what it found out about the external peers
// (no vitest import here: the globalSetup process loads this too).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.test-results', 'peers.json');

type Unavailable = { readonly available: false; readonly reason: string };

export interface PeersStatus {
  readonly realEngine: { readonly available: true; readonly host: string; readonly dll: string } | Unavailable;
  /** OpenSSH's sshd, for PowerShell over SSH on loopback. */
  readonly sshd: { readonly available: true; readonly path: string } | Unavailable;
  /** MIT Kerberos (krb5kdc, kadmin.local, kinit) for a throw-away realm (test/helpers/kdc.ts). */
  readonly mitKerberos?: { readonly available: true } | Unavailable;
  /** Debian's python3-gssapi over MIT's libgssapi, the independent GSS-API peer. */
  readonly pythonGssapi?: { readonly available: true; readonly python: string } | Unavailable;
}
