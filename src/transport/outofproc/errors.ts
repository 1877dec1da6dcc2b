// Typed errors of the OutOfProc carrier. A server process that dies, a socket
// that closes, or a transport error the server reports in-band all end the
// session; the error carries what the server said on its way out.

import { PsRemoteError, type ErrorCode } from '../../errors.js';

/**
 * Codes of their own, so each code has one class: the HTTP transport's
 * PSR_TRANSPORT, PSR_AUTH_REJECTED and PSR_TIMEOUT carry other fields.
 */
export type OutOfProcErrorCode = Extract<ErrorCode, 'PSR_PEER_EXITED' | 'PSR_OUTOFPROC_TRANSPORT' | 'PSR_SSH_HOST_KEY' | 'PSR_SSH_AUTH_REJECTED' | 'PSR_SSH_TIMEOUT'>;

export interface OutOfProcErrorDetails {
  /** What the carrier talks to: `exec:dotnet peer.dll`, `unix:/tmp/s`. */
  readonly peer: string;
  readonly exitCode?: number | null | undefined;
  readonly signal?: string | null | undefined;
  /** The last lines the server wrote to stderr (or in-band error lines). */
  readonly stderr?: string | undefined;
}

export class OutOfProcTransportError extends PsRemoteError {
  readonly peer: string;
  readonly exitCode: number | null | undefined;
  readonly signal: string | null | undefined;
  readonly stderr: string | undefined;
  constructor(code: OutOfProcErrorCode, message: string, details: OutOfProcErrorDetails, cause?: unknown) {
    const tail = details.stderr?.trim();
    super(code, `${details.peer}: ${message}${tail ? `; the server wrote: ${tail}` : ''}`, cause === undefined ? undefined : { cause });
    this.peer = details.peer;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderr = details.stderr;
  }
}
