// Whether a pipeline's data from the engine carries its final PIPELINE_STATE.
// The endpoint only passes the engine's fragments on to the client, so it must
// not reassemble and parse everything to find that one message: a download's
// output is hundreds of MB of byte[] objects, and decoding each one (UTF-8,
// CLIXML, its <BA> base64) cost the endpoint as much as the client. Only
// PIPELINE_STATE messages are kept and read; the others are looked at for
// their MessageType (bytes 4-7 of the message) and dropped fragment by fragment.

import { decodeFragments } from '../psrp/fragment.js';
import { MESSAGE_HEADER_LENGTH, MessageType } from '../psrp/message.js';
import { concatBytes } from '../util/bytes.js';

const TERMINAL = new Set([3, 4, 5]); // Stopped, Completed, Failed
/**
 * A PIPELINE_STATE is a few hundred bytes, but a Failed one carries its
 * ErrorRecord, which can be large: only its first bytes are kept, where
 * <I32 N="PipelineState"> stands (it is written before ExceptionAsErrorRecord).
 */
const MAX_STATE_BYTES = 1 << 16;

interface Pending {
  /** undefined until the MessageType is known (its first 8 bytes arrived). */
  keep: boolean | undefined;
  readonly parts: Uint8Array[];
  size: number;
}

export class PipelineEndWatch {
  readonly #pending = new Map<bigint, Pending>();

  /** Messages being watched (the endpoint's stats). */
  get size(): number {
    return this.#pending.size;
  }

  /** Feed one payload of the pipeline's data; true once it completed a terminal PIPELINE_STATE. */
  feed(payload: Uint8Array): boolean {
    let ended = false;
    for (const f of decodeFragments(payload, { where: 'the PowerShell engine\'s pipeline data' })) {
      let p = this.#pending.get(f.objectId);
      if (f.start || !p) {
        p = { keep: undefined, parts: [], size: 0 };
        this.#pending.set(f.objectId, p);
      }
      if (p.keep !== false && p.size < MAX_STATE_BYTES) {
        const part = f.blob.slice(0, MAX_STATE_BYTES - p.size);
        p.parts.push(part);
        p.size += part.byteLength;
        if (p.keep === undefined && p.size >= 8) {
          const head = concat(p.parts);
          p.keep = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true) === MessageType.PipelineState;
          p.parts.splice(0, p.parts.length, head);
        }
        if (p.keep === false) p.parts.length = 0;
      }
      if (!f.end) continue;
      this.#pending.delete(f.objectId);
      if (p.keep && terminal(concat(p.parts))) ended = true;
    }
    return ended;
  }
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => (parts.length === 1 ? parts[0]! : concatBytes(parts));

function terminal(message: Uint8Array): boolean {
  if (message.byteLength <= MESSAGE_HEADER_LENGTH) return false;
  const xml = Buffer.from(message.buffer, message.byteOffset + MESSAGE_HEADER_LENGTH, message.byteLength - MESSAGE_HEADER_LENGTH).toString('utf8');
  const state = /<I32 N="PipelineState">(\d+)<\/I32>/.exec(xml);
  return state !== null && TERMINAL.has(Number(state[1]));
}
