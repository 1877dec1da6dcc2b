// ntlmAuth against hand-written NTLM servers (built from our acceptor and
// framing), for the behaviours the local endpoint does not show: a server that
// offers only the `NTLM` scheme, one that closes the socket after its
// CHALLENGE, one that does not ask for authentication, and one that answers a
// sealed session in clear text.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { NtlmAcceptor } from '../../../src/auth/ntlm/acceptor.js';
import { ntowfv1 } from '../../../src/auth/ntlm/crypto.js';
import type { NtlmSessionSecurity } from '../../../src/auth/ntlm/session-security.js';
import { buildEncryptedBody, unwrapEncryptedBody } from '../../../src/auth/winrm-encryption.js';
import { ntlmAuth } from '../../../src/transport/http/ntlm-auth.js';
import { HttpTransport } from '../../../src/transport/http/transport.js';
import { WSManClient } from '../../../src/winrm/wsman-client.js';
import { IDENTIFY_RESPONSE } from './helpers.js';

interface Options {
  readonly scheme?: string;
  /** Close the socket after the first CHALLENGE. */
  readonly closeAfterFirstChallenge?: boolean;
  /** Answer established requests in clear text. */
  readonly plainReplies?: boolean;
  /** Never ask for authentication. */
  readonly open?: boolean;
}

let server: Server | undefined;
let transport: HttpTransport | undefined;
afterEach(async () => {
  await transport?.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = transport = undefined;
});

const nt = ntowfv1('pw');

async function start(o: Options): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const acceptors = new WeakMap<Socket, NtlmAcceptor>();
  const sessions = new WeakMap<Socket, NtlmSessionSecurity>();
  let challenges = 0;
  const scheme = o.scheme ?? 'Negotiate';
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const h = req.headers.authorization ?? '';
      seen.push(h ? h.split(' ')[0]! : '-');
      const reply = (status: number, text: string, headers: Record<string, string> = {}) => res.writeHead(status, { 'content-length': Buffer.byteLength(text), ...headers }).end(text);
      if (o.open) return reply(200, IDENTIFY_RESPONSE, { 'content-type': 'application/soap+xml' });
      const m = /^(\S+) (\S+)$/.exec(h);
      if (m && m[1] === scheme) {
        const token = new Uint8Array(Buffer.from(m[2]!, 'base64'));
        if (token[8] === 1) {
          const a = new NtlmAcceptor({ lookup: () => nt });
          acceptors.set(req.socket, a);
          const c = Buffer.from(a.challenge(token)).toString('base64');
          challenges++;
          const close: Record<string, string> = o.closeAfterFirstChallenge && challenges === 1 ? { connection: 'close' } : {};
          return reply(401, '', { 'www-authenticate': `${scheme} ${c}`, ...close });
        }
        const a = acceptors.get(req.socket);
        if (!a) return reply(401, '', { 'www-authenticate': scheme });
        sessions.set(req.socket, a.accept(token).session!);
      } else if (m || !sessions.has(req.socket)) return reply(401, '', { 'www-authenticate': scheme });
      const s = sessions.get(req.socket)!;
      const plain = Buffer.from(unwrapEncryptedBody(new Uint8Array(body), s).plain).toString();
      expect(plain).toContain('Identify');
      if (o.plainReplies) return reply(200, IDENTIFY_RESPONSE, { 'content-type': 'application/soap+xml;charset=UTF-8' });
      const sealed = buildEncryptedBody(new Uint8Array(Buffer.from(IDENTIFY_RESPONSE)), s);
      res.writeHead(200, { 'content-type': sealed.contentType, 'content-length': sealed.body.byteLength }).end(Buffer.from(sealed.body));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wsman`, seen };
}

const client = (url: string) => {
  transport = new HttpTransport({ endpoint: url, auth: ntlmAuth({ username: 'u', password: 'pw' }) });
  return new WSManClient(transport);
};

test('a server offering only the NTLM scheme gets the same tokens under NTLM', async () => {
  const s = await start({ scheme: 'NTLM' });
  const c = client(s.url);
  expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
  expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
  expect(s.seen).toEqual(['Negotiate', 'NTLM', 'NTLM', '-']);
});

test('the socket closed after the CHALLENGE: the AUTHENTICATE lands on a new socket, the client starts over', async () => {
  const s = await start({ closeAfterFirstChallenge: true });
  const c = client(s.url);
  expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
  // NEGOTIATE, AUTHENTICATE (new socket, refused), NEGOTIATE, AUTHENTICATE
  expect(s.seen).toEqual(['Negotiate', 'Negotiate', 'Negotiate', 'Negotiate']);
  expect(transport!.connections[0]!.connects).toBe(2);
});

test('a server that does not ask for authentication is a typed error, not a silent plain exchange', async () => {
  const s = await start({ open: true });
  await expect(client(s.url).identify()).rejects.toMatchObject({ code: 'PSR_AUTH_INVALID', message: expect.stringMatching(/answered the NTLM NEGOTIATE with HTTP 200/) });
});

test('a clear-text answer on a sealed session is PSR_AUTH_INTEGRITY', async () => {
  const s = await start({ plainReplies: true });
  await expect(client(s.url).identify()).rejects.toMatchObject({ code: 'PSR_AUTH_INTEGRITY', message: expect.stringMatching(/unencrypted application\/soap\+xml/) });
});
