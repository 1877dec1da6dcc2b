// The sending side of MS-PSRP 2.2.4: ObjectIds, and messages cut into
// fragments that fit the payload budget (fragment.ts has the wire format and
// the receiving side).

import { UsageError } from '../errors.js';
import { FRAGMENT_HEADER_LENGTH, writeFragmentHeader } from './fragment.js';

/** Hands out ObjectIds; one counter is shared by a pool and its pipelines (2.2.4). */
export class ObjectIdCounter {
  #next: bigint;
  constructor(first: bigint = 1n) {
    if (first < 1n) throw new UsageError('ObjectIds start at 1 or above');
    this.#next = first;
  }
  next(): bigint {
    return this.#next++;
  }
  peek(): bigint {
    return this.#next;
  }
}

interface QueuedMessage {
  readonly objectId: bigint;
  readonly data: Uint8Array;
  offset: number;
  fragmentId: bigint;
}

/**
 * Queue of outgoing messages for ONE target, cut into fragments on demand.
 * `take(budget)` packs fragments of queued messages, in order, into one
 * payload of at most `budget` bytes; a message that does not fit continues in
 * the next payload with the next FragmentId.
 */
export class Fragmenter {
  readonly #ids: ObjectIdCounter;
  readonly #queue: QueuedMessage[] = [];
  #head = 0;

  constructor(ids: ObjectIdCounter = new ObjectIdCounter()) {
    this.#ids = ids;
  }

  /** Queue a complete PSRP message; returns the ObjectId it will carry. */
  add(message: Uint8Array): bigint {
    const objectId = this.#ids.next();
    this.#queue.push({ objectId, data: message, offset: 0, fragmentId: 0n });
    return objectId;
  }

  get hasPending(): boolean {
    return this.#head < this.#queue.length;
  }

  /** Messages not yet completely taken. */
  get pendingMessages(): number {
    return this.#queue.length - this.#head;
  }

  /** Bytes (headers excluded) still to be sent. */
  get pendingBytes(): number {
    let n = 0;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const m = this.#queue[i]!;
      n += m.data.byteLength - m.offset;
    }
    return n;
  }

  /**
   * Build one payload of at most `budget` bytes, or undefined when nothing is
   * queued. `budget` must leave room for a header and at least one byte.
   */
  take(budget: number): Uint8Array | undefined {
    if (!this.hasPending) return undefined;
    if (!Number.isInteger(budget) || budget <= FRAGMENT_HEADER_LENGTH) {
      throw new UsageError(`fragment budget must be an integer above ${FRAGMENT_HEADER_LENGTH}, got ${budget}`);
    }
    // First pass: measure, so the payload is allocated once.
    let size = 0;
    let room = budget;
    for (let i = this.#head; i < this.#queue.length && room > FRAGMENT_HEADER_LENGTH; i++) {
      const m = this.#queue[i]!;
      const left = m.data.byteLength - m.offset;
      const chunk = Math.min(left, room - FRAGMENT_HEADER_LENGTH);
      // An empty message (END_OF_PIPELINE_INPUT has an empty body but a 40-byte
      // header, so this is theoretical) still needs its one fragment.
      size += FRAGMENT_HEADER_LENGTH + chunk;
      room -= FRAGMENT_HEADER_LENGTH + chunk;
      if (chunk < left) break;
    }
    const out = new Uint8Array(size);
    let at = 0;
    while (this.hasPending && budget - at > FRAGMENT_HEADER_LENGTH) {
      const m = this.#queue[this.#head]!;
      const left = m.data.byteLength - m.offset;
      const chunk = Math.min(left, budget - at - FRAGMENT_HEADER_LENGTH);
      const start = m.offset === 0;
      const end = chunk === left;
      writeFragmentHeader(out, at, m.objectId, m.fragmentId, start, end, chunk);
      out.set(m.data.subarray(m.offset, m.offset + chunk), at + FRAGMENT_HEADER_LENGTH);
      at += FRAGMENT_HEADER_LENGTH + chunk;
      m.offset += chunk;
      m.fragmentId += 1n;
      if (end) {
        this.#head++;
      } else {
        break;
      }
    }
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    return at === out.byteLength ? out : out.subarray(0, at);
  }
}

/** Cut one message into encoded fragments of at most `maxFragmentBytes` each (header included). */
export function fragmentMessage(message: Uint8Array, objectId: bigint, maxFragmentBytes: number): Uint8Array[] {
  const f = new Fragmenter(new ObjectIdCounter(objectId));
  f.add(message);
  const out: Uint8Array[] = [];
  for (let p = f.take(maxFragmentBytes); p !== undefined; p = f.take(maxFragmentBytes)) out.push(p);
  return out;
}
