// psremote's CredSSP HTTP client (credsspAuth through HttpTransport) against
// a small CredSSP server written for this test: node's http/https server with
// our own TlsTunnel + CredSspAcceptor per socket. Hand-written because
// psremote's endpoint has no CredSSP yet and no real Windows or pywinrm
// CredSSP peer runs here; it answers every SOAP request with an envelope that
// names the delegated user. Shown: the legs, the delegated password at the
// server, encryption over http (a 40 KiB body in three parts both ways), plain
// SOAP over https, and a wrong password reported with the server's NTSTATUS.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CredSspAcceptor, STATUS_LOGON_FAILURE, type CredSspAccepted } from '../../../src/auth/credssp/context.js';
import { buildCredSspBody, credSspPieces, parseCredSspBody } from '../../../src/auth/credssp/encryption.js';
import { subjectPublicKey } from '../../../src/auth/credssp/public-key.js';
import { NtlmAcceptor } from '../../../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../../../src/auth/ntlm/crypto.js';
import { PsRemoteError } from '../../../src/errors.js';
import { credsspAuth } from '../../../src/transport/http/credssp-auth.js';
import { TlsTunnel } from '../../../src/transport/http/credssp-tls.js';
import { HttpTransport } from '../../../src/transport/http/transport.js';
import { X509Certificate } from 'node:crypto';
import { makePki, type Pki } from './pki.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.cleanup());

interface Peer {
  tunnel: TlsTunnel;
  acceptor: CredSspAcceptor;
  accepted?: CredSspAccepted;
}

const delegated: CredSspAccepted[] = [];
const legs: number[] = [];
let server: Server | undefined;
afterEach(async () => {
  delegated.length = 0;
  legs.length = 0;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function start(secure: boolean): Promise<string> {
  const peers = new WeakMap<Socket, Peer>();
  const publicKey = subjectPublicKey(new Uint8Array(new X509Certificate(pki.serverCert).raw));
  const lookup = (u: string) => (u.toLowerCase() === 'alice' ? ntowfv1('Secret-1') : undefined);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    let peer = peers.get(req.socket);
    const m = /^CredSSP (\S+)$/.exec(req.headers.authorization ?? '');
    const reply401 = (records: Uint8Array) => {
      res.writeHead(401, { 'www-authenticate': `CredSSP ${Buffer.from(records).toString('base64')}`, 'content-length': 0 }).end();
    };
    if (m) {
      const token = new Uint8Array(Buffer.from(m[1]!, 'base64'));
      if (!peer || (!peer.tunnel.secure && token[0] === 0x16 && token[5] === 0x01)) {
        peer = { tunnel: new TlsTunnel({ server: { cert: pki.serverCert, key: pki.serverKey } }), acceptor: new CredSspAcceptor({ ntlm: new NtlmAcceptor({ lookup, requireSealing: true }), publicKey }) };
        peers.set(req.socket, peer);
      }
      legs.push(1);
      if (!peer.tunnel.secure) return reply401(await peer.tunnel.feed(token));
      let step;
      try {
        step = peer.acceptor.step(await peer.tunnel.receive(token));
      } catch {
        return reply401(await peer.tunnel.send(peer.acceptor.errorReply(STATUS_LOGON_FAILURE)));
      }
      if (step.token) return reply401(await peer.tunnel.send(step.token));
      peer.accepted = step.accepted!;
      delegated.push(step.accepted!);
    }
    if (!peer?.accepted) return res.writeHead(401, { 'www-authenticate': 'CredSSP', 'content-length': 0 }).end();
    let soap = body;
    if (!secure) {
      const out: Buffer[] = [];
      for (const p of parseCredSspBody(new Uint8Array(body))) out.push(Buffer.from(await peer.tunnel.receive(p.records)));
      soap = Buffer.concat(out);
    }
    const answer = Buffer.from(`<s:Envelope><user>${peer.accepted.delegated.domainName}\\${peer.accepted.delegated.userName}</user><got>${soap.byteLength}</got>${'y'.repeat(40 * 1024)}</s:Envelope>`);
    if (secure) return res.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': answer.byteLength }).end(answer);
    const pieces = [];
    for (const p of credSspPieces(answer)) pieces.push({ plainLength: p.byteLength, records: await peer.tunnel.send(p) });
    const sealed = buildCredSspBody(pieces, peer.tunnel.cipherName() ?? '');
    res.writeHead(200, { 'content-type': sealed.contentType, 'content-length': sealed.body.byteLength }).end(Buffer.from(sealed.body));
  };
  const h = (req: IncomingMessage, res: ServerResponse) => void handle(req, res).catch(() => res.destroy());
  server = secure ? createHttps({ cert: pki.serverCert, key: pki.serverKey }, h) : createHttp(h);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return `${secure ? 'https' : 'http'}://127.0.0.1:${port}/wsman`;
}

const soap = (n: number) => `<s:Envelope>${'x'.repeat(n)}</s:Envelope>`;

describe('credsspAuth over HTTP', () => {
  test('http: handshake legs, the password delegated, 40 KiB sealed both ways, the socket reused', async () => {
    const url = await start(false);
    const t = new HttpTransport({ endpoint: url, auth: credsspAuth({ username: 'WINRM\\alice', password: 'Secret-1' }) });
    try {
      const r = await t.post({ operation: 'Identify', body: soap(40 * 1024) });
      expect(r.status).toBe(200);
      const text = r.body.toString('utf8');
      expect(text).toContain('<user>WINRM\\alice</user>');
      expect(text).toContain(`<got>${soap(40 * 1024).length}</got>`);
      expect(delegated.map((d) => d.delegated)).toEqual([{ domainName: 'WINRM', userName: 'alice', password: 'Secret-1' }]);
      expect(legs.length).toBeGreaterThanOrEqual(4);
      const r2 = await t.post({ operation: 'Get', body: soap(10) });
      expect(r2.body.toString('utf8')).toContain('<got>');
      expect(delegated).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  test('https: plain SOAP inside the outer TLS, the password delegated', async () => {
    const url = await start(true);
    const t = new HttpTransport({ endpoint: url, tls: { ca: pki.caCert }, auth: credsspAuth({ username: 'alice', password: 'Secret-1', domain: 'WINRM' }) });
    try {
      const r = await t.post({ operation: 'Identify', body: soap(100) });
      expect(r.body.toString('utf8')).toContain('<user>WINRM\\alice</user>');
      expect(delegated[0]!.delegated.password).toBe('Secret-1');
    } finally {
      await t.close();
    }
  });

  test('a wrong password is refused with the NTSTATUS the server sent, the password nowhere in the error', async () => {
    const url = await start(false);
    const t = new HttpTransport({ endpoint: url, auth: credsspAuth({ username: 'alice', password: 'Not-the-password' }) });
    try {
      const e = await t.post({ operation: 'Identify', body: soap(10) }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(PsRemoteError);
      expect((e as PsRemoteError).code).toBe('PSR_AUTH_REJECTED');
      expect((e as Error).message).toMatch(/STATUS_LOGON_FAILURE/);
      expect((e as Error).message).not.toContain('Not-the-password');
      expect(delegated).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});
