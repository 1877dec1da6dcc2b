// Memory bounds of the defragmenter against a hostile peer: a total cap over all
// messages in reassembly, and a cap on fragments per message (empty continuation
// fragments add nothing to maxMessageBytes). Hand-built fragments: no real peer
// sends these.
import { describe, expect, test } from 'vitest';
import { LimitError } from '../../src/errors.js';
import { Defragmenter, FRAGMENT_HEADER_LENGTH } from '../../src/psrp/fragment.js';

function frag(objectId: number, fragmentId: number, flags: number, blobLength: number): Uint8Array {
  const b = new Uint8Array(FRAGMENT_HEADER_LENGTH + blobLength);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(objectId));
  v.setBigUint64(8, BigInt(fragmentId));
  v.setUint8(16, flags);
  v.setUint32(17, blobLength);
  b.fill(7, FRAGMENT_HEADER_LENGTH);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('Defragmenter memory limits', () => {
  test('all partial messages together are capped (maxBufferedBytes), not 1024 × maxMessageBytes', () => {
    const d = new Defragmenter({ maxMessageBytes: 1000, maxBufferedBytes: 2500 });
    d.receive(frag(1, 0, 1, 900));
    d.receive(frag(2, 0, 1, 900));
    expect(d.bufferedBytes).toBe(1800);
    let err: unknown;
    try {
      d.receive(frag(3, 0, 1, 900));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toMatchObject({ code: 'PSR_LIMIT', limit: 'PSRP bytes in reassembly', max: 2500, actual: 2700 });
    // a continuation past the cap also fails, and drops its own message
    d.receive(frag(2, 1, 0, 100));
    d.receive(frag(4, 0, 1, 500));
    expect(d.bufferedBytes).toBe(2400);
    expect(() => d.receive(frag(4, 1, 0, 101))).toThrow(/PSRP bytes in reassembly limit exceeded: 2501 > 2500/);
    expect(d.partialCount).toBe(2);
    expect(d.bufferedBytes).toBe(1900);
    expect(d.receive(frag(2, 2, 2, 0)).map((m) => m.data.length)).toEqual([1000]);
    expect(d.bufferedBytes).toBe(900);
    // completing a message releases what it held
    expect(d.receive(frag(1, 1, 2, 50)).map((m) => m.data.length)).toEqual([950]);
    expect(d.bufferedBytes).toBe(0);
    expect(d.partialCount).toBe(0);
  });

  test('the default total cap is 128 MiB', () => {
    const d = new Defragmenter({ maxMessageBytes: 64 * 1024 * 1024 });
    const big = 48 * 1024 * 1024;
    d.receive(frag(1, 0, 1, big));
    d.receive(frag(2, 0, 1, big));
    expect(() => d.receive(frag(3, 0, 1, big))).toThrow(/PSRP bytes in reassembly limit exceeded: 150994944 > 134217728/);
  });

  test('a million empty continuation fragments are refused by the fragment-count limit', () => {
    const d = new Defragmenter();
    d.receive(frag(1, 0, 1, 10));
    // 65,535 empty continuations are accepted (ids 1..65535), in payloads of 4096
    let id = 1;
    while (id < 65_536) {
      const n = Math.min(4096, 65_536 - id);
      d.receive(concat(Array.from({ length: n }, (_, k) => frag(1, id + k, 0, 0))));
      id += n;
    }
    expect(d.partialCount).toBe(1);
    expect(d.bufferedBytes).toBe(10);
    let err: unknown;
    try {
      d.receive(frag(1, 65_536, 0, 0));
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'PSR_LIMIT', limit: 'PSRP fragments per message', max: 65_536, actual: 65_537 });
    expect(d.partialCount).toBe(0);
  });

  test('a configurable fragment limit, and messages within it still reassemble', () => {
    const d = new Defragmenter({ maxFragmentsPerMessage: 3 });
    const out = d.receive(concat([frag(1, 0, 1, 2), frag(1, 1, 0, 0), frag(1, 2, 2, 3)]));
    expect(out.map((m) => m.data.length)).toEqual([5]);
    expect(() => d.receive(concat([frag(2, 0, 1, 2), frag(2, 1, 0, 0), frag(2, 2, 0, 0), frag(2, 3, 2, 1)]))).toThrow(LimitError);
  });
});
