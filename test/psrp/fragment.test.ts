import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Defragmenter, FRAGMENT_HEADER_LENGTH, decodeFragments, encodeFragment } from '../../src/psrp/fragment.js';
import { Fragmenter, ObjectIdCounter, fragmentMessage } from '../../src/psrp/fragmenter.js';
import { decodeMessage, messageTypeSpecName } from '../../src/psrp/message.js';
import { LimitError, PsRemoteError, RemoteProtocolError, UsageError } from '../../src/errors.js';
import { recordedPayloads } from './helpers/recordings.js';

const VECTORS = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/upstream/derived/psrp-fragment-vectors.json'), 'utf8'),
) as {
  vectors: {
    id: string;
    base64?: string;
    fragments?: {
      header_hex: string;
      object_id: number;
      fragment_id: number;
      start: boolean;
      end: boolean;
      blob_length: number;
      message_header_hex: string;
      message: { destination: number; message_type: string; message_type_name: string; rpid: string; pid: string; data_xml: string; data_has_utf8_bom: boolean };
    }[];
    source: { path: string };
    fragment_headers?: { exchange_index: number; stream_index: number; object_id: number; fragment_id: number; start: boolean; end: boolean; blob_length: number; header_hex: string }[];
    reassembled_messages?: { object_id: number; fragments: number; message_length: number; sha256: string; message_type_name: string; destination: number }[];
  }[];
};

/** Independent fragment header builder (Buffer, not our code). */
function frag(objectId: number, fragmentId: number, flags: number, blob: Uint8Array | number[], declared?: number): Buffer {
  const h = Buffer.alloc(21);
  h.writeBigUInt64BE(BigInt(objectId), 0);
  h.writeBigUInt64BE(BigInt(fragmentId), 8);
  h.writeUInt8(flags, 16);
  h.writeUInt32BE(declared ?? blob.length, 17);
  return Buffer.concat([h, Buffer.from(blob)]);
}

describe('recorded vectors', () => {
  for (const v of VECTORS.vectors.filter((x) => x.base64 !== undefined)) {
    test(v.id, () => {
      const payload = new Uint8Array(Buffer.from(v.base64!, 'base64'));
      const frags = decodeFragments(payload);
      expect(frags.length).toBe(v.fragments!.length);
      const defrag = new Defragmenter();
      const msgs = defrag.receive(payload);
      expect(msgs.length).toBe(v.fragments!.filter((f) => f.end).length);
      v.fragments!.forEach((exp, i) => {
        const f = frags[i]!;
        expect(f.objectId).toBe(BigInt(exp.object_id));
        expect(f.fragmentId).toBe(BigInt(exp.fragment_id));
        expect(f.start).toBe(exp.start);
        expect(f.end).toBe(exp.end);
        expect(f.blob.byteLength).toBe(exp.blob_length);
        expect(Buffer.from(encodeFragment(f).subarray(0, 21)).toString('hex')).toBe(exp.header_hex);
        const m = decodeMessage(msgs[i]!.data);
        expect(Buffer.from(msgs[i]!.data.subarray(0, 40)).toString('hex')).toBe(exp.message_header_hex);
        expect(m.destination).toBe(exp.message.destination);
        expect(messageTypeSpecName(m.messageType)).toBe(exp.message.message_type_name);
        expect(m.messageType).toBe(parseInt(exp.message.message_type, 16));
        expect(m.runspacePoolId).toBe(exp.message.rpid);
        expect(m.pipelineId).toBe(exp.message.pid);
        expect(new TextDecoder().decode(m.data)).toBe(exp.message.data_xml.replace(/^\ufeff/, ''));
      });
      // Re-encoding the fragments gives back the recorded payload byte for byte.
      expect(Buffer.concat(frags.map((f) => encodeFragment(f))).equals(Buffer.from(payload))).toBe(true);
    });
  }

  test('fetch-file: one PIPELINE_OUTPUT spread over 11 fragments in several ReceiveResponses', () => {
    const v = VECTORS.vectors.find((x) => x.id === 'fetch-file-multifragment')!;
    const file = v.source.path.split('/').pop()!;
    const payloads = recordedPayloads(file).filter((p) => p.direction === 'server->client');
    const defrag = new Defragmenter();
    const headers: string[] = [];
    const done: { objectId: bigint; data: Uint8Array }[] = [];
    for (const p of payloads) {
      for (const f of decodeFragments(p.bytes)) headers.push(Buffer.from(encodeFragment(f).subarray(0, 21)).toString('hex'));
      done.push(...defrag.receive(p.bytes));
    }
    expect(headers).toEqual(v.fragment_headers!.map((h) => h.header_hex));
    expect(defrag.partialCount).toBe(0);
    expect(done.length).toBe(v.reassembled_messages!.length);
    v.reassembled_messages!.forEach((exp, i) => {
      const got = done[i]!;
      expect(got.objectId).toBe(BigInt(exp.object_id));
      expect(got.data.byteLength).toBe(exp.message_length);
      expect(createHash('sha256').update(got.data).digest('hex')).toBe(exp.sha256);
      expect(messageTypeSpecName(decodeMessage(got.data).messageType)).toBe(exp.message_type_name);
    });
    expect(v.reassembled_messages!.some((m) => m.fragments === 11)).toBe(true);
  });
});

describe('Fragmenter', () => {
  test('packs several messages into one payload and never splits a fragment across payloads', () => {
    const f = new Fragmenter();
    f.add(new Uint8Array(10).fill(1));
    f.add(new Uint8Array(30).fill(2));
    // 21+10 + 21+9 = 61
    const p1 = f.take(61)!;
    expect(p1.byteLength).toBe(61);
    const fr1 = decodeFragments(p1);
    expect(fr1.map((x) => [x.objectId, x.fragmentId, x.start, x.end, x.blob.byteLength])).toEqual([
      [1n, 0n, true, true, 10],
      [2n, 0n, true, false, 9],
    ]);
    const p2 = f.take(1000)!;
    expect(decodeFragments(p2).map((x) => [x.objectId, x.fragmentId, x.start, x.end, x.blob.byteLength])).toEqual([
      [2n, 1n, false, true, 21],
    ]);
    expect(f.take(1000)).toBeUndefined();
    expect(f.hasPending).toBe(false);
  });

  test('leaves the rest of the budget unused when less than a header plus one byte is left', () => {
    const f = new Fragmenter();
    f.add(new Uint8Array(5));
    f.add(new Uint8Array(5));
    const p = f.take(21 + 5 + 21)!; // exactly a header left: no empty fragment
    expect(decodeFragments(p).length).toBe(1);
    expect(f.pendingBytes).toBe(5);
  });

  test('a shared ObjectId counter spans several fragmenters (pool and pipelines)', () => {
    const ids = new ObjectIdCounter(5n);
    const a = new Fragmenter(ids);
    const b = new Fragmenter(ids);
    expect(a.add(new Uint8Array(1))).toBe(5n);
    expect(b.add(new Uint8Array(1))).toBe(6n);
    expect(a.add(new Uint8Array(1))).toBe(7n);
    expect(() => new ObjectIdCounter(0n)).toThrow(UsageError);
  });

  test('rejects a budget that cannot hold a header and a byte', () => {
    const f = new Fragmenter();
    f.add(new Uint8Array(1));
    expect(() => f.take(21)).toThrow(UsageError);
    expect(() => f.take(21.5)).toThrow(UsageError);
    expect(f.take(22)!.byteLength).toBe(22);
  });

  test('fragmentMessage cuts one message', () => {
    const parts = fragmentMessage(new Uint8Array(100), 9n, 21 + 40);
    expect(parts.map((p) => p.byteLength)).toEqual([61, 61, 41]);
  });
});

describe('Defragmenter errors', () => {
  const cases: { name: string; payloads: Buffer[]; code: string; cls: abstract new (...args: never[]) => PsRemoteError; msg: RegExp }[] = [
    { name: 'truncated header', payloads: [Buffer.alloc(20)], code: 'PSR_PSRP_FRAGMENT_INVALID', cls: RemoteProtocolError, msg: /truncated fragment header: 20 bytes/ },
    { name: 'length beyond the buffer', payloads: [frag(1, 0, 3, [1, 2, 3], 4)], code: 'PSR_PSRP_FRAGMENT_INVALID', cls: RemoteProtocolError, msg: /declares BlobLength 4 but only 3/ },
    { name: 'declared 1 GB BlobLength', payloads: [frag(1, 0, 3, [1], 1 << 30)], code: 'PSR_LIMIT', cls: LimitError, msg: /BlobLength limit exceeded: 1073741824/ },
    { name: 'start with a non-zero FragmentId', payloads: [frag(1, 3, 1, [1])], code: 'PSR_PSRP_FRAGMENT_INVALID', cls: RemoteProtocolError, msg: /has FragmentId 3, must be 0/ },
    { name: 'duplicate start', payloads: [frag(1, 0, 1, [1]), frag(1, 0, 1, [1])], code: 'PSR_PSRP_FRAGMENT_ORDER', cls: RemoteProtocolError, msg: /duplicate start fragment for ObjectId 1/ },
    { name: 'missing start', payloads: [frag(4, 1, 2, [1])], code: 'PSR_PSRP_FRAGMENT_ORDER', cls: RemoteProtocolError, msg: /without a start fragment/ },
    { name: 'FragmentId gap', payloads: [frag(1, 0, 1, [1]), frag(1, 2, 2, [1])], code: 'PSR_PSRP_FRAGMENT_ORDER', cls: RemoteProtocolError, msg: /fragment 2 of ObjectId 1 out of order, expected 1/ },
    { name: 'out of order 1,3,2', payloads: [Buffer.concat([frag(1, 0, 1, [1]), frag(1, 1, 0, [1]), frag(1, 3, 0, [1])])], code: 'PSR_PSRP_FRAGMENT_ORDER', cls: RemoteProtocolError, msg: /fragment 3 of ObjectId 1 out of order, expected 2/ },
    { name: 'message over the size limit', payloads: [frag(1, 0, 1, new Array(60).fill(0)), frag(1, 1, 2, new Array(60).fill(0))], code: 'PSR_LIMIT', cls: LimitError, msg: /PSRP message size limit exceeded: 120 > 100/ },
    { name: 'single fragment over the size limit', payloads: [frag(1, 0, 3, new Array(101).fill(0))], code: 'PSR_LIMIT', cls: LimitError, msg: /limit exceeded: 101 > 100/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const d = new Defragmenter({ maxMessageBytes: 100 });
      let err: unknown;
      try {
        for (const p of c.payloads) d.receive(new Uint8Array(p));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(c.cls);
      expect((err as PsRemoteError).code).toBe(c.code);
      expect((err as Error).message).toMatch(c.msg);
    });
  }

  test('too many messages in reassembly', () => {
    const d = new Defragmenter({ maxPartialMessages: 2 });
    d.receive(new Uint8Array(Buffer.concat([frag(1, 0, 1, [1]), frag(2, 0, 1, [1])])));
    expect(() => d.receive(new Uint8Array(frag(3, 0, 1, [1])))).toThrow(LimitError);
  });

  test('recovers after an order error: the broken message is dropped, others complete', () => {
    const d = new Defragmenter();
    d.receive(new Uint8Array(Buffer.concat([frag(1, 0, 1, [1]), frag(2, 0, 1, [7])])));
    expect(() => d.receive(new Uint8Array(frag(1, 2, 2, [3])))).toThrow(/out of order/);
    expect(d.partialCount).toBe(1);
    const out = d.receive(new Uint8Array(frag(2, 1, 2, [8])));
    expect(out.map((m) => [m.objectId, Array.from(m.data)])).toEqual([[2n, [7, 8]]]);
    d.reset();
    expect(d.partialCount).toBe(0);
  });

  // 2.2.4 says "MUST be set to 0 and ignored upon receipt"; we refuse them (issue 13,
  // spec-notes/ms-psrp.md): no real peer sets them, and a header that does is corrupt.
  test('reserved flag bits are refused (stricter than 2.2.4)', () => {
    for (const flags of [0x04, 0x80, 0xfc | 3]) {
      const d = new Defragmenter();
      expect(() => d.receive(new Uint8Array(frag(1, 0, flags, [5])))).toThrow(
        expect.objectContaining({ code: 'PSR_PSRP_FRAGMENT_INVALID', message: expect.stringContaining(`reserved flag bits (flags 0x${flags.toString(16).padStart(2, '0')})`) }),
      );
    }
  });

  test('the caller may reuse its payload buffer between calls', () => {
    const d = new Defragmenter();
    const buf = new Uint8Array(frag(1, 0, 1, [1, 2]));
    d.receive(buf);
    buf.fill(0xee);
    const out = d.receive(new Uint8Array(frag(1, 1, 2, [3])));
    expect(Array.from(out[0]!.data)).toEqual([1, 2, 3]);
  });

  test('interleaved messages from different ObjectIds', () => {
    const d = new Defragmenter();
    const out = d.receive(
      new Uint8Array(Buffer.concat([frag(1, 0, 1, [1]), frag(2, 0, 1, [2]), frag(2, 1, 2, [2]), frag(1, 1, 2, [1])])),
    );
    expect(out.map((m) => m.objectId)).toEqual([2n, 1n]);
  });
});

describe('property: random messages, random budgets', () => {
  test('fragment + defragment restores every message in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: FRAGMENT_HEADER_LENGTH + 1, max: 400 }), { minLength: 1, maxLength: 20 }),
        (messages, budgets) => {
          const f = new Fragmenter();
          for (const m of messages) f.add(m);
          const d = new Defragmenter();
          const out: Uint8Array[] = [];
          let i = 0;
          for (;;) {
            const budget = budgets[i++ % budgets.length]!;
            const p = f.take(budget);
            if (p === undefined) break;
            expect(p.byteLength).toBeLessThanOrEqual(budget);
            // Every payload is whole fragments.
            decodeFragments(p);
            for (const m of d.receive(p)) out.push(m.data);
          }
          expect(out.map((x) => Buffer.from(x).toString('hex'))).toEqual(
            messages.map((x) => Buffer.from(x).toString('hex')),
          );
          expect(d.partialCount).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes never crash the defragmenter: only typed errors', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 5 }), (payloads) => {
        const d = new Defragmenter({ maxMessageBytes: 1000 });
        for (const p of payloads) {
          try {
            d.receive(p);
          } catch (e) {
            expect(e).toBeInstanceOf(PsRemoteError);
            expect(['PSR_PSRP_FRAGMENT_INVALID', 'PSR_PSRP_FRAGMENT_ORDER', 'PSR_LIMIT']).toContain((e as PsRemoteError).code);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
