// MS-PSRP 2.2.4 fragments. A PSRP message travels as one or more fragments:
//   ObjectId u64 BE | FragmentId u64 BE | flags u8 (S=0x1, E=0x2) | BlobLength u32 BE | blob
// A fragment never spans two transport payloads, but one payload carries as
// many fragments as fit (3.1.5.1.1). The receiver reassembles per ObjectId and
// must treat anything out of order as fatal for the pool/pipeline (3.1.5.1.2).
// This file: the wire format and the receiving side; fragmenter.ts sends.
//
// Deviation from the spec text: BlobLength is documented as <= 32768, but real
// servers and clients size fragments to the WSMan envelope (hundreds of KiB),
// so the only bound enforced is maxMessageBytes (spec-notes/ms-psrp.md).
//
// Also stricter than the spec: the six reserved flag bits "MUST be set to 0 and
// ignored upon receipt"; we refuse them instead (no Windows or PowerShell peer
// sets them), so a corrupted or hostile header cannot pass as a fragment.

import { LimitError, RemoteProtocolError, UsageError } from '../errors.js';

export const FRAGMENT_HEADER_LENGTH = 21;
export const FRAGMENT_FLAG_START = 0x1;
export const FRAGMENT_FLAG_END = 0x2;

/** Default limit on one reassembled PSRP message (64 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Default limit on messages being reassembled at the same time. */
export const DEFAULT_MAX_PARTIAL_MESSAGES = 1024;
/** Default limit on the bytes held by all messages in reassembly together (128 MiB). */
export const DEFAULT_MAX_BUFFERED_BYTES = 128 * 1024 * 1024;
/**
 * Default limit on fragments of one message (65,536: a 64 MiB message in 1 KiB
 * fragments). Empty continuation fragments cost nothing toward maxMessageBytes,
 * so without it a peer could send millions of them.
 */
export const DEFAULT_MAX_FRAGMENTS_PER_MESSAGE = 65_536;

export interface Fragment {
  readonly objectId: bigint;
  readonly fragmentId: bigint;
  readonly start: boolean;
  readonly end: boolean;
  readonly blob: Uint8Array;
}

/** Encode one fragment (header + blob). */
export function encodeFragment(f: Fragment): Uint8Array {
  const out = new Uint8Array(FRAGMENT_HEADER_LENGTH + f.blob.byteLength);
  writeFragmentHeader(out, 0, f.objectId, f.fragmentId, f.start, f.end, f.blob.byteLength);
  out.set(f.blob, FRAGMENT_HEADER_LENGTH);
  return out;
}

/** Write a fragment header at `at` of `out` (the Fragmenter writes blobs after it in place). */
export function writeFragmentHeader(
  out: Uint8Array,
  at: number,
  objectId: bigint,
  fragmentId: bigint,
  start: boolean,
  end: boolean,
  length: number,
): void {
  const view = new DataView(out.buffer, out.byteOffset + at, FRAGMENT_HEADER_LENGTH);
  view.setBigUint64(0, objectId, false);
  view.setBigUint64(8, fragmentId, false);
  view.setUint8(16, (start ? FRAGMENT_FLAG_START : 0) | (end ? FRAGMENT_FLAG_END : 0));
  view.setUint32(17, length, false);
}

export interface DecodeFragmentsOptions {
  where?: string;
  /** Largest BlobLength accepted (default DEFAULT_MAX_MESSAGE_BYTES). */
  maxBlobBytes?: number;
}

/**
 * Split a transport payload into its fragments (views, no copies). The payload
 * must consist of whole fragments: a truncated header or a BlobLength beyond
 * the payload is PSR_PSRP_FRAGMENT_INVALID.
 */
export function decodeFragments(payload: Uint8Array, options: DecodeFragmentsOptions = {}): Fragment[] {
  const where = options.where ?? 'PSRP fragment';
  const maxBlob = options.maxBlobBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const out: Fragment[] = [];
  let at = 0;
  while (at < payload.byteLength) {
    const left = payload.byteLength - at;
    if (left < FRAGMENT_HEADER_LENGTH) {
      throw new RemoteProtocolError(
        'PSR_PSRP_FRAGMENT_INVALID',
        `truncated fragment header: ${left} bytes at offset ${at}, need ${FRAGMENT_HEADER_LENGTH}`,
        { where },
      );
    }
    const objectId = view.getBigUint64(at, false);
    const fragmentId = view.getBigUint64(at + 8, false);
    const flags = view.getUint8(at + 16);
    const length = view.getUint32(at + 17, false);
    if (length > maxBlob) {
      throw new LimitError('PSRP fragment BlobLength', maxBlob, length, `${where}, ObjectId ${objectId}`);
    }
    if (length > left - FRAGMENT_HEADER_LENGTH) {
      throw new RemoteProtocolError(
        'PSR_PSRP_FRAGMENT_INVALID',
        `fragment ObjectId ${objectId} FragmentId ${fragmentId} declares BlobLength ${length} but only ${
          left - FRAGMENT_HEADER_LENGTH
        } bytes follow`,
        { where },
      );
    }
    if ((flags & ~(FRAGMENT_FLAG_START | FRAGMENT_FLAG_END)) !== 0) {
      throw new RemoteProtocolError(
        'PSR_PSRP_FRAGMENT_INVALID',
        `fragment ObjectId ${objectId} FragmentId ${fragmentId} sets reserved flag bits (flags 0x${flags.toString(16).padStart(2, '0')})`,
        { where },
      );
    }
    const start = (flags & FRAGMENT_FLAG_START) !== 0;
    const end = (flags & FRAGMENT_FLAG_END) !== 0;
    if (start && fragmentId !== 0n) {
      throw new RemoteProtocolError(
        'PSR_PSRP_FRAGMENT_INVALID',
        `start fragment of ObjectId ${objectId} has FragmentId ${fragmentId}, must be 0`,
        { where },
      );
    }
    const blobAt = at + FRAGMENT_HEADER_LENGTH;
    out.push({ objectId, fragmentId, start, end, blob: payload.subarray(blobAt, blobAt + length) });
    at = blobAt + length;
  }
  return out;
}

export interface DefragmenterOptions {
  /** Largest reassembled message accepted (default 64 MiB). */
  maxMessageBytes?: number;
  /** Most messages in reassembly at once (default 1024). */
  maxPartialMessages?: number;
  /** Most bytes held by all messages in reassembly together (default 128 MiB). */
  maxBufferedBytes?: number;
  /** Most fragments in one message (default 65,536). */
  maxFragmentsPerMessage?: number;
  where?: string;
}

interface Partial {
  readonly chunks: Uint8Array[];
  size: number;
  nextFragmentId: bigint;
}

/** A reassembled message with the ObjectId it came under. */
export interface DefragmentedMessage {
  readonly objectId: bigint;
  readonly data: Uint8Array;
}

/**
 * Reassembles fragments into messages across payloads, per ObjectId.
 * Errors: PSR_PSRP_FRAGMENT_INVALID for malformed bytes, PSR_PSRP_FRAGMENT_ORDER
 * for a duplicate start, a missing start or a FragmentId gap, LimitError for
 * sizes beyond the limits. After an order error the partial message of that
 * ObjectId is dropped; the caller decides whether the pool survives (MS-PSRP
 * 3.1.5.1.2 says it must not).
 */
export class Defragmenter {
  readonly #partials = new Map<bigint, Partial>();
  readonly #maxMessage: number;
  readonly #maxPartials: number;
  readonly #maxBuffered: number;
  readonly #maxFragments: number;
  readonly #where: string;
  #buffered = 0;

  constructor(options: DefragmenterOptions = {}) {
    this.#maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxPartials = options.maxPartialMessages ?? DEFAULT_MAX_PARTIAL_MESSAGES;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#maxFragments = options.maxFragmentsPerMessage ?? DEFAULT_MAX_FRAGMENTS_PER_MESSAGE;
    this.#where = options.where ?? 'PSRP fragment';
  }

  /** Number of messages currently half-received. */
  get partialCount(): number {
    return this.#partials.size;
  }

  /** Bytes held by the messages currently half-received. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  #drop(objectId: bigint): void {
    const p = this.#partials.get(objectId);
    if (p === undefined) return;
    this.#buffered -= p.size;
    this.#partials.delete(objectId);
  }

  #hold(add: number): void {
    if (this.#buffered + add > this.#maxBuffered) {
      throw new LimitError('PSRP bytes in reassembly', this.#maxBuffered, this.#buffered + add, this.#where);
    }
    this.#buffered += add;
  }

  /** Feed one payload; returns the messages it completed, in completion order. */
  receive(payload: Uint8Array): DefragmentedMessage[] {
    const fragments = decodeFragments(payload, { where: this.#where, maxBlobBytes: this.#maxMessage });
    const out: DefragmentedMessage[] = [];
    for (const f of fragments) {
      const done = this.receiveFragment(f);
      if (done !== undefined) out.push(done);
    }
    return out;
  }

  /** Feed one decoded fragment; returns the message it completed, if any. */
  receiveFragment(f: Fragment): DefragmentedMessage | undefined {
    const where = this.#where;
    const existing = this.#partials.get(f.objectId);
    if (f.start) {
      if (existing !== undefined) {
        this.#drop(f.objectId);
        throw new RemoteProtocolError(
          'PSR_PSRP_FRAGMENT_ORDER',
          `duplicate start fragment for ObjectId ${f.objectId} (expected FragmentId ${existing.nextFragmentId})`,
          { where },
        );
      }
      if (f.blob.byteLength > this.#maxMessage) {
        throw new LimitError('PSRP message size', this.#maxMessage, f.blob.byteLength, where);
      }
      if (f.end) return { objectId: f.objectId, data: f.blob };
      if (this.#partials.size >= this.#maxPartials) {
        throw new LimitError('PSRP messages in reassembly', this.#maxPartials, this.#partials.size + 1, where);
      }
      this.#hold(f.blob.byteLength);
      // Fragments are views into the caller's payload; copy so the caller may reuse its buffer.
      this.#partials.set(f.objectId, { chunks: [f.blob.slice()], size: f.blob.byteLength, nextFragmentId: 1n });
      return undefined;
    }
    if (existing === undefined) {
      throw new RemoteProtocolError(
        'PSR_PSRP_FRAGMENT_ORDER',
        `fragment ${f.fragmentId} of ObjectId ${f.objectId} arrived without a start fragment`,
        { where },
      );
    }
    if (f.fragmentId !== existing.nextFragmentId) {
      this.#drop(f.objectId);
      throw new RemoteProtocolError(
        'PSR_PSRP_FRAGMENT_ORDER',
        `fragment ${f.fragmentId} of ObjectId ${f.objectId} out of order, expected ${existing.nextFragmentId}`,
        { where },
      );
    }
    const size = existing.size + f.blob.byteLength;
    if (size > this.#maxMessage) {
      this.#drop(f.objectId);
      throw new LimitError('PSRP message size', this.#maxMessage, size, where);
    }
    if (f.fragmentId >= BigInt(this.#maxFragments)) {
      this.#drop(f.objectId);
      throw new LimitError('PSRP fragments per message', this.#maxFragments, Number(f.fragmentId) + 1, where);
    }
    if (!f.end) {
      try {
        this.#hold(f.blob.byteLength);
      } catch (e) {
        this.#drop(f.objectId);
        throw e;
      }
      existing.size = size;
      existing.nextFragmentId += 1n;
      if (f.blob.byteLength > 0) existing.chunks.push(f.blob.slice());
      return undefined;
    }
    existing.chunks.push(f.blob);
    this.#drop(f.objectId); // releases existing.size, the bytes held before this last fragment
    const data = new Uint8Array(size);
    let at = 0;
    for (const c of existing.chunks) {
      data.set(c, at);
      at += c.byteLength;
    }
    return { objectId: f.objectId, data };
  }

  /** Forget every half-received message (after a pool/pipeline is torn down). */
  reset(): void {
    this.#partials.clear();
    this.#buffered = 0;
  }
}
