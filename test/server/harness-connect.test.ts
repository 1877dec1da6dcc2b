// The Connect side channel of the real engine (src/server/harness-connect.ts)
// and RealEngine.connect against stand-in engine processes: a node script that
// plays the host's side of the channel. Hand-written: the engine's real answers
// are tested in test/peer/real-engine-connect.test.ts; these cover what the real
// host does not do on demand (silence, dying, malformed or unasked replies).
import { afterEach, expect, test } from 'vitest';
import { HARNESS_CONNECT_GUID, harnessConnectRequest, parseHarnessReply } from '../../src/server/harness-connect.js';
import { RealEngine } from '../../src/server/real-engine.js';

const engines: RealEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

/** A stand-in engine: runs `onLine(line)` for each line of stdin (JS source). */
function fakeEngine(onLine: string): RealEngine {
  const script = `require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => { ${onLine} });`;
  const e = new RealEngine([process.execPath, '-e', script]);
  engines.push(e);
  return e;
}

test('the request is an ordinary OutOfProc Data line for the reserved PSGuid', () => {
  expect(harnessConnectRequest(new Uint8Array([1, 2, 3]))).toBe(`<Data Stream='Default' PSGuid='${HARNESS_CONNECT_GUID}'>AQID</Data>`);
});

test('replies: response, error (XML-unescaped), a DataAck for the reserved PSGuid, and anything else passes', () => {
  expect(parseHarnessReply('<HarnessConnectResponse>AQID</HarnessConnectResponse>')).toEqual({ kind: 'response', data: new Uint8Array([1, 2, 3]) });
  expect(parseHarnessReply('<HarnessConnectError>a &lt;b&gt; &amp; &quot;c&quot;</HarnessConnectError>')).toEqual({ kind: 'error', message: 'a <b> & "c"' });
  expect(parseHarnessReply(`<DataAck PSGuid='${HARNESS_CONNECT_GUID}' />`)).toEqual({ kind: 'unsupported' });
  expect(parseHarnessReply('<HarnessConnectResponse>not base64!</HarnessConnectResponse>')).toMatchObject({ kind: 'error', message: expect.stringMatching(/^malformed connect reply/) });
  expect(parseHarnessReply("<DataAck PSGuid='00000000-0000-0000-0000-000000000000' />")).toBeUndefined();
  expect(parseHarnessReply("<Data Stream='Default' PSGuid='00000000-0000-0000-0000-000000000000'>AQID</Data>")).toBeUndefined();
});

test('connect resolves with the engine response; the lines around it still reach the OutOfProc channel', async () => {
  const e = fakeEngine(`if (line.includes('${HARNESS_CONNECT_GUID}')) {
      process.stdout.write("<Data Stream='Default' PSGuid='00000000-0000-0000-0000-000000000000'>AQ==</Data>\\n<HarnessConnectResponse>BAUG</HarnessConnectResponse>\\n");
    }`);
  const payloads: number[][] = [];
  e.onPayload = (p) => payloads.push([...p.data]);
  expect([...(await e.connect(new Uint8Array([9])))]).toEqual([4, 5, 6]);
  expect(payloads).toEqual([[1]]);
  expect(e.failure).toBeUndefined();
});

test('the engine refuses: RemoteProtocolError with its message; requests are answered in order', async () => {
  const e = fakeEngine(`if (line.includes('${HARNESS_CONNECT_GUID}')) process.stdout.write(line.includes('AQ==') ? '<HarnessConnectError>no &amp; never</HarnessConnectError>\\n' : '<HarnessConnectResponse>Ag==</HarnessConnectResponse>\\n');`);
  const [first, second] = await Promise.allSettled([e.connect(new Uint8Array([1])), e.connect(new Uint8Array([2]))]);
  expect(first).toMatchObject({ status: 'rejected', reason: { code: 'PSR_PSRP_PROTOCOL', message: 'the PowerShell engine refused Connect: no & never' } });
  expect(second).toMatchObject({ status: 'fulfilled', value: new Uint8Array([2]) });
});

test('an engine without the hook acknowledges the request as data: a UsageError at once, and the engine goes on', async () => {
  const e = fakeEngine(`const m = /PSGuid='([^']+)'/.exec(line); if (m) process.stdout.write("<DataAck PSGuid='" + m[1] + "' />\\n");`);
  await expect(e.connect(new Uint8Array([1]))).rejects.toMatchObject({ code: 'PSR_USAGE', message: expect.stringMatching(/^Connect from another client is not supported by this engine/) });
  expect(e.failure).toBeUndefined();
});

test('an engine that never answers: TimeoutError, not a hang', async () => {
  const e = fakeEngine('');
  await expect(e.connect(new Uint8Array([1]), 300)).rejects.toMatchObject({ code: 'PSR_TIMEOUT' });
});

test('an engine that dies during Connect: PSR_PEER_EXITED with what it wrote', async () => {
  const e = fakeEngine(`process.stderr.write('crashed on connect'); process.exit(3);`);
  await expect(e.connect(new Uint8Array([1]))).rejects.toMatchObject({ code: 'PSR_PEER_EXITED', message: expect.stringMatching(/crashed on connect/) });
  await expect(e.connect(new Uint8Array([1]))).rejects.toMatchObject({ code: 'PSR_PEER_EXITED' });
});

test('a connect reply nobody asked for breaks the engine (framing error), it is not taken as data', async () => {
  const e = fakeEngine(`process.stdout.write('<HarnessConnectResponse>AQ==</HarnessConnectResponse>\\n');`);
  const reason = new Promise<string>((resolve) => (e.onFailure = resolve));
  e.receive(new Uint8Array([1])); // any line makes the stand-in answer
  expect(await reason).toMatch(/broke the OutOfProc framing: a connect reply nobody asked for/);
});
