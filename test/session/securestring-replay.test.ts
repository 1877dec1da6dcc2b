// SecureStrings through the public session API, replayed from a real Windows
// conversation (pypsrp's test_psrp_pshost_ui_mocked_methods): the pool exchanges
// a session key with the server (PUBLIC_KEY → ENCRYPTED_SESSION_KEY, decrypted
// with the RSA key pypsrp used, from fixtures/upstream/derived), the host answers
// Read-Host -AsSecureString and Get-Credential with SecureStrings that go out
// encrypted, and the SecureStrings the server sent back decrypt to their text.
import { afterEach, expect, test } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { recordingIds, startReplayServer, type ReplayServer } from '../../src/server/replay.js';
import { openSession } from '../../src/session/open.js';
import type { HostCall } from '../../src/session/host/host.js';
import { getProperty, makeObject, makeSecureString, readSecureString } from '../../src/psrp/clixml-bridge.js';
import { SessionKeyCipher } from '../../src/psrp/key-exchange.js';
import { MessageDecoder } from '../../src/psrp/decode.js';
import { messageText, messageTypeSpecName } from '../../src/psrp/message.js';
import { decodeBody } from '../../src/psrp/messages.js';
import { toPlain } from '../../src/clixml/plain.js';
import { formatProgress } from '../../src/cli/progress.js';
import { recording } from '../helpers/recordings.js';
import { SESSION_KEY_VECTORS, fixtureKey } from '../psrp/helpers/keys.js';

let server: ReplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('test_psrp_pshost_ui_mocked_methods: key exchange, SecureString host answers and outputs', async () => {
  const rec = recording('test_psrp_pshost_ui_mocked_methods.yml');
  const ids = recordingIds(rec);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 100 });
  const privateKey = fixtureKey();
  const calls: string[] = [];
  const host = {
    call(c: HostCall) {
      calls.push(c.method);
      switch (c.method) {
        case 'ReadLine':
          return 'ReadLine response';
        case 'ReadLineAsSecureString':
          return makeSecureString('ReadLineAsSecureString response');
        case 'Prompt':
          return makeObject([['prompt field', 'prompt response']]);
        case 'PromptForCredential2':
          return makeObject([['UserName', 'username'], ['Password', makeSecureString('password')]]);
        case 'PromptForChoice':
          return 1;
        default:
          return undefined;
      }
    },
  };
  const pool = await openSession(server.url, {
    runspacePoolId: ids.runspacePoolId!,
    shellId: ids.shellId!,
    keyPair: { privateKey, publicKey: createPublicKey(privateKey) },
    host,
  });
  await pool.exchangeKey();
  const result = await pool.invoke('replayed', { pipelineId: ids.pipelineIds[0]!, host }).result();
  await pool.close();
  expect(server.unmatched).toEqual([]);

  expect(calls).toEqual([
    'ReadLine', 'ReadLineAsSecureString', 'Write1', 'Write2', 'WriteLine1', 'WriteLine2', 'WriteLine3', 'WriteErrorLine',
    'WriteDebugLine', 'WriteProgress', 'WriteProgress', 'WriteVerboseLine', 'WriteWarningLine', 'Prompt', 'PromptForCredential2', 'PromptForChoice',
  ]);
  // The server's echo of the SecureString decrypts with the key the exchange gave us.
  expect(result.output[0]).toBe('ReadLine response');
  // The real progress records as the CLI draws them on a terminal.
  expect(result.progress.map((p) => formatProgress(p))).toEqual([undefined, 'activity: description']); // the first is a Completed record
  expect(readSecureString(result.output[1])).toBe('ReadLineAsSecureString response');

  // Our answers went out encrypted with the session key (the one in the vectors).
  const cipher = new SessionKeyCipher(new Uint8Array(Buffer.from(SESSION_KEY_VECTORS.aes_256_session_key_hex, 'hex')));
  const d = new MessageDecoder();
  const sent = server.served.flatMap((x) =>
    [...x.request.matchAll(/<(?:\w+:)?(?:Stream|creationXml|Arguments)\b[^>]*>([^<]+)</g)].flatMap((m) => d.receive(Buffer.from(m[1]!, 'base64'))),
  );
  const types = sent.map((m) => messageTypeSpecName(m.message.messageType));
  expect(types.slice(0, 4)).toEqual(['SESSION_CAPABILITY', 'INIT_RUNSPACEPOOL', 'PUBLIC_KEY', 'CREATE_PIPELINE']);
  const responses = sent
    .filter((m) => messageTypeSpecName(m.message.messageType) === 'PIPELINE_HOST_RESPONSE')
    .map((m) => (decodeBody(m.message.messageType as never, messageText(m.message), { cipher }) as { result?: unknown }).result);
  expect(readSecureString(responses[1])).toBe('ReadLineAsSecureString response');
  expect(toPlain(responses[3])).toMatchObject({ UserName: 'username' });
  expect(readSecureString(getProperty(responses[3], 'Password'))).toBe('password');
  // …and nowhere in clear text on the wire.
  expect(server.served.map((x) => x.request).join('')).not.toContain(Buffer.from('password', 'utf16le').toString('base64').slice(0, 8));
});

test('test_psrp_key_exchange_timeout: a server that never answers PUBLIC_KEY gives a timeout error, not a hang', async () => {
  const rec = recording('test_psrp_key_exchange_timeout.yml');
  const ids = recordingIds(rec);
  server = await startReplayServer({ match: 'lenient', recording: rec, holdExhaustedReceiveMs: 100 });
  const pool = await openSession(server.url, { runspacePoolId: ids.runspacePoolId!, shellId: ids.shellId!, keyExchangeTimeoutMs: 500 });
  const t0 = Date.now();
  const err = await pool.exchangeKey().catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'PSR_TIMEOUT' });
  expect((err as Error).message).toBe('the server did not answer the session key exchange (PUBLIC_KEY) within 500 ms');
  expect(Date.now() - t0).toBeLessThan(10_000);
  await pool.close();
  expect(server.unmatched).toEqual([]);
});
