// The CLI's exit codes (docs/cli.md): 0 success, 1 remote error or failed
// pipeline, 2 usage error, 3 connection or authentication failure, 4 timeout;
// `exec` exits with the remote command's own code. One table, so every command
// maps an error the same way.

import type { ErrorCode } from '../errors.js';

export const EXIT = { ok: 0, remote: 1, usage: 2, connection: 3, timeout: 4 } as const;

const CONNECTION: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'PSR_AUTH_REJECTED', 'PSR_AUTH_INVALID', 'PSR_AUTH_INTEGRITY', 'PSR_AUTH_CHANNEL_BINDING', 'PSR_AUTH_NEGOTIATION',
  'PSR_TRANSPORT', 'PSR_TRANSPORT_TLS', 'PSR_TRANSPORT_HTTP_STATUS', 'PSR_PEER_EXITED', 'PSR_SSH_HOST_KEY',
  'PSR_OUTOFPROC_TRANSPORT', 'PSR_SSH_AUTH_REJECTED',
]);

export function exitCodeFor(code: ErrorCode): number {
  // A session store that cannot be read is the user's file to fix, as a bad flag is.
  if (code === 'PSR_USAGE' || code === 'PSR_SESSION_STORE') return EXIT.usage;
  if (code === 'PSR_TIMEOUT' || code === 'PSR_SSH_TIMEOUT') return EXIT.timeout;
  if (CONNECTION.has(code)) return EXIT.connection;
  return EXIT.remote;
}
