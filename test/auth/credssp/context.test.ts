// CredSSP in memory, both sides ours (no real CredSSP exchange with keys
// exists in the fixtures): the legs and their fields, the delegated password
// arriving at the acceptor, and the refusals: a tampered public-key binding
// (a different TLS key, an altered pubKeyAuth), a wrong password (answered
// with errorCode STATUS_LOGON_FAILURE, which the client reports), an old
// protocol version on either side, a server binding that does not verify.
// The old-version (2-4) binding is checked with minVersion lowered.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CredSspAcceptor, CredSspInitiator, STATUS_LOGON_FAILURE, type CredSspAcceptorOptions, type CredSspInitiatorOptions } from '../../../src/auth/credssp/context.js';
import { bindingValue, subjectPublicKey } from '../../../src/auth/credssp/public-key.js';
import { decodeTSRequest, encodeTSRequest } from '../../../src/auth/credssp/ts-request.js';
import { NtlmAcceptor } from '../../../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../../../src/auth/ntlm/crypto.js';
import { NtlmInitiator } from '../../../src/auth/ntlm/initiator.js';
import { PsRemoteError } from '../../../src/errors.js';
import { makePki, type Pki } from '../../transport/http/pki.js';

let pki: Pki;
let key: Uint8Array;
let otherKey: Uint8Array;
beforeAll(() => {
  pki = makePki();
  key = subjectPublicKey(new Uint8Array(new X509Certificate(pki.serverCert).raw));
  otherKey = subjectPublicKey(new Uint8Array(new X509Certificate(pki.namedCert).raw));
});
afterAll(() => pki.cleanup());

const lookup = (user: string) => (user.toLowerCase() === 'alice' ? ntowfv1('Secret-1') : undefined);

function pair(i: Partial<CredSspInitiatorOptions> = {}, a: Partial<CredSspAcceptorOptions> = {}) {
  const password = i.password ?? 'Secret-1';
  const client = new CredSspInitiator({
    ntlm: new NtlmInitiator({ credentials: { username: 'WINRM\\alice', password }, targetName: 'HTTP/winrm.test' }),
    username: 'WINRM\\alice',
    password,
    serverPublicKey: key,
    ...i,
  });
  const server = new CredSspAcceptor({ ntlm: new NtlmAcceptor({ lookup, requireSealing: true }), publicKey: key, ...a });
  return { client, server };
}

async function refusal(f: () => unknown): Promise<PsRemoteError> {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PsRemoteError);
    return e as PsRemoteError;
  }
  throw new Error('expected a refusal');
}

describe('subjectPublicKey', () => {
  test('is the RSAPublicKey that node sees in the certificate', () => {
    const pkcs1 = new X509Certificate(pki.serverCert).publicKey.export({ type: 'pkcs1', format: 'der' });
    expect(Buffer.from(key).equals(pkcs1)).toBe(true);
  });
});

describe('CredSSP handshake', () => {
  test('version 6: three client legs, the binding both ways, the password delegated', () => {
    const { client, server } = pair();
    const t1 = client.initial();
    expect(decodeTSRequest(t1)).toMatchObject({ version: 6 });
    const s1 = server.step(t1);
    const t2 = client.step(s1.token!);
    const m2 = decodeTSRequest(t2);
    expect(m2.clientNonce?.byteLength).toBe(32);
    expect(m2.pubKeyAuth!.byteLength).toBe(16 + 32);
    const s2 = server.step(t2);
    expect(decodeTSRequest(s2.token!).pubKeyAuth!.byteLength).toBe(16 + 32);
    const t3 = client.step(s2.token!);
    expect(client.complete).toBe(true);
    const m3 = decodeTSRequest(t3);
    expect(Object.keys(m3).sort()).toEqual(['authInfo', 'version']);
    expect(Buffer.from(m3.authInfo!).includes(Buffer.from('Secret-1', 'utf16le'))).toBe(false);
    const s3 = server.step(t3);
    expect(s3.token).toBeUndefined();
    expect(s3.accepted!.delegated).toEqual({ domainName: 'WINRM', userName: 'alice', password: 'Secret-1' });
    expect(s3.accepted!.authenticated.user.toLowerCase()).toBe('alice');
    expect(server.state).toBe('complete');
  });

  test('versions 2-4 echo the key with its first byte incremented, when allowed', () => {
    const { client, server } = pair({ version: 3, minVersion: 2 }, { minVersion: 2 });
    const t2 = client.step(server.step(client.initial()).token!);
    expect(decodeTSRequest(t2).clientNonce).toBeUndefined();
    expect(decodeTSRequest(t2).pubKeyAuth!.byteLength).toBe(16 + key.byteLength);
    const s3 = server.step(client.step(server.step(t2).token!));
    expect(s3.accepted!.delegated.password).toBe('Secret-1');
    expect(bindingValue('server-to-client', 3, key, undefined)[0]).toBe((key[0]! + 1) & 0xff);
  });
});

describe('refusals', () => {
  test('a client bound to another TLS key (man in the middle) is refused before any password is sent', async () => {
    const { client, server } = pair({ serverPublicKey: otherKey });
    const t2 = client.step(server.step(client.initial()).token!);
    const e = await refusal(() => server.step(t2));
    expect(e.code).toBe('PSR_AUTH_INTEGRITY');
    expect(e.message).toMatch(/public-key binding does not match.*client's/);
  });

  test('an altered pubKeyAuth fails NTLM unsealing', async () => {
    const { client, server } = pair();
    const m2 = decodeTSRequest(client.step(server.step(client.initial()).token!));
    const bad = m2.pubKeyAuth!.slice();
    bad[20]! ^= 1;
    const e = await refusal(() => server.step(encodeTSRequest({ ...m2, pubKeyAuth: bad })));
    expect(e.code).toBe('PSR_AUTH_INTEGRITY');
  });

  test("the server's binding for another key stops the client before it delegates", async () => {
    const { client, server } = pair();
    const s2 = server.step(client.step(server.step(client.initial()).token!));
    const m = decodeTSRequest(s2.token!);
    // One bit of the sealed server binding changed in transit.
    const e = await refusal(() => client.step(encodeTSRequest({ ...m, pubKeyAuth: m.pubKeyAuth!.map((b, i) => (i === 17 ? b ^ 1 : b)) })));
    expect(e.code).toBe('PSR_AUTH_INTEGRITY');
    expect(client.complete).toBe(false);
  });

  test('a wrong password: the acceptor refuses, answers STATUS_LOGON_FAILURE, the client reports it', async () => {
    const { client, server } = pair({ password: 'wrong' });
    const t2 = client.step(server.step(client.initial()).token!);
    const e = await refusal(() => server.step(t2));
    expect(e.code).toBe('PSR_AUTH_REJECTED');
    const reply = server.errorReply(STATUS_LOGON_FAILURE);
    expect(decodeTSRequest(reply).errorCode! >>> 0).toBe(STATUS_LOGON_FAILURE);
    const c = await refusal(() => client.step(reply));
    expect(c.code).toBe('PSR_AUTH_REJECTED');
    expect(c.message).toMatch(/0xc000006d \(STATUS_LOGON_FAILURE\)/);
    expect(c.message).not.toMatch(/wrong/);
  });

  test('an old protocol version is refused by the server and by the client', async () => {
    const { client, server } = pair({ version: 4 });
    const e = await refusal(() => server.step(client.initial()));
    expect(e.code).toBe('PSR_AUTH_NEGOTIATION');
    expect(e.message).toMatch(/client speaks CredSSP version 4; at least version 6/);

    const old = pair({}, { version: 3, minVersion: 2 });
    const s1 = old.server.step(old.client.initial());
    const c = await refusal(() => old.client.step(s1.token!));
    expect(c.code).toBe('PSR_AUTH_NEGOTIATION');
    expect(c.message).toMatch(/server speaks CredSSP version 3/);
  });

  test('a version-6 client without a 32-byte nonce is refused', async () => {
    const { client, server } = pair();
    const m2 = decodeTSRequest(client.step(server.step(client.initial()).token!));
    const { clientNonce: _n, ...noNonce } = m2;
    const e = await refusal(() => server.step(encodeTSRequest(noNonce)));
    expect(e.code).toBe('PSR_AUTH_INVALID');
    expect(e.message).toMatch(/32-byte clientNonce/);
  });
});
