// The CredSSP inner TLS over an in-memory duplex, both sides node:tls, and
// CredSSP's TSRequests carried in it exactly as the HTTP headers would carry
// them (each leg's TLS records as one opaque blob): the handshake, the
// public-key binding to the certificate the client really saw, the delegated
// password arriving, then application data both ways. Refusal: a client that
// binds to a certificate other than the one in the tunnel.
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CredSspAcceptor, CredSspInitiator } from '../../../src/auth/credssp/context.js';
import { subjectPublicKey } from '../../../src/auth/credssp/public-key.js';
import { NtlmAcceptor } from '../../../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../../../src/auth/ntlm/crypto.js';
import { NtlmInitiator } from '../../../src/auth/ntlm/initiator.js';
import { buildCredSspBody, credSspPieces, parseCredSspBody, trailerLength } from '../../../src/auth/credssp/encryption.js';
import { PsRemoteError } from '../../../src/errors.js';
import { TlsTunnel } from '../../../src/transport/http/credssp-tls.js';
import { makePki, type Pki } from './pki.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.cleanup());

const lookup = (user: string) => (user.toLowerCase() === 'alice' ? ntowfv1('Secret-1') : undefined);
const pem = (p: string) => p;

async function handshake(client: TlsTunnel, server: TlsTunnel): Promise<number> {
  let toServer = await client.feed();
  let legs = 0;
  while (!(client.secure && server.secure)) {
    if (++legs > 6) throw new Error('TLS handshake did not finish');
    const toClient = await server.feed(toServer);
    toServer = await client.feed(toClient);
  }
  return legs;
}

describe('CredSSP over the in-memory TLS tunnel', () => {
  async function run(bindTo?: Uint8Array) {
    const client = new TlsTunnel();
    const server = new TlsTunnel({ server: { cert: pem(pki.serverCert), key: pem(pki.serverKey) } });
    try {
      await handshake(client, server);
      expect(client.cipherName()).toMatch(/^TLS_/);
      const seen = subjectPublicKey(client.certificate()!);
      const own = subjectPublicKey(new Uint8Array(new X509Certificate(pem(pki.serverCert)).raw));
      expect(Buffer.from(seen).equals(Buffer.from(own))).toBe(true);

      const i = new CredSspInitiator({
        ntlm: new NtlmInitiator({ credentials: { username: 'alice', password: 'Secret-1' } }),
        username: 'alice',
        password: 'Secret-1',
        domain: 'WINRM',
        serverPublicKey: bindTo ?? seen,
      });
      const a = new CredSspAcceptor({ ntlm: new NtlmAcceptor({ lookup, requireSealing: true }), publicKey: own });
      let up = await client.send(i.initial());
      for (;;) {
        const step = a.step(await server.receive(up));
        if (step.accepted) return step.accepted;
        const down = await server.send(step.token!);
        up = await client.send(i.step(await client.receive(down)));
      }
    } finally {
      client.close();
      server.close();
    }
  }

  test('handshake, binding to the tunnel certificate, password delegated', async () => {
    const accepted = await run();
    expect(accepted.delegated).toEqual({ domainName: 'WINRM', userName: 'alice', password: 'Secret-1' });
  });

  test('a client bound to another certificate is refused', async () => {
    const other = subjectPublicKey(new Uint8Array(new X509Certificate(pem(pki.namedCert)).raw));
    const e = await run(other).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PsRemoteError);
    expect((e as PsRemoteError).code).toBe('PSR_AUTH_INTEGRITY');
  });

  test('application data both ways after the handshake, in records that are not plaintext', async () => {
    const client = new TlsTunnel();
    const server = new TlsTunnel({ server: { cert: pem(pki.serverCert), key: pem(pki.serverKey) } });
    try {
      await handshake(client, server);
      const body = new Uint8Array(Buffer.from('<s:Envelope>'.repeat(3000)));
      const records = await client.send(body);
      expect(records[0]).toBe(0x17);
      expect(Buffer.from(records).includes(Buffer.from('<s:Envelope>'))).toBe(false);
      expect(Buffer.from(await server.receive(records)).equals(Buffer.from(body))).toBe(true);
      const back = await server.send(new Uint8Array([1, 2, 3]));
      expect([...(await client.receive(back))]).toEqual([1, 2, 3]);
    } finally {
      client.close();
      server.close();
    }
  });

  test('garbage instead of TLS records is a typed error', async () => {
    const server = new TlsTunnel({ server: { cert: pem(pki.serverCert), key: pem(pki.serverKey) } });
    try {
      const e = await server.feed(new Uint8Array(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PsRemoteError);
      expect((e as PsRemoteError).code).toBe('PSR_AUTH_INVALID');
    } finally {
      server.close();
    }
  });

  test('message encryption: 40 KiB in three 16 KiB parts (multi-encrypted), one TLS record each, decrypted in order', async () => {
    const client = new TlsTunnel();
    const server = new TlsTunnel({ server: { cert: pem(pki.serverCert), key: pem(pki.serverKey) } });
    try {
      await handshake(client, server);
      const cipher = client.cipherName()!;
      const soap = new Uint8Array(Buffer.from('<s:Envelope>' + 'x'.repeat(40 * 1024) + '</s:Envelope>'));
      const pieces = [];
      for (const p of credSspPieces(soap)) pieces.push({ plainLength: p.byteLength, records: await client.send(p) });
      expect(pieces.map((p) => p.plainLength)).toEqual([16384, 16384, soap.byteLength - 32768]);
      const { body, contentType } = buildCredSspBody(pieces, cipher);
      expect(contentType).toBe('multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"');
      const parsed = parseCredSspBody(body);
      expect(parsed).toHaveLength(3);
      // The trailer length field is what follows the plaintext in the record (AES-GCM: the 16-byte tag).
      const p0 = parsed[0]!;
      expect(p0.records.byteLength - p0.plainLength - 5 - (/GCM/.test(cipher) ? 8 : 0)).toBe(trailerLength(cipher, p0.plainLength));
      const out = [];
      for (const p of parsed) {
        const plain = await server.receive(p.records);
        expect(plain.byteLength).toBe(p.plainLength);
        out.push(Buffer.from(plain));
      }
      expect(Buffer.concat(out).equals(Buffer.from(soap))).toBe(true);
      // One small body stays multipart/encrypted.
      const small = await client.send(new Uint8Array([60, 47, 62]));
      expect(buildCredSspBody([{ plainLength: 3, records: small }], cipher).contentType).toMatch(/^multipart\/encrypted;/);
    } finally {
      client.close();
      server.close();
    }
  });

  test('a body whose data section is not TLS records, or is cut short, is a typed error (and any mutation never crashes)', async () => {
    const rec = Uint8Array.of(0x17, 3, 3, 0, 4, 1, 2, 3, 4);
    const { body } = buildCredSspBody([{ plainLength: 3, records: rec }], 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    expect(parseCredSspBody(body)[0]!.records).toEqual(rec);
    const notTls = buildCredSspBody([{ plainLength: 3, records: Uint8Array.of(0x16, 3, 3, 0, 1, 0) }], 'x').body;
    expect(() => parseCredSspBody(notTls)).toThrow(/no TLS application-data record/);
    const short = buildCredSspBody([{ plainLength: 3, records: Uint8Array.of(0x17, 3, 3, 1, 0, 1) }], 'x').body;
    expect(() => parseCredSspBody(short)).toThrow(/runs past the end/);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = body.slice();
        b[at % b.byteLength] = v;
        try {
          parseCredSspBody(b);
        } catch (e) {
          expect(e).toBeInstanceOf(PsRemoteError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
