// Client flow control of the OutOfProc channel (what PowerShell's own client
// keeps, OutOfProcTransportManager.cs): one Data per PSGuid until its DataAck,
// pipeline data only after the CommandAck, Signal/Close behind the Data in
// flight, PromptResponse first, and acks that overtake each other. The server
// lines here are hand-written in the real engine's exact format.
import { describe, expect, test } from 'vitest';
import { RemoteProtocolError, UsageError } from '../../../src/errors.js';
import { OutOfProcChannel, POOL_GUID, type ChannelEvent } from '../../../src/transport/outofproc/index.js';

const PID = '882d4467-44a1-484c-8bcf-bd640a6de753';
const bytes = (...b: number[]) => new Uint8Array(b);

function server(ch: OutOfProcChannel, ...lines: string[]): ChannelEvent[] {
  ch.receive(Buffer.from(lines.map((l) => `${l}\n`).join('')));
  const out: ChannelEvent[] = [];
  for (let e = ch.nextEvent(); e; e = ch.nextEvent()) out.push(e);
  return out;
}

const lines = (ch: OutOfProcChannel) => ch.takeOutput().split('\n').filter(Boolean);

describe('OutOfProcChannel', () => {
  test('one Data per GUID in flight; the next goes after the DataAck', () => {
    const ch = new OutOfProcChannel();
    const t1 = ch.sendData(POOL_GUID, 'Default', bytes(1));
    const t2 = ch.sendData(POOL_GUID, 'Default', bytes(2));
    expect(lines(ch)).toEqual([`<Data Stream='Default' PSGuid='${POOL_GUID}'>AQ==</Data>`]);
    expect(server(ch, `<DataAck PSGuid='${POOL_GUID}' />`)).toEqual([{ type: 'acked', ticket: t1, kind: 'Data', psGuid: POOL_GUID }]);
    expect(lines(ch)).toEqual([`<Data Stream='Default' PSGuid='${POOL_GUID}'>Ag==</Data>`]);
    expect(server(ch, `<DataAck PSGuid='${POOL_GUID}' />`)).toEqual([{ type: 'acked', ticket: t2, kind: 'Data', psGuid: POOL_GUID }]);
    expect(ch.takeOutput()).toBe('');
  });

  test('pipeline data waits for the CommandAck; other GUIDs do not wait', () => {
    const ch = new OutOfProcChannel();
    const tc = ch.command(PID.toUpperCase());
    ch.sendData(PID, 'Default', bytes(9));
    ch.sendData(POOL_GUID, 'Default', bytes(1));
    expect(lines(ch)).toEqual([`<Command PSGuid='${PID}' />`, `<Data Stream='Default' PSGuid='${POOL_GUID}'>AQ==</Data>`]);
    expect(server(ch, `<CommandAck PSGuid='${PID}' />`)).toEqual([{ type: 'acked', ticket: tc, kind: 'Command', psGuid: PID }]);
    expect(lines(ch)).toEqual([`<Data Stream='Default' PSGuid='${PID}'>CQ==</Data>`]);
  });

  test('PromptResponse data overtakes queued Default data of the same GUID', () => {
    const ch = new OutOfProcChannel();
    ch.sendData(POOL_GUID, 'Default', bytes(1));
    ch.sendData(POOL_GUID, 'Default', bytes(2));
    ch.sendData(POOL_GUID, 'PromptResponse', bytes(3));
    lines(ch);
    server(ch, `<DataAck PSGuid='${POOL_GUID}' />`);
    expect(lines(ch)).toEqual([`<Data Stream='PromptResponse' PSGuid='${POOL_GUID}'>Aw==</Data>`]);
  });

  test('Signal and Close wait for the CommandAck and the Data in flight', () => {
    const ch = new OutOfProcChannel();
    ch.command(PID);
    ch.sendData(PID, 'Default', bytes(1));
    const ts = ch.signal(PID);
    expect(lines(ch)).toEqual([`<Command PSGuid='${PID}' />`]);
    server(ch, `<CommandAck PSGuid='${PID}' />`);
    expect(lines(ch)).toEqual([`<Data Stream='Default' PSGuid='${PID}'>AQ==</Data>`]);
    server(ch, `<DataAck PSGuid='${PID}' />`);
    expect(lines(ch)).toEqual([`<Signal PSGuid='${PID}' />`]);
    const tclose = ch.close(PID);
    expect(ch.close(PID)).toBe(tclose); // never a second Close
    expect(lines(ch)).toEqual([`<Close PSGuid='${PID}' />`]);
    // The server handles lines on separate threads: the CloseAck may come first.
    expect(server(ch, `<CloseAck PSGuid='${PID}' />`, `<SignalAck PSGuid='${PID}' />`)).toEqual([
      { type: 'acked', ticket: tclose, kind: 'Close', psGuid: PID },
      { type: 'acked', ticket: ts, kind: 'Signal', psGuid: PID },
    ]);
    expect(() => server(ch, `<SignalAck PSGuid='${PID}' />`)).toThrow(RemoteProtocolError);
  });

  test('Data queued behind a Close is dropped, and reported', () => {
    const ch = new OutOfProcChannel();
    ch.command(PID);
    const t = ch.sendData(PID, 'Default', bytes(1));
    ch.close(PID);
    expect(server(ch, `<CommandAck PSGuid='${PID}' />`).map((e) => e.type)).toEqual(['dropped', 'acked']);
    expect(lines(ch)).toEqual([`<Command PSGuid='${PID}' />`, `<Close PSGuid='${PID}' />`]);
    expect(t).toBeGreaterThan(0);
    expect(() => ch.sendData(PID, 'Default', bytes(2))).toThrow(UsageError);
  });

  test('what the server must never get is refused locally', () => {
    const ch = new OutOfProcChannel();
    expect(() => ch.signal(POOL_GUID)).toThrow(/cannot be signalled/);
    expect(() => ch.command(POOL_GUID)).toThrow(UsageError);
    expect(() => ch.sendData(PID, 'Default', bytes(1))).toThrow(/no Command was sent/);
    expect(() => ch.sendData(POOL_GUID, 'Default', bytes())).toThrow(/empty/);
    ch.command(PID);
    expect(() => ch.command(PID)).toThrow(/already sent/);
  });

  test('data from the server for any GUID is passed on; in-band errors are events', () => {
    const ch = new OutOfProcChannel();
    expect(server(ch, `<Data Stream='Default' PSGuid='${PID}'>AQI=</Data>`, '__NamedPipeError__:broken')).toEqual([
      { type: 'data', psGuid: PID, payload: bytes(1, 2) },
      { type: 'serverError', message: 'broken' },
    ]);
  });

  test.each([
    ['a DataAck with nothing in flight', `<DataAck PSGuid='${POOL_GUID}' />`],
    ['an ack for an unknown GUID', `<CommandAck PSGuid='${PID}' />`],
    ['a CloseAck before any Close', `<CloseAck PSGuid='${POOL_GUID}' />`],
    ['a client-only element', `<Command PSGuid='${PID}' />`],
    ['a blank line', ''],
  ])('%s is a protocol error', (_what, line) => {
    const ch = new OutOfProcChannel();
    expect(() => server(ch, line)).toThrow(RemoteProtocolError);
  });
});
