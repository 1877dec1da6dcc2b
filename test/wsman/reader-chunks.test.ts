// The envelope reader, h11-style: every envelope recorded from real servers
// (and their clients) in fixtures/, fed whole, byte by byte, and followed by
// more data, gives the same result or the same typed error.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EnvelopeStream } from '../../src/wsman/envelope-stream.js';
import { readEnvelope, type WSManMessage } from '../../src/wsman/reader.js';
import { serializeXml } from '../../src/util/xml.js';
import { PsRemoteError } from '../../src/errors.js';
import { splitEnvelopes } from '../../src/wsman/decode.js';
import { allRecordingFiles, recording } from '../helpers/recordings.js';

const SPEC_EXAMPLES = 'fixtures/upstream/spec-MS-WSMV/ms-wsmv-section4-examples.json';

const STANDALONE_DIRS = [
  'fixtures/upstream/WinRb-WinRM/tests/spec/stubs/responses',
  'fixtures/upstream/Devolutions-ironPosh/crates/ironposh-winrm/tests/resources',
  'fixtures/upstream/Devolutions-ironPosh/resources/create/wsman',
];

function view(m: WSManMessage | undefined): unknown {
  if (m === undefined) return undefined;
  const { envelope, ...rest } = m;
  return { ...rest, xml: serializeXml(envelope.root), action: envelope.action, messageId: envelope.messageId, relatesTo: envelope.relatesTo, fault: envelope.fault };
}

function outcome(run: () => (WSManMessage | undefined)[]): unknown {
  try {
    return { ok: run().map(view) };
  } catch (e) {
    // Typed: every failure is a PsRemoteError with a code, never a crash.
    expect(e).toBeInstanceOf(PsRemoteError);
    return { error: (e as PsRemoteError).code, message: (e as Error).message };
  }
}

function whole(bytes: Buffer): (WSManMessage | undefined)[] {
  const s = new EnvelopeStream();
  return [...s.feed(bytes), s.end()];
}
function byteByByte(bytes: Buffer): (WSManMessage | undefined)[] {
  const s = new EnvelopeStream();
  const out: (WSManMessage | undefined)[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(...s.feed(bytes.subarray(i, i + 1)));
  return [...out, s.end()];
}
const TRAILING = Buffer.from('\r\n<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>', 'utf8');
function withTrailing(bytes: Buffer): (WSManMessage | undefined)[] {
  const s = new EnvelopeStream();
  const got = s.feed(Buffer.concat([bytes, TRAILING]));
  // The start of the next envelope is held, untouched, for the next chunk.
  const held = s.trailing;
  expect(held.subarray(held.length - TRAILING.length).equals(TRAILING)).toBe(true);
  const rest = new EnvelopeStream();
  rest.feed(held.subarray(0, held.length - TRAILING.length));
  return [...got, rest.end()];
}

function check(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  const a = outcome(() => whole(bytes));
  expect(outcome(() => byteByByte(bytes))).toEqual(a);
  // Fed in one piece to the reader itself: the same.
  if ((a as { ok?: unknown[] }).ok?.length === 2) expect(outcome(() => [readEnvelope(text.trim())])).toEqual({ ok: [(a as { ok: unknown[] }).ok[0]] });
  if ('ok' in (a as object)) expect(outcome(() => withTrailing(bytes))).toEqual(a);
}

describe('every recorded envelope: whole, byte by byte, with trailing data', () => {
  test.each(allRecordingFiles())('%s', (file) => {
    let n = 0;
    for (const x of recording(file).exchanges) {
      for (const text of [x.request, x.response.body]) {
        if (text.trim() === '') continue;
        check(text);
        n++;
      }
    }
    expect(n).toBeGreaterThan(0);
  });

  const standalone = STANDALONE_DIRS.flatMap((d) => readdirSync(d).map((f) => join(d, f)));
  test.each(standalone)('%s', (file) => check(readFileSync(file, 'utf8')));

  // The MS-WSMV section 4 examples, those that do not parse included: the same typed error in every chunking.
  const examples = (JSON.parse(readFileSync(SPEC_EXAMPLES, 'utf8')) as { examples: { section: string; label: string; xml: string }[] }).examples;
  test.each(examples.map((e) => [`${e.section} ${e.label}`, e.xml] as const))('MS-WSMV %s', (_name, xml) => check(xml));
});

describe('splitEnvelopes (psremote decode) cuts a capture where the stream cuts it', () => {
  test.each(allRecordingFiles())('%s', (file) => {
    const texts = recording(file)
      .exchanges.flatMap((x) => [x.request, x.response.body])
      .map((t) => t.trim())
      .filter((t) => t !== '');
    // Captured end to end, with and without line breaks between envelopes.
    expect(splitEnvelopes(texts.join('\n'))).toEqual(texts);
    expect(splitEnvelopes(texts.join(''))).toEqual(texts);
  });
  test('what follows the last envelope is one more document (refused by the decoder); whitespace is nothing', () => {
    const ENV = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>';
    expect(splitEnvelopes(`${ENV}\n${ENV}\n  `)).toEqual([ENV, ENV]);
    expect(splitEnvelopes(`${ENV}<s:Envelope`)).toEqual([ENV, '<s:Envelope']);
    expect(splitEnvelopes(`<?xml version="1.0"?>\n${ENV.replace('s:', 'env.1:').replace('/s:Envelope', '/env.1:Envelope')}`)).toEqual([
      `<?xml version="1.0"?>\n${ENV.replace('s:', 'env.1:').replace('/s:Envelope', '/env.1:Envelope')}`,
    ]);
  });
});

describe('the stream', () => {
  const ENV = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>';
  test('two envelopes in one chunk, and one split inside its end tag and inside a UTF-8 character', () => {
    const s = new EnvelopeStream();
    expect(s.feed(Buffer.from(ENV + ENV))).toHaveLength(2);
    const utf = Buffer.from(ENV.replace('<s:Body/>', '<s:Body>é</s:Body>'));
    const at = utf.indexOf(0xc3) + 1;
    expect(s.feed(utf.subarray(0, at))).toEqual([]);
    expect(s.feed(utf.subarray(at, utf.length - 3))).toEqual([]);
    const [m] = s.feed(utf.subarray(utf.length - 3));
    expect(serializeXml(m!.envelope.body)).toContain('é');
    expect(s.count).toBe(3);
  });
  test('the size limit is checked before a chunk is kept', () => {
    const s = new EnvelopeStream({ maxBytes: 100 });
    s.feed(Buffer.alloc(60, 0x20));
    expect(() => s.feed(Buffer.alloc(60, 0x20))).toThrow(/envelope 0 is over 100 bytes/);
  });
  test('what is left at the end is refused as an envelope, typed', () => {
    const s = new EnvelopeStream();
    s.feed(Buffer.from('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'));
    expect(() => s.end()).toThrow(expect.objectContaining({ code: 'PSR_WSMAN_INVALID' }));
  });
});
