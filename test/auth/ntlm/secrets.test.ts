// No password, NT hash, session key or sealed plaintext in any error message,
// endpoint log entry or recording, on every failure path we can provoke: in
// memory (sans-I/O) and over HTTP between our client and our endpoint.
import { inspect } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { NtlmAcceptor } from '../../../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../../../src/auth/ntlm/crypto.js';
import { NtlmInitiator } from '../../../src/auth/ntlm/initiator.js';
import { decodeAuthenticate } from '../../../src/auth/ntlm/messages.js';
import { gssChannelBindings } from '../../../src/auth/channel-bindings.js';
import { buildEncryptedBody, unwrapEncryptedBody } from '../../../src/auth/winrm-encryption.js';
import { startEndpoint, type LocalEndpoint } from '../../../src/server/endpoint.js';
import { writeRecording, type Recording } from '../../../src/server/recording.js';
import { ntlmAuth } from '../../../src/transport/http/ntlm-auth.js';
import { HttpTransport } from '../../../src/transport/http/transport.js';
import { WSManClient } from '../../../src/winrm/wsman-client.js';
import { runCommand } from '../../../src/winrm/winrs.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

const PASSWORD = 'Pa55-Very-Secret!';
const NT = ntowfv1(PASSWORD);
const SESSION_KEY = new Uint8Array(16).fill(0x5a).map((v, i) => v ^ i);
const PLAINTEXT = 'plaintext-marker-7f3a';

/** Every spelling of a secret we would not want to see. */
function forms(): string[] {
  const b = (u: Uint8Array) => Buffer.from(u);
  return [
    PASSWORD,
    Buffer.from(PASSWORD, 'utf16le').toString('latin1'),
    b(NT).toString('hex'),
    b(NT).toString('hex').toUpperCase(),
    b(NT).toString('base64'),
    b(NT).toString('latin1'),
    b(SESSION_KEY).toString('hex'),
    b(SESSION_KEY).toString('base64'),
    b(SESSION_KEY).toString('latin1'),
    PLAINTEXT,
  ];
}

function expectClean(texts: readonly string[]): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) for (const f of forms()) expect(t.includes(f), `secret found in: ${t.slice(0, 200)}`).toBe(false);
}

function describeError(e: unknown): string {
  const err = e as Error & Record<string, unknown>;
  return [String(err), err.message, err.stack ?? '', JSON.stringify({ ...err }), String((err.cause as Error | undefined)?.message ?? '')].join('\n');
}

function capture(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return describeError(e);
  }
  throw new Error('expected a failure');
}

const random = (n: number) => (n === 16 ? SESSION_KEY : new Uint8Array(n).fill(0x11));
const lookup = (user: string) => (user === 'alice' ? NT : undefined);

describe('in memory', () => {
  function handshake(password = PASSWORD, cb?: Uint8Array, serverCb?: Uint8Array) {
    const i = new NtlmInitiator({ credentials: { username: 'alice', password }, random });
    const a = new NtlmAcceptor({ lookup, requireSealing: true, random, ...(serverCb ? { channelBindings: serverCb, channelBindingPolicy: 'strict' as const } : {}) });
    const auth = i.authenticate(a.challenge(i.negotiate()), cb);
    return { i, a, auth };
  }

  test('every failure path', () => {
    const texts: string[] = [];
    for (const wrong of [`wrong-${PASSWORD}`, 'x']) {
      const h = handshake(wrong);
      texts.push(capture(() => h.a.accept(h.auth)));
    }
    {
      const h = handshake();
      const altered = new Uint8Array(h.auth);
      altered[altered.length - 20]! ^= 1; // inside the payload: the MIC (or the response) fails
      texts.push(capture(() => h.a.accept(altered)));
    }
    {
      const cb = gssChannelBindings(new Uint8Array(Buffer.from('tls-server-end-point:1')));
      const h = handshake(PASSWORD, undefined, cb);
      texts.push(capture(() => h.a.accept(h.auth)));
      const h2 = handshake(PASSWORD, gssChannelBindings(new Uint8Array(Buffer.from('tls-server-end-point:2'))), cb);
      texts.push(capture(() => h2.a.accept(h2.auth)));
    }
    {
      const h = handshake();
      expect(decodeAuthenticate(h.auth).encryptedRandomSessionKey.byteLength).toBe(16);
      const server = h.a.accept(h.auth).session!;
      const { body } = buildEncryptedBody(new Uint8Array(Buffer.from(`<s:Envelope>${PLAINTEXT}</s:Envelope>`)), h.i.session);
      const tampered = new Uint8Array(body);
      tampered[tampered.length - 30]! ^= 1;
      texts.push(capture(() => unwrapEncryptedBody(tampered, server)));
      texts.push(capture(() => unwrapEncryptedBody(body, server)));
      texts.push(capture(() => unwrapEncryptedBody(new Uint8Array(Buffer.from(Buffer.from(body).toString('latin1').replace('Length=', 'Length=9'), 'latin1')), server)));
    }
    texts.push(capture(() => new NtlmInitiator({ credentials: { username: 'alice', ntHash: `${PASSWORD}zz` } })));
    expectClean(texts);
  });
});

describe('over HTTP', () => {
  let ep: LocalEndpoint | undefined;
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    await ep?.close();
    ep = proxy = undefined;
  });

  test('client errors, the endpoint log and a recording of the session', async () => {
    ep = await startEndpoint({ users: { alice: PASSWORD }, auth: ['ntlm'] });
    const texts: string[] = [];
    const conn = (password: string) => ({ auth: ntlmAuth({ username: 'alice', password }) });
    texts.push(describeError(await runCommand(ep.url, 'echo', ['x'], conn('bad-' + PASSWORD)).catch((e: unknown) => e)));
    texts.push(describeError(await runCommand(ep.url, 'echo', ['x'], { auth: ntlmAuth({ username: 'alice', ntHash: Buffer.from(ntowfv1('other')).toString('hex') }) }).catch((e: unknown) => e)));
    // A tampered sealed response that carries the plaintext marker.
    let tamper = false;
    proxy = await startTcpProxy(Number(new URL(ep.url).port), {
      fromServer: (c) => {
        const at = c.indexOf('application/octet-stream\r\n');
        if (!tamper || at < 0) return c;
        const copy = Buffer.from(c);
        copy[at + 26 + 4 + 16 + 40]! ^= 4;
        tamper = false;
        return copy;
      },
    });
    const client = new WSManClient(new HttpTransport({ endpoint: `http://127.0.0.1:${proxy.port}/wsman`, auth: ntlmAuth({ username: 'alice', password: PASSWORD }) }));
    await client.identify();
    // Inspecting the objects a user holds (transport, its connections, the auth) shows no secret either.
    const t = new HttpTransport({ endpoint: ep.url, auth: ntlmAuth({ username: 'alice', password: PASSWORD }) });
    await new WSManClient(t).identify();
    texts.push(inspect(t, { depth: 8, showHidden: true }), inspect(t.connections, { depth: 8, showHidden: true }), inspect(ntlmAuth({ username: 'alice', password: PASSWORD }), { depth: 8, showHidden: true }));
    await t.close();
    tamper = true;
    texts.push(describeError(await runCommand(client, 'echo', [PLAINTEXT]).catch((e: unknown) => e)));
    const ok = await runCommand(client, 'echo', [PLAINTEXT]);
    expect(ok.stdout).toBe(`${PLAINTEXT}\n`); // it did go through, sealed
    await client.close();
    texts.push(JSON.stringify(ep.log));
    // A recording of an NTLM exchange, headers included, as a tool would keep it.
    const headers = Object.fromEntries(
      Buffer.concat(proxy.downstream)
        .toString('latin1')
        .split('\r\n')
        .filter((l) => /^www-authenticate:/i.test(l))
        .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    expect(Object.keys(headers)).toEqual(['www-authenticate']);
    const rec: Recording = {
      source: 'ntlm-session',
      format: 'psremote',
      exchanges: [{ operation: 'Identify', action: undefined, resourceUri: undefined, shellId: undefined, commandId: undefined, signalCode: undefined, request: '<s:Envelope/>', response: { status: 401, body: '', headers } }],
    };
    const written = writeRecording(rec);
    expect(written).not.toMatch(/TlRMTVNTUA/); // no NTLM token survives
    texts.push(written);
    expectClean(texts);
  });
});
