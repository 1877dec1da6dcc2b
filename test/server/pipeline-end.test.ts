// The endpoint's PipelineEndWatch: it must see a terminal PIPELINE_STATE however
// the engine's fragments fall across payloads, never see one in other messages
// (a byte[] output whose bytes spell a PIPELINE_STATE included), and refuse
// malformed fragments with a typed error.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PipelineEndWatch } from '../../src/server/pipeline-end.js';
import { Destination, encodeMessage, MessageType } from '../../src/psrp/message.js';
import { encodeBody } from '../../src/psrp/messages.js';
import { Fragmenter, ObjectIdCounter } from '../../src/psrp/fragmenter.js';
import { RemoteProtocolError } from '../../src/errors.js';

const POOL = 'f1e2d3c4-0000-4000-8000-000000000001';
const PID = 'f1e2d3c4-0000-4000-8000-000000000002';
const msg = (type: number, body: unknown) =>
  encodeMessage({ destination: Destination.Client, messageType: type, runspacePoolId: POOL, pipelineId: PID, data: encodeBody(type as never, body as never) });
const state = (s: number) => msg(MessageType.PipelineState, { state: s });
const output = (value: unknown) => msg(MessageType.PipelineOutput, { value });

/** The payloads a fragmenter cuts `messages` into at `budget` bytes each. */
function payloads(messages: Uint8Array[], budget: number): Uint8Array[] {
  const f = new Fragmenter(new ObjectIdCounter(1n));
  for (const m of messages) f.add(m);
  const out: Uint8Array[] = [];
  for (let p = f.take(budget); p; p = f.take(budget)) out.push(p);
  return out;
}

const feedAll = (w: PipelineEndWatch, ps: Uint8Array[]) => ps.map((p) => w.feed(p));

describe('PipelineEndWatch', () => {
  it('ends on Completed, Failed or Stopped, at the payload that completes it, for any fragment size', () => {
    for (const budget of [22, 23, 29, 61, 300, 4096, 40_000]) {
      for (const s of [3, 4, 5]) {
        const ps = payloads([output(randomBytes(1000)), output('x'), state(s)], budget);
        const seen = feedAll(new PipelineEndWatch(), ps);
        expect(seen.indexOf(true), `budget ${budget} state ${s}`).toBe(ps.length - 1);
        expect(seen.filter(Boolean)).toHaveLength(1);
      }
    }
  });

  it('does not end on Running, nor on output whose text or bytes read like a PIPELINE_STATE', () => {
    const fake = Buffer.from(state(4));
    for (const budget of [22, 100, 40_000]) {
      const w = new PipelineEndWatch();
      // an output object with the very CLIXML of a Completed state: only the MessageType tells them apart
      const lookalike = encodeMessage({ destination: Destination.Client, messageType: MessageType.PipelineOutput, runspacePoolId: POOL, pipelineId: PID, data: fake.subarray(40) });
      const seen = feedAll(w, payloads([state(2), lookalike, output(fake), output(fake.toString('latin1'))], budget));
      expect(seen.every((x) => !x), `budget ${budget}`).toBe(true);
      expect(w.size).toBe(0);
    }
  });

  it('keeps nothing of large output while it passes', () => {
    const w = new PipelineEndWatch();
    const ps = payloads([output(randomBytes(300_000))], 32_768);
    for (const p of ps.slice(0, -1)) {
      expect(w.feed(p)).toBe(false);
      expect(w.size).toBe(1);
    }
    expect(w.feed(ps.at(-1)!)).toBe(false);
    expect(w.size).toBe(0);
  });

  it('ends on a Failed state whose ErrorRecord is megabytes, keeping only its head', () => {
    const failed = msg(MessageType.PipelineState, { state: 5, error: 'x'.repeat(3_000_000) });
    for (const budget of [4096, 40_000, 4_000_000]) {
      const seen = feedAll(new PipelineEndWatch(), payloads([output('a'), failed], budget));
      expect(seen.at(-1), `budget ${budget}`).toBe(true);
      expect(seen.filter(Boolean)).toHaveLength(1);
    }
  });

  it('refuses a truncated fragment with a typed error', () => {
    const p = payloads([state(4)], 4096)[0]!;
    expect(() => new PipelineEndWatch().feed(p.subarray(0, p.length - 1))).toThrow(RemoteProtocolError);
  });
});
