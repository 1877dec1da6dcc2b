// File transfer over a PowerShell session (docs/file-transfer.md).
export { copyToSession } from './upload.js';
export { copyFromSession } from './download.js';
export { readEnvelopeSizeKb } from './envelope.js';
export { FileTransferError, type CopyFailure } from './errors.js';
export type { CopyOptions, CopyProgress, CopyResult, CopiedFile, CopySource, CopyDestination } from './options.js';
// The same over one WinRS command (a cmd shell, no PowerShell session): the bytes raw on its stdin and stdout.
export { copyToHost } from './winrs-upload.js';
export { copyFromHost } from './winrs-download.js';
export type { HostCopyOptions } from './winrs-host.js';
