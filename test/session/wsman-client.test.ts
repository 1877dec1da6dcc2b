import { afterEach, describe, expect, test } from 'vitest';
import { startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { recording } from '../helpers/recordings.js';
import { startServer, type TestServer } from '../transport/http/helpers.js';

let replay: ReplayServer | undefined;
let server: TestServer | undefined;
afterEach(async () => {
  await replay?.close();
  await server?.close();
  replay = server = undefined;
});

describe('MaxEnvelopeSizekb from the WinRM config (real pypsrp recordings)', () => {
  test.each([
    ['test_wsman_update_envelope_size_500.yml', 500],
    ['test_wsman_update_envelope_size_150.yml', 150],
  ])('%s → %i KiB, applied on request', async (file, kb) => {
    replay = await startReplayServer({ recording: recording(file) });
    const c = new WSManClient(new HttpTransport({ endpoint: replay.url }));
    expect(c.maxEnvelopeSize).toBe(153_600);
    expect(await c.getMaxEnvelopeSizeKb({ apply: true })).toBe(kb);
    expect(c.maxEnvelopeSize).toBe(kb * 1024);
    expect(replay.unmatched).toEqual([]);
    await c.close();
  });
});

describe('headers of every request', () => {
  test('fresh MessageIDs, one SessionId, OperationTimeout and MaxEnvelopeSize as configured', async () => {
    server = await startServer((r, res) => {
      const mid = /<wsa:MessageID>([^<]*)</.exec(r.body)![1];
      res
        .writeHead(200, { 'content-type': 'application/soap+xml' })
        .end(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:RelatesTo>${mid}</a:RelatesTo></s:Header><s:Body/></s:Envelope>`);
    });
    const c = new WSManClient(new HttpTransport({ endpoint: server.url }), { operationTimeoutMs: 7500, maxEnvelopeSize: 512_000 });
    await c.delete('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', 'S1');
    await c.signal('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', 'S1', 'x', { commandId: 'C1' });
    const [a, b] = server.requests.map((r) => r.body);
    const mid = (s: string) => /<wsa:MessageID>uuid:([^<]*)</.exec(s)![1];
    const sid = (s: string) => /<wsmv:SessionId[^>]*>uuid:([^<]*)</.exec(s)![1];
    expect(mid(a!)).toMatch(/^[0-9A-F-]{36}$/);
    expect(mid(a!)).not.toBe(mid(b!));
    expect(sid(a!)).toBe(c.sessionId);
    expect(sid(b!)).toBe(c.sessionId);
    expect(a).toContain('<wsman:OperationTimeout>PT7.500S</wsman:OperationTimeout>');
    expect(a).toContain('<wsman:MaxEnvelopeSize s:mustUnderstand="true">512000</wsman:MaxEnvelopeSize>');
    expect(a).toContain(`<wsa:To>${server.url}</wsa:To>`);
    await c.close();
  });
});
