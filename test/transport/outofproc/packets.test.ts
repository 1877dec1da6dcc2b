// The OutOfProc line codec: what SMA writes (single quotes, lower-case GUIDs,
// `<X PSGuid='…' />`), what its own reader also accepts, and typed errors for
// everything else. Sample lines are as the real engine wrote them (test/peer).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LimitError, RemoteProtocolError, UsageError } from '../../../src/errors.js';
import { decodePacket, encodePacket, ERROR_PREFIX, LineSplitter, POOL_GUID } from '../../../src/transport/outofproc/index.js';

const PID = '882d4467-44a1-484c-8bcf-bd640a6de753';

function invalid(line: string): RemoteProtocolError {
  try {
    decodePacket(line);
  } catch (e) {
    expect(e).toBeInstanceOf(RemoteProtocolError);
    expect((e as RemoteProtocolError).code).toBe('PSR_OUTOFPROC_INVALID');
    return e as RemoteProtocolError;
  }
  throw new Error(`accepted: ${line}`);
}

describe('decode', () => {
  test('lines as the real engine writes them', () => {
    expect(decodePacket(`<DataAck PSGuid='${POOL_GUID}' />`)).toEqual({ kind: 'DataAck', psGuid: POOL_GUID });
    expect(decodePacket(`<CommandAck PSGuid='${PID}' />`)).toEqual({ kind: 'CommandAck', psGuid: PID });
    expect(decodePacket(`<SignalAck PSGuid='${PID}' />\r`)).toEqual({ kind: 'SignalAck', psGuid: PID });
    const d = decodePacket(`<Data Stream='Default' PSGuid='${PID}'>AAECAw==</Data>`);
    expect(d).toEqual({ kind: 'Data', stream: 'Default', psGuid: PID, payload: new Uint8Array([0, 1, 2, 3]) });
  });

  test('what SMA’s XmlReader also takes: double quotes, any attribute order, spaces, upper-case GUIDs, an end tag', () => {
    expect(decodePacket(`<Data PSGuid="${PID.toUpperCase()}"  Stream="PromptResponse">AA==</Data>`)).toMatchObject({
      kind: 'Data',
      stream: 'PromptResponse',
      psGuid: PID,
    });
    expect(decodePacket(`<CloseAck PSGuid = '${PID}'/>`)).toEqual({ kind: 'CloseAck', psGuid: PID });
    expect(decodePacket(`<Close PSGuid='${PID}'></Close>`)).toEqual({ kind: 'Close', psGuid: PID });
  });

  test('in-band transport errors (ssh and socket modes)', () => {
    expect(decodePacket(`${ERROR_PREFIX}The pipe is broken.`)).toEqual({ kind: 'TransportError', message: 'The pipe is broken.' });
  });

  test.each([
    ['an empty line', ''],
    ['text outside an element', 'hello'],
    ['an unknown element', `<Foo PSGuid='${PID}' />`],
    ['a missing PSGuid', `<DataAck />`],
    ['a PSGuid that is no GUID', `<DataAck PSGuid='not-a-guid' />`],
    ['an extra attribute', `<DataAck PSGuid='${PID}' Extra='1' />`],
    ['a repeated attribute', `<DataAck PSGuid='${PID}' PSGuid='${PID}' />`],
    ['an unclosed control element', `<DataAck PSGuid='${PID}'`],
    ['trailing text', `<DataAck PSGuid='${PID}' /> trailing`],
    ['two elements on one line', `<DataAck PSGuid='${PID}' /><DataAck PSGuid='${PID}' />`],
    ['Data without Stream', `<Data PSGuid='${PID}'>AA==</Data>`],
    ['an unknown stream', `<Data Stream='Other' PSGuid='${PID}'>AA==</Data>`],
    ['empty Data', `<Data Stream='Default' PSGuid='${PID}'></Data>`],
    ['an unclosed Data', `<Data Stream='Default' PSGuid='${PID}'>AA==`],
    ['Data with bad base64', `<Data Stream='Default' PSGuid='${PID}'>A*==</Data>`],
    ['Data with truncated base64', `<Data Stream='Default' PSGuid='${PID}'>AAA</Data>`],
    ['an entity in an attribute', `<DataAck PSGuid='&amp;' />`],
  ])('rejects %s with a typed error naming the line', (_what, line) => {
    const e = invalid(line);
    expect(e.where).toContain('OutOfProc line');
  });

  test('arbitrary text never crashes the parser: a packet or a typed error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        try {
          decodePacket(s);
        } catch (e) {
          expect(e).toBeInstanceOf(RemoteProtocolError);
        }
      }),
    );
  });
});

describe('encode', () => {
  test('as SMA writes: single quotes, lower-case GUID, base64 payload', () => {
    expect(encodePacket({ kind: 'Command', psGuid: PID.toUpperCase() })).toBe(`<Command PSGuid='${PID}' />`);
    expect(encodePacket({ kind: 'Data', stream: 'PromptResponse', psGuid: PID, payload: new Uint8Array([255, 0]) })).toBe(
      `<Data Stream='PromptResponse' PSGuid='${PID}'>/wA=</Data>`,
    );
  });

  test('refuses an empty Data (fatal on the server) and a bad GUID', () => {
    expect(() => encodePacket({ kind: 'Data', stream: 'Default', psGuid: PID, payload: new Uint8Array() })).toThrow(UsageError);
    expect(() => encodePacket({ kind: 'Close', psGuid: 'x' })).toThrow(expect.objectContaining({ code: 'PSR_USAGE', message: expect.stringContaining('not a GUID') }));
  });

  test('every packet round-trips', () => {
    const guid = fc.uuid().map((u) => u.toLowerCase());
    const packet = fc.oneof(
      fc.record({ kind: fc.constantFrom('DataAck', 'Command', 'CommandAck', 'Signal', 'SignalAck', 'Close', 'CloseAck' as const), psGuid: guid }),
      fc.record({
        kind: fc.constant('Data' as const),
        stream: fc.constantFrom('Default' as const, 'PromptResponse' as const),
        psGuid: guid,
        payload: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      }),
    );
    fc.assert(
      fc.property(packet, (p) => {
        expect(decodePacket(encodePacket(p as never))).toEqual(p);
      }),
    );
  });
});

describe('LineSplitter', () => {
  test('splits across chunk boundaries and keeps a partial line', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('<A/>\n<B'))).toEqual(['<A/>']);
    expect(s.pending).toBe(2);
    expect(s.push(Buffer.from('/>\r\n\n<C/>'))).toEqual(['<B/>\r', '']);
    expect(s.push(Buffer.from('\n'))).toEqual(['<C/>']);
  });

  test('a line over the limit is a LimitError, even without a line break', () => {
    const s = new LineSplitter(16);
    expect(() => s.push(Buffer.alloc(17, 0x41))).toThrow(LimitError);
    const t = new LineSplitter(16);
    t.push(Buffer.alloc(10, 0x41));
    expect(() => t.push(Buffer.from('AAAAAAAAAA\n'))).toThrow(/OutOfProc line length limit exceeded: 20 > 16/);
  });
});
