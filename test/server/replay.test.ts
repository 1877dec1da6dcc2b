import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { startReplayServer, recordingIds, type ReplayServer } from '../../src/server/replay.js';
import { describeRequest, type Recording } from '../../src/server/recording.js';
import { parseEnvelope } from '../../src/wsman/index.js';
import { allRecordingFiles, recording } from '../helpers/recordings.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function post(url: string, body: string): Promise<{ status: number; body: string } | 'connection-error'> {
  try {
    const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/soap+xml;charset=UTF-8' } });
    return { status: r.status, body: await r.text() };
  } catch {
    return 'connection-error';
  }
}

const swapCaseless = (s: string, from: string, to: string) =>
  s.replace(new RegExp(from.replace(/[-]/g, '\\-'), 'gi'), (m) => (m === m.toLowerCase() ? to.toLowerCase() : to.toUpperCase()));

/**
 * A scripted client: sends the recorded requests in order with fresh MessageIDs and,
 * for client-chosen ids (PowerShell ShellId and CommandId), fresh random ids, and
 * checks that each answer is the recorded one with ids and RelatesTo mapped.
 */
async function replayAll(rec: Recording): Promise<void> {
  server = await startReplayServer({ recording: rec, maxDelayMs: 10 });
  const fresh = new Map<string, string>(); // recorded id -> live id
  for (const x of rec.exchanges) {
    const info = describeRequest(x.request);
    if (x.operation === 'Create' && info.shellId) fresh.set(info.shellId.toUpperCase(), randomUUID().toUpperCase());
    if (x.operation === 'Command' && info.commandId && x.resourceUri?.startsWith('http://schemas.microsoft.com/powershell/')) {
      fresh.set(info.commandId.toUpperCase(), randomUUID().toUpperCase());
    }
    const messageId = randomUUID().toUpperCase();
    let req = x.request.replace(/(<(?:[\w-]+:)?MessageID[^>]*>)[^<]*(<)/, `$1uuid:${messageId}$2`);
    req = req.split('${serviceUrl}').join(server.url).split('${messageId}').join(`uuid:${messageId}`);
    for (const [r, l] of fresh) req = swapCaseless(req, r, l);
    const res = await post(server.url, req);
    if (x.connectionError) {
      expect(res).toBe('connection-error');
      continue;
    }
    if (res === 'connection-error') throw new Error(`${rec.source}: connection error on ${x.operation}`);
    expect(res.status, `${rec.source} ${x.operation}`).toBe(x.authError ? 401 : x.response.status);
    if (x.authError) continue;
    let expected = x.response.body;
    for (const [r, l] of fresh) expected = swapCaseless(expected, r, l);
    const got = parseEnvelope(res.body);
    const want = parseEnvelope(expected.split('${serviceUrl}').join(server.url));
    expect(got.relatesTo).toBe(messageId);
    expect(got.action).toBe(want.action);
    // Same body once RelatesTo is set aside.
    const strip = (s: string) => s.replace(/<(?:[\w-]+:)?RelatesTo[^>]*>[^<]*<\/(?:[\w-]+:)?RelatesTo>/, '');
    expect(strip(res.body)).toBe(strip(expected.split('${serviceUrl}').join(server.url).split('${messageId}').join(`uuid:${messageId}`)));
  }
  expect(server.unmatched).toEqual([]);
  expect(server.remaining()).toEqual([]);
}

describe('the replay server serves every public recording to a scripted client', () => {
  test.each(allRecordingFiles())('%s', async (file) => {
    await replayAll(recording(file));
  });
});

describe('matching by operation and target', () => {
  test('requests out of recorded order but consistent per target are matched', async () => {
    // ClientPutFile has two shells, each Create, Command, (Send), Receive, Signal, Delete.
    const rec = recording('ClientPutFile.yml');
    server = await startReplayServer({ recording: rec });
    const byOp = (op: string, n = 0) => rec.exchanges.filter((x) => x.operation === op)[n]!;
    // Both Deletes and Signals are asked for before the Receive they follow in the recording.
    const order = [byOp('Create', 0), byOp('Create', 1), byOp('Command', 0), byOp('Command', 1), byOp('Signal', 1), byOp('Delete', 1), byOp('Send', 0), byOp('Receive', 0), byOp('Signal', 0), byOp('Receive', 1), byOp('Delete', 0)];
    for (const x of order) {
      const res = await post(server.url, x.request);
      expect(res).not.toBe('connection-error');
      if (res !== 'connection-error') expect(parseEnvelope(res.body).action).toBe(parseEnvelope(x.response.body).action);
    }
    expect(server.unmatched).toEqual([]);
    expect(server.served.map((s) => s.exchange)).toEqual(order.map((x) => rec.exchanges.indexOf(x)));
  });

  test('unmatched requests are reported and answered with a fault, never silently', async () => {
    const rec = recording('test_winrs_standard.yml');
    server = await startReplayServer({ recording: rec });
    const [create, command, receive] = rec.exchanges;
    await post(server.url, create!.request);
    // an unknown ShellId
    const wrongShell = command!.request.replace(create!.shellId ?? describeRequest(command!.request).shellId!, '11111111-2222-3333-4444-555555555555');
    const r1 = await post(server.url, wrongShell.replace(describeRequest(command!.request).shellId!, '11111111-2222-3333-4444-555555555555'));
    // an action the recording never saw
    const r2 = await post(server.url, receive!.request.replace('windows/shell/Receive<', 'windows/shell/Frobnicate<'));
    // a second Create when the recording has one: a second client, replayed from the start
    // with a fresh server-chosen ShellId so the two stay apart
    const r3 = await post(server.url, create!.request);
    if (r3 === 'connection-error') throw new Error('unexpected');
    expect(r3.status).toBe(200);
    const firstShell = server.served[0]!.shellId ?? /ShellId>([^<]+)</.exec(create!.response.body)![1];
    const secondShell = /ShellId>([^<]+)</.exec(r3.body)![1]!;
    expect(secondShell).toMatch(/^[0-9A-F-]{36}$/);
    expect(secondShell).not.toBe(firstShell);
    // not SOAP at all
    const r4 = await post(server.url, 'hello');
    for (const r of [r1, r2]) {
      if (r === 'connection-error') throw new Error('unexpected');
      expect(r.status).toBe(500);
      expect(parseEnvelope(r.body).fault?.message).toMatch(/^psremote replay: /);
    }
    expect(r4).toEqual({ status: 400, body: expect.stringContaining('not a SOAP request') });
    expect(server.unmatched.map((u) => [u.index, u.operation, u.reason])).toEqual([
      [1, 'Command', 'unknown ShellId 11111111-2222-3333-4444-555555555555'],
      [2, 'Invoke', 'no recorded Invoke for this target'],
      [4, 'unknown', expect.stringContaining('not a SOAP request')],
    ]);
  });

  test('a CommandId qualified with the shell namespace (winrm4j) is read like an unqualified one', () => {
    const rec = recording('win12.xml');
    const cmd = rec.exchanges.find((x) => x.operation === 'Command')!;
    const receive = rec.exchanges.find((x) => x.operation === 'Receive')!;
    expect(receive.request).toContain('ns1:CommandId=');
    expect(receive.commandId).toBe('D6BF85B4-E0D0-4770-9330-F5474E967185');
    expect(cmd.response.body).toContain('D6BF85B4-E0D0-4770-9330-F5474E967185');
  });

  test('recordingIds gives the pool, shell and pipeline ids a client must use', () => {
    const rec = recording('test_psrp_with_history.yml');
    const ids = recordingIds(rec);
    expect(ids.shellId).toBe(rec.exchanges[0]!.shellId);
    // pypsrp wrote PSRP GUIDs in big-endian byte order when these were recorded, so
    // the RPID read per MS-PSRP (little-endian) is the ShellId with its first three
    // fields byte-swapped; the server echoes the bytes either way (spec-notes/ms-psrp.md).
    const swapped = (g: string) => {
      const h = g.replace(/-/g, '');
      const sw = (x: string) => x.match(/../g)!.reverse().join('');
      const b = sw(h.slice(0, 8)) + sw(h.slice(8, 12)) + sw(h.slice(12, 16)) + h.slice(16);
      return `${b.slice(0, 8)}-${b.slice(8, 12)}-${b.slice(12, 16)}-${b.slice(16, 20)}-${b.slice(20)}`.toLowerCase();
    };
    expect(ids.runspacePoolId).toBe(swapped(ids.shellId!));
    const commands = rec.exchanges.filter((x) => x.operation === 'Command').map((x) => x.commandId!.toLowerCase());
    expect(commands).toHaveLength(2);
    expect(ids.pipelineIds).toEqual(commands.map(swapped));
  });
});
