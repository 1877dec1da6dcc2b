// OutOfProcCarrier over a scripted connection (no process): the packets it
// writes for open / pipeline / stop / finish / close, and typed errors for a
// server that breaks the framing, reports an error in-band, dies, or never
// answers a Close. The server side is hand-written in the real engine's format.
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { AbortError, RemoteProtocolError, TimeoutError } from '../../../src/errors.js';
import { OutOfProcCarrier } from '../../../src/session/carriers/outofproc-carrier.js';
import { OutOfProcTransportError, POOL_GUID, type OutOfProcConnection, type OutOfProcErrorDetails } from '../../../src/transport/outofproc/index.js';

const PID = '882d4467-44a1-484c-8bcf-bd640a6de753';

function fakeConnection() {
  const input = new PassThrough();
  const output = new PassThrough();
  const written: string[] = [];
  let buffered = '';
  output.on('data', (d: Buffer) => {
    buffered += d.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    written.push(...parts);
  });
  let end!: (d: OutOfProcErrorDetails) => void;
  const ended = new Promise<OutOfProcErrorDetails>((r) => (end = r));
  let shutdowns = 0;
  const conn: OutOfProcConnection = {
    peer: 'exec:fake',
    input,
    output,
    ended,
    stderrTail: () => '',
    shutdown: async () => {
      shutdowns++;
    },
  };
  const tick = () => new Promise((r) => setImmediate(r));
  return {
    conn,
    written,
    shutdowns: () => shutdowns,
    serve: async (...lines: string[]) => {
      input.write(lines.map((l) => `${l}\n`).join(''));
      await tick();
    },
    die: async (d: Partial<OutOfProcErrorDetails>) => {
      end({ peer: 'exec:fake', ...d });
      await tick();
    },
    tick,
  };
}

function sink() {
  const payloads: Uint8Array[] = [];
  const errors: Error[] = [];
  return { payloads, errors, payload: (d: Uint8Array) => payloads.push(d), error: (e: Error) => errors.push(e) };
}

const first = { data: new Uint8Array([1]), streamType: 'default' as const };

async function opened(options = {}) {
  const f = fakeConnection();
  const s = sink();
  const carrier = new OutOfProcCarrier(f.conn, options);
  const open = carrier.openPool(first, s);
  await f.tick();
  await f.serve(`<DataAck PSGuid='${POOL_GUID}' />`, `<Data Stream='Default' PSGuid='${POOL_GUID}'>Bw==</Data>`);
  await open;
  return { f, s, carrier };
}

describe('OutOfProcCarrier', () => {
  test('a pipeline: Command, its data after the CommandAck, Signal, Close; then the pool Close and the end', async () => {
    const { f, s, carrier } = await opened();
    expect(f.written).toEqual([`<Data Stream='Default' PSGuid='${POOL_GUID}'>AQ==</Data>`]);
    expect(s.payloads).toEqual([new Uint8Array([7])]);

    const sent = carrier.send({ data: new Uint8Array([2]), streamType: 'default', pipelineId: PID });
    await f.tick();
    expect(f.written.at(-1)).toBe(`<Command PSGuid='${PID}' />`);
    await f.serve(`<CommandAck PSGuid='${PID}' />`);
    expect(f.written.at(-1)).toBe(`<Data Stream='Default' PSGuid='${PID}'>Ag==</Data>`);
    await f.serve(`<DataAck PSGuid='${PID}' />`);
    await sent;

    const reply = carrier.send({ data: new Uint8Array([3]), streamType: 'promptResponse', pipelineId: PID });
    await f.tick();
    expect(f.written.at(-1)).toBe(`<Data Stream='PromptResponse' PSGuid='${PID}'>Aw==</Data>`);
    await f.serve(`<DataAck PSGuid='${PID}' />`);
    await reply;

    const stop = carrier.stopPipeline(PID);
    await f.tick();
    expect(f.written.at(-1)).toBe(`<Signal PSGuid='${PID}' />`);
    await f.serve(`<SignalAck PSGuid='${PID}' />`);
    await stop;

    carrier.pipelineFinished(PID);
    carrier.pipelineFinished(PID); // once only
    await f.tick();
    const close = carrier.closePool();
    await f.tick();
    expect(f.written.slice(-1)).toEqual([`<Close PSGuid='${PID}' />`]);
    await f.serve(`<CloseAck PSGuid='${PID}' />`);
    expect(f.written.at(-1)).toBe(`<Close PSGuid='${POOL_GUID}' />`);
    await f.serve(`<CloseAck PSGuid='${POOL_GUID}' />`);
    await close;
    expect(f.shutdowns()).toBe(1);
    expect(s.errors).toEqual([]);
    expect(carrier.requestCounts).toEqual({ Data: 3, Command: 1, Signal: 1, Close: 2 });
  });

  test('closePool closes pipelines that never finished before the pool', async () => {
    const { f, carrier } = await opened();
    const sent = carrier.send({ data: new Uint8Array([2]), streamType: 'default', pipelineId: PID });
    await f.serve(`<CommandAck PSGuid='${PID}' />`, `<DataAck PSGuid='${PID}' />`);
    await sent;
    const close = carrier.closePool();
    await f.tick();
    expect(f.written.at(-1)).toBe(`<Close PSGuid='${PID}' />`);
    await f.serve(`<CloseAck PSGuid='${PID}' />`, `<CloseAck PSGuid='${POOL_GUID}' />`);
    await close;
  });

  test('a malformed server line fails the carrier with a typed error and ends the connection', async () => {
    const { f, s, carrier } = await opened();
    const sent = carrier.send({ data: new Uint8Array([1]), streamType: 'default' }).catch((x: unknown) => x);
    await f.serve(`<Data Stream='Default' PSGuid='${POOL_GUID}'>not base64!</Data>`);
    expect(await sent).toBeInstanceOf(RemoteProtocolError);
    expect(s.errors[0]).toMatchObject({ code: 'PSR_OUTOFPROC_INVALID' });
    expect(f.shutdowns()).toBe(1);
    await expect(carrier.send({ data: new Uint8Array([1]), streamType: 'default' })).rejects.toBe(s.errors[0]);
  });

  test('an in-band transport error fails the carrier with what the server said', async () => {
    const { f, s } = await opened();
    await f.serve('__NamedPipeError__:The pipe is broken.');
    expect(s.errors[0]).toBeInstanceOf(OutOfProcTransportError);
    expect(s.errors[0]!.message).toMatch(/reported a transport error; the server wrote: The pipe is broken\./);
  });

  test('a server that dies while we wait gives PSR_PEER_EXITED with exit code and stderr', async () => {
    const { f, s, carrier } = await opened();
    const sent = carrier.send({ data: new Uint8Array([1]), streamType: 'default' }).catch((x: unknown) => x);
    await f.die({ exitCode: 160, stderr: 'An unknown element "" was received.' });
    const e = await sent;
    expect(e).toBeInstanceOf(OutOfProcTransportError);
    expect(e).toMatchObject({ code: 'PSR_PEER_EXITED', exitCode: 160 });
    expect((e as Error).message).toBe('exec:fake: the PSRP server exited with code 160; the server wrote: An unknown element "" was received.');
    expect(s.errors).toEqual([e]);
  });

  test('a pool Close that is never answered times out, and the connection still ends', async () => {
    const { f, carrier } = await opened({ closeTimeoutMs: 50 });
    await expect(carrier.closePool()).rejects.toBeInstanceOf(TimeoutError);
    expect(f.shutdowns()).toBe(1);
  });

  test('an abort signal rejects the wait', async () => {
    const { carrier } = await opened();
    const ac = new AbortController();
    const sent = carrier.send({ data: new Uint8Array([1]), streamType: 'default' }, ac.signal);
    ac.abort(new Error('caller gave up'));
    const e = await sent.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AbortError);
    expect((e as AbortError).cause).toEqual(new Error('caller gave up'));
  });
});
