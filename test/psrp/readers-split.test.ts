// h11-style checks of the PSRP readers: every recorded PSRP stream of the
// pypsrp recordings (real Windows servers and clients, fixtures/upstream) is
// fed to the fragment reader (Defragmenter) and the message reader
// (MessageDecoder) whole, split into single fragments, re-cut so that every
// fragment carries one byte of its message, and with trailing data; each way
// gives the same messages, or the same typed error.
//
// The readers' unit is the fragment: a WSMan or OutOfProc payload always holds
// whole fragments, so "byte by byte" here means one message byte per fragment,
// the finest cut a sender can make. A payload that ends inside a fragment is a
// typed error (checked below for every prefix of the first payload).

import { describe, expect, test } from 'vitest';
import { PsRemoteError } from '../../src/errors.js';
import { MessageDecoder } from '../../src/psrp/decode.js';
import { DEFAULT_MAX_FRAGMENTS_PER_MESSAGE, Defragmenter, FRAGMENT_HEADER_LENGTH, decodeFragments } from '../../src/psrp/fragment.js';
import { fragmentMessage } from '../../src/psrp/fragmenter.js';
import { recordedPayloads, recordingFiles, type RecordedPayload } from './helpers/recordings.js';

/** One recorded stream: the payloads of one shell in one direction, in recorded order. */
function streams(file: string): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>();
  for (const p of recordedPayloads(file) as RecordedPayload[]) {
    const key = `${p.shellId ?? '-'} ${p.direction}`;
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(p.bytes);
  }
  return out;
}

type Outcome = { messages: string[] } | { error: string };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** What a fresh Defragmenter makes of the payloads: every completed message (ObjectId and bytes), or the typed error. */
function defragment(payloads: Iterable<Uint8Array>): Outcome {
  const d = new Defragmenter({ where: 'test' });
  const messages: string[] = [];
  try {
    for (const p of payloads) for (const m of d.receive(p)) messages.push(`${m.objectId}:${hex(m.data)}`);
  } catch (e) {
    if (!(e instanceof PsRemoteError)) throw e;
    return { error: `${e.code} after ${messages.length}` };
  }
  return { messages };
}

/** What a fresh MessageDecoder makes of them: type, pipeline and body (or body error) of each message. */
function decode(payloads: Iterable<Uint8Array>): Outcome {
  const d = new MessageDecoder({ where: 'test' });
  const messages: string[] = [];
  try {
    for (const p of payloads) {
      for (const m of d.receive(p)) {
        const body = m.error ? `error ${m.error.code}` : JSON.stringify(m.body, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
        messages.push(`${m.specName} ${m.pipelineId ?? '-'} ${body}`);
      }
    }
  } catch (e) {
    if (!(e instanceof PsRemoteError)) throw e;
    return { error: `${e.code} after ${messages.length}` };
  }
  return { messages };
}

/** Each payload's fragments, one per payload. */
function* singleFragments(payloads: Uint8Array[]): Generator<Uint8Array> {
  for (const p of payloads) {
    for (const f of decodeFragments(p)) {
      const out = new Uint8Array(FRAGMENT_HEADER_LENGTH + f.blob.byteLength);
      out.set(p.subarray(f.blob.byteOffset - p.byteOffset - FRAGMENT_HEADER_LENGTH, f.blob.byteOffset - p.byteOffset + f.blob.byteLength));
      yield out;
    }
  }
}

/**
 * The same messages, each re-cut so that every fragment carries one byte of it
 * (its ObjectId kept); a message of more bytes than a message may have
 * fragments (DEFAULT_MAX_FRAGMENTS_PER_MESSAGE, a LimitError beyond) gets the
 * smallest fragments within that limit.
 */
function* oneBytePerFragment(payloads: Uint8Array[]): Generator<Uint8Array> {
  const d = new Defragmenter({ where: 'test' });
  for (const p of payloads) {
    for (const m of d.receive(p)) {
      const blob = Math.max(1, Math.ceil(m.data.byteLength / DEFAULT_MAX_FRAGMENTS_PER_MESSAGE));
      yield* fragmentMessage(m.data, m.objectId, FRAGMENT_HEADER_LENGTH + blob);
    }
  }
}

const FILES = recordingFiles();

test('the recordings hold PSRP streams to check', () => {
  const all = FILES.flatMap((f) => [...streams(f).values()]);
  expect(FILES.length).toBeGreaterThan(30);
  expect(all.length).toBeGreaterThan(FILES.length);
});

describe.each(FILES)('%s', (file) => {
  const recorded = [...streams(file)];

  test('whole, one fragment at a time and one byte per fragment: the same messages', () => {
    for (const [, payloads] of recorded) {
      const whole = defragment(payloads);
      expect('messages' in whole && whole.messages.length).toBeGreaterThan(0);
      expect(defragment(singleFragments(payloads))).toEqual(whole);
      expect(defragment(oneBytePerFragment(payloads))).toEqual(whole);
      const decoded = decode(payloads);
      expect(decode(singleFragments(payloads))).toEqual(decoded);
      expect(decode(oneBytePerFragment(payloads))).toEqual(decoded);
    }
  });

  test('trailing data after a payload is a typed error, however it is fed', () => {
    for (const [, payloads] of recorded) {
      for (const tail of [new Uint8Array([0]), new Uint8Array(FRAGMENT_HEADER_LENGTH - 1).fill(0xff), new Uint8Array(FRAGMENT_HEADER_LENGTH + 3).fill(7)]) {
        const withTail = [...payloads.slice(0, -1), concat(payloads[payloads.length - 1]!, tail)];
        const whole = defragment(withTail);
        expect(whole).toHaveProperty('error');
        expect(decode(withTail)).toHaveProperty('error');
        // Fed as one more payload after the recorded ones, the error comes after every recorded message.
        const ok = defragment(payloads) as { messages: string[] };
        expect(defragment([...payloads, tail])).toEqual({ error: expect.stringMatching(new RegExp(`^PSR_\\w+ after ${ok.messages.length}$`)) });
      }
    }
  });
});

test('every prefix of a recorded payload is its messages so far or a typed error, never a crash', () => {
  const [, payloads] = [...streams(FILES.find((f) => f === 'test_psrp_merge_commands.yml')!)].find(([k]) => k.endsWith('server->client'))!;
  const p = payloads.find((x) => decodeFragments(x).length > 1) ?? payloads[0]!;
  const full = defragment([p]) as { messages: string[] };
  for (let n = 0; n < p.byteLength; n++) {
    const r = defragment([p.subarray(0, n)]);
    if ('error' in r) expect(r.error).toMatch(/^PSR_\w+ after 0$/);
    else expect(full.messages.slice(0, r.messages.length)).toEqual(r.messages);
  }
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
