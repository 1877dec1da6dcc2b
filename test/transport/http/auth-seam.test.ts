// The auth seam with a connection-bound, multi-leg test scheme shaped like
// NTLM: leg 1 → 401 with a challenge bound to the socket, leg 2 must come on
// the same socket, later requests on that socket need no header, bodies are
// "sealed" (here: base64 in a multipart/encrypted envelope) both ways, and a
// lost socket makes the context start over. The server is hand-written.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { HttpTransport, type HttpAuth, type HttpAuthContext } from '../../../src/transport/http/index.js';
import { WSManClient } from '../../../src/winrm/wsman-client.js';
import { IDENTIFY_RESPONSE, startServer, type TestServer } from './helpers.js';
import { until } from '../../helpers/until.js';

let server: TestServer | undefined;
let transport: HttpTransport | undefined;
afterEach(async () => {
  await transport?.destroy();
  await server?.close();
  server = transport = undefined;
});

const SEALED = 'multipart/encrypted;protocol="application/HTTP-TEST-session-encrypted"';

function testScheme(log: string[]): HttpAuth {
  return {
    scheme: 'test',
    check() {},
    newContext(): HttpAuthContext {
      let state: 'new' | 'sent-negotiate' | 'established' = 'new';
      let plain: Uint8Array | undefined;
      const seal = (req: { headers: Record<string, string>; body: Uint8Array }, body: Uint8Array) => {
        req.body = Buffer.from(Buffer.from(body).toString('base64'));
        req.headers['content-type'] = SEALED;
      };
      return {
        authorize(req) {
          if (state === 'established') return seal(req, req.body);
          plain = req.body;
          req.body = new Uint8Array(0); // authenticate on an empty POST first
          req.headers.authorization = 'Test negotiate';
          state = 'sent-negotiate';
          log.push('negotiate');
        },
        challenge(res, req) {
          const h = String(res.headers['www-authenticate'] ?? '');
          if (state !== 'sent-negotiate' || !h.startsWith('Test challenge-')) return false;
          req.headers.authorization = `Test answer-${h.slice('Test challenge-'.length)}`;
          seal(req, plain!);
          state = 'established';
          log.push('answer');
          return true;
        },
        unwrap(res) {
          if (!String(res.headers['content-type']).startsWith('multipart/encrypted')) return res;
          return { ...res, headers: { ...res.headers, 'content-type': 'application/soap+xml;charset=UTF-8' }, body: Buffer.from(res.body.toString(), 'base64') };
        },
        reset() {
          state = 'new';
          log.push('reset');
        },
      };
    },
  };
}

test('multi-leg connection-bound auth with sealed bodies stays on one socket', async () => {
  const authed = new WeakSet<Socket>();
  const challenges = new WeakMap<Socket, string>();
  let n = 0;
  server = await startServer((req, res, raw: IncomingMessage) => {
    const sock = raw.socket;
    const auth = req.headers.authorization;
    if (!authed.has(sock)) {
      if (auth === 'Test negotiate' && req.body === '') {
        const c = `c${++n}`;
        challenges.set(sock, c);
        res.writeHead(401, { 'www-authenticate': `Test challenge-${c}`, 'content-length': 0 }).end();
        return;
      }
      if (auth !== `Test answer-${challenges.get(sock)}`) {
        res.writeHead(401, { 'content-length': 0 }).end();
        return;
      }
      authed.add(sock);
    }
    expect(req.headers['content-type']).toBe(SEALED);
    expect(Buffer.from(req.body, 'base64').toString()).toContain('Identify');
    const body = Buffer.from(IDENTIFY_RESPONSE).toString('base64');
    res.writeHead(200, { 'content-type': SEALED, 'content-length': body.length }).end(body);
  });
  const log: string[] = [];
  transport = new HttpTransport({ endpoint: server.url, auth: testScheme(log) });
  const c = new WSManClient(transport);
  for (let i = 0; i < 3; i++) expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
  expect(log).toEqual(['negotiate', 'answer']);
  expect(server.connections()).toBe(1);
  expect(server.requests.map((r) => r.headers.authorization ?? '-')).toEqual(['Test negotiate', 'Test answer-c1', '-', '-']);
});

test('the context is reset after the socket is lost', async () => {
  const authed = new WeakSet<Socket>();
  let first: Socket | undefined;
  server = await startServer((req, res, raw) => {
    const sock = raw.socket;
    if (!authed.has(sock)) {
      if (req.headers.authorization === 'Test negotiate') {
        res.writeHead(401, { 'www-authenticate': 'Test challenge-x', 'content-length': 0 }).end();
        return;
      }
      if (req.headers.authorization !== 'Test answer-x') return void res.writeHead(401, { 'content-length': 0 }).end();
      authed.add(sock);
      first ??= sock;
    }
    const body = Buffer.from(IDENTIFY_RESPONSE).toString('base64');
    res.writeHead(200, { 'content-type': SEALED, 'content-length': body.length }).end(body);
  });
  const log: string[] = [];
  transport = new HttpTransport({ endpoint: server.url, auth: testScheme(log) });
  const c = new WSManClient(transport);
  await c.identify();
  first!.destroy();
  await until(() => !transport!.connections.some((x) => x.connected), 'the client seeing its socket closed');
  expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
  expect(log).toEqual(['negotiate', 'answer', 'reset', 'negotiate', 'answer']);
  expect(server.connections()).toBe(2);
});
