// What copyToSession / copyFromSession take and give back.

import type { Readable, Writable } from 'node:stream';

export interface CopyProgress {
  readonly bytesDone: number;
  /** Undefined while the total is unknown (a stream source). */
  readonly bytesTotal: number | undefined;
  readonly filesDone: number;
  readonly filesTotal: number | undefined;
  /** Bytes per second since the copy began. */
  readonly rate: number;
  /** Seconds left at that rate, when the total is known. */
  readonly etaSeconds: number | undefined;
  /** The file in progress (relative path), if any. */
  readonly current?: string;
}

export interface CopyOptions {
  /** Replace existing files (default false: an existing target is PSR_COPY_TARGET_EXISTS). */
  readonly overwrite?: boolean;
  /** Create missing parent folders of the target (default false). */
  readonly createParents?: boolean;
  /** Copy folders with everything in them (default false: a folder is refused). */
  readonly recursive?: boolean;
  /** Follow symbolic links instead of reporting them in `skipped` (default false). */
  readonly followSymlinks?: boolean;
  /** Give the copies the modification times of the originals (default true). */
  readonly preserveTimes?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: CopyProgress) => void;
  /** Least time between two progress calls (default 200 ms; the last one always comes). */
  readonly progressIntervalMs?: number;
  /** Raw bytes per chunk (default: what fills the negotiated envelope). */
  readonly chunkSize?: number;
  /** Pipelines at once for folder uploads (default 2, at most the pool's runspaces are busy at once on the server). */
  readonly parallel?: number;
  /** Chunks on the way before the other side acknowledges (default 4). */
  readonly window?: number;
  /** Clock for rates (default Date.now): tests inject one. */
  readonly now?: () => number;
}

export interface CopiedFile {
  /** Path relative to the copied root ('' for a single file). */
  readonly relativePath: string;
  readonly source: string;
  readonly destination: string;
  readonly bytes: number;
  /** SHA-256 (hex), the same on both sides. */
  readonly sha256: string;
  readonly verified: true;
}

export interface CopyResult {
  readonly files: readonly CopiedFile[];
  /** Folders created (empty ones included). */
  readonly folders: number;
  /** Symlinks (or other entries) not copied, and why. */
  readonly skipped: readonly { readonly path: string; readonly reason: string }[];
  readonly bytes: number;
  readonly seconds: number;
  /** Chunk size (raw bytes), pipelines and envelope used. */
  readonly chunkSize: number;
  readonly parallel: number;
}

export type CopySource = string | Readable | AsyncIterable<Uint8Array>;
export type CopyDestination = string | Writable;

/** Base64 of a relative path's UTF-8, as the records carry it. */
export function relB64(rel: string): string {
  return Buffer.from(rel, 'utf8').toString('base64');
}

export function relFromB64(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

const EPOCH_TICKS = 621_355_968_000_000_000n;

/** .NET ticks (UTC) for a JS time in ms. */
export function ticksFromMs(ms: number): string {
  return (BigInt(Math.round(ms * 10_000)) + EPOCH_TICKS).toString();
}

export function msFromTicks(ticks: string): number {
  return Number(BigInt(ticks) - EPOCH_TICKS) / 10_000;
}

/** Raw bytes per chunk so that one base64 chunk with its PSRP and CLIXML framing fills one payload. */
export function chunkSizeFor(payloadBudget: number, explicit?: number): number {
  if (explicit !== undefined) return Math.max(3, Math.floor(explicit / 3) * 3);
  // 21 bytes fragment header, 40 message header, <S>…</S>, a BOM and a tag: 128 is room enough.
  return Math.max(3 * 1024, Math.floor((payloadBudget - 128) / 4) * 3);
}

/** How long an aborted copy waits for the server to clean up (the Q record) before it stops the pipelines. */
export const ABORT_GRACE_MS = 10_000;
