// File transfer over a PowerShell session (docs/file-transfer.md).
export { copyToSession } from './upload.js';
export { copyFromSession } from './download.js';
export { readEnvelopeSizeKb } from './envelope.js';
export { FileTransferError, type CopyFailure } from './errors.js';
export type { CopyOptions, CopyProgress, CopyResult, CopiedFile, CopySource, CopyDestination } from './options.js';
