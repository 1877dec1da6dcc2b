// What a Receive may retry after: the errors of a dropped or refused connection
// (and a proxy's 502/503/504), as opposed to an answer the server gave. Shared
// by the PowerShell carrier and the WinRS command loop, which both number their
// Receives (SequenceId) so that the one sent again is answered again.

import { PsRemoteError } from '../errors.js';

/** Errors a dropped or refused connection produces, after which a Receive may be tried again. */
export function isNetworkError(e: unknown): boolean {
  if (!(e instanceof PsRemoteError)) return false;
  if (e.code === 'PSR_TRANSPORT' || e.code === 'PSR_TIMEOUT') return true;
  const status = (e as { status?: number }).status;
  return e.code === 'PSR_TRANSPORT_HTTP_STATUS' && (status === 502 || status === 503 || status === 504);
}

/** Waits `ms`, or less if `signal` aborts (never rejects: the caller looks at the signal). */
export function retryPause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
