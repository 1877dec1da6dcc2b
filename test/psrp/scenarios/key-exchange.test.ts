import { createPublicKey } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ClientPowerShell, InvalidProtocolVersionError } from '../../../src/psrp/index.js';
import { makeSecureString, readSecureString } from '../../../src/psrp/clixml-bridge.js';
import { fixtureKey } from '../helpers/keys.js';
import { PID1, openPair, types } from '../helpers/pool-pair.js';

const privateKey = fixtureKey();
const keyPair = { privateKey, publicKey: createPublicKey(privateKey) };
const SESSION_KEY = new Uint8Array(32).map((_, i) => 255 - i);

describe('session key exchange (protocol 2.2 / 2.3)', () => {
  test('client-started: PUBLIC_KEY -> ENCRYPTED_SESSION_KEY, then SecureStrings both ways', () => {
    const pair = openPair({ client: { keyPair }, server: { sessionKey: SESSION_KEY } });
    const { client, server } = pair;
    expect(client.hasSessionKey).toBe(false);
    client.exchangeKey();
    expect(client.keyExchangePending).toBe(true);
    client.exchangeKey(); // idempotent while pending
    const se = pair.toServer();
    expect(types(se)).toEqual(['PublicKey']);
    expect(server.hasSessionKey).toBe(true);
    const ce = pair.toClient();
    expect(types(ce)).toEqual(['EncryptedSessionKey']);
    expect(client.hasSessionKey).toBe(true);
    expect(client.keyExchangePending).toBe(false);
    // Both sides hold the same key: what one encrypts, the other decrypts.
    expect(client.secureStringCipher!.decrypt(server.secureStringCipher!.encrypt('x'))).toBe('x');

    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 })
      .addCommand('ConvertFrom-SecureString')
      .addParameter('SecureString', makeSecureString('p@ssw0rd'));
    ps.start();
    const [create] = pair.toServer();
    if (create?.type !== 'CreatePipeline') throw new Error('unreachable');
    expect(readSecureString(create.pipeline.statements[0]![0]!.parameters[0]!.value)).toBe('p@ssw0rd');
    const sp = server.pipelines.get(PID1)!;
    sp.start();
    sp.writeOutput(makeSecureString('from server'));
    sp.complete();
    const out = pair.toClient();
    expect(readSecureString((out[0] as { value: unknown }).value)).toBe('from server');
    for (const p of [...pair.sentByClient, ...pair.sentByServer]) {
      const text = Buffer.from(p.data).toString('latin1');
      expect(text).not.toContain('p@ssw0rd');
      expect(text).not.toContain('from server');
      expect(Buffer.from(p.data).toString('utf16le')).not.toContain('p@ssw0rd');
    }
  });

  test('server-requested: PUBLIC_KEY_REQUEST is answered by the client on its own', () => {
    const pair = openPair({ client: { keyPair } });
    pair.server.requestPublicKey();
    expect(types(pair.toClient())).toEqual(['PublicKeyRequest']);
    expect(types(pair.toServer())).toEqual(['PublicKey']);
    // No sessionKey option: the layer above answers.
    expect(pair.server.hasSessionKey).toBe(false);
    pair.server.sendSessionKey(SESSION_KEY);
    expect(types(pair.toClient())).toEqual(['EncryptedSessionKey']);
    expect(Buffer.from(pair.client.secureStringCipher!.encrypt('abc'))).toEqual(Buffer.from(pair.server.secureStringCipher!.encrypt('abc')));
  });

  test('without a key pair the client cannot answer; exchangeKey(pair) completes it later', () => {
    const pair = openPair({ server: { sessionKey: SESSION_KEY } });
    pair.server.requestPublicKey();
    pair.toClient();
    expect(pair.client.dataToSend(100000)).toBeUndefined();
    expect(() => pair.client.exchangeKey()).toThrow(/needs an RSA key pair/);
    pair.client.exchangeKey(keyPair);
    pair.toServer();
    pair.toClient();
    expect(pair.client.hasSessionKey).toBe(true);
  });

  test('a SecureString before the exchange is refused and nothing is queued', () => {
    const pair = openPair({ client: { keyPair } });
    const ps = new ClientPowerShell(pair.client, { pipelineId: PID1 }).addCommand('x').addArgument(makeSecureString('s'));
    expect(() => ps.start()).toThrow(expect.objectContaining({ code: 'PSR_PSRP_CRYPTO' }));
    expect(pair.client.dataToSend(100000)).toBeUndefined();
  });

  test('at protocol 2.4 there is no key exchange', () => {
    const pair = openPair({ client: { keyPair, protocolVersion: '2.4' }, server: { protocolVersion: '2.4' } });
    expect(() => pair.client.exchangeKey()).toThrow(InvalidProtocolVersionError);
    expect(() => pair.server.requestPublicKey()).toThrow(InvalidProtocolVersionError);
    expect(() => pair.client.exchangeKey()).toThrow(expect.objectContaining({ code: 'PSR_PSRP_VERSION', feature: 'SessionKeyExchange' }));
  });

  test('ENCRYPTED_SESSION_KEY nobody asked for breaks the client pool', () => {
    const a = openPair({ client: { keyPair }, server: { sessionKey: SESSION_KEY } });
    const b = openPair();
    a.client.exchangeKey();
    a.toServer();
    const p = a.server.dataToSend(100000)!;
    b.client.receiveData(p.data);
    expect(() => b.client.nextEvent()).toThrow(/without a PUBLIC_KEY/);
  });
});
