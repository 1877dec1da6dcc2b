// Why a file transfer failed, named by the path it failed on. One class for the
// PSR_COPY_* codes, as the server script reports them (`X` records) or the
// local side finds them (errno); `side` says which file system it was.

import { PsRemoteError, type ErrorCode, type PsRemoteErrorOptions } from '../../errors.js';

/** What the server script or the local side reported, as the script names it. */
export type CopyFailure = 'NotFound' | 'AccessDenied' | 'DiskFull' | 'TargetExists' | 'Restricted' | 'HashMismatch' | 'IO';

const CODES: Record<CopyFailure, ErrorCode> = {
  NotFound: 'PSR_COPY_NOT_FOUND',
  AccessDenied: 'PSR_COPY_ACCESS_DENIED',
  DiskFull: 'PSR_COPY_DISK_FULL',
  TargetExists: 'PSR_COPY_TARGET_EXISTS',
  Restricted: 'PSR_COPY_RESTRICTED_ENDPOINT',
  HashMismatch: 'PSR_COPY_HASH_MISMATCH',
  IO: 'PSR_COPY_FAILED',
};

const WORDS: Record<CopyFailure, string> = {
  NotFound: 'not found',
  AccessDenied: 'access denied',
  DiskFull: 'disk full',
  TargetExists: 'the target exists (overwrite not asked)',
  Restricted: 'the endpoint cannot run the copy script',
  HashMismatch: 'SHA-256 mismatch: the bytes were corrupted on the way',
  IO: 'I/O error',
};

export class FileTransferError extends PsRemoteError {
  readonly failure: CopyFailure;
  readonly path: string;
  readonly side: 'local' | 'remote';
  constructor(failure: CopyFailure, side: 'local' | 'remote', path: string, detail?: string, options?: PsRemoteErrorOptions) {
    super(CODES[failure], `${side} ${path}: ${WORDS[failure]}${detail ? ` (${detail})` : ''}`, options);
    this.failure = failure;
    this.path = path;
    this.side = side;
  }
}

/** The failure a local errno means. */
export function localFailure(e: unknown, path: string): FileTransferError {
  if (e instanceof FileTransferError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const failure: CopyFailure =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'NotFound'
      : code === 'EACCES' || code === 'EPERM'
        ? 'AccessDenied'
        : code === 'ENOSPC' || code === 'EDQUOT'
          ? 'DiskFull'
          : code === 'EEXIST'
            ? 'TargetExists'
            : 'IO';
  return new FileTransferError(failure, 'local', path, (e as Error)?.message, { cause: e });
}

export function isFailure(s: string): s is CopyFailure {
  return Object.prototype.hasOwnProperty.call(CODES, s);
}
