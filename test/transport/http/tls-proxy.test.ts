import { createServer, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { HttpTransport, certificateAuth, TransportError } from '../../../src/transport/http/index.js';
import { WSManClient } from '../../../src/winrm/wsman-client.js';
import { PsRemoteError, UsageError } from '../../../src/errors.js';
import { IDENTIFY_RESPONSE, soap, startServer, type TestServer } from './helpers.js';
import { makePki, type Pki } from './pki.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki?.cleanup());

let server: TestServer | undefined;
let transport: HttpTransport | undefined;
afterEach(async () => {
  await transport?.destroy();
  await server?.close();
  server = transport = undefined;
});

const identify = (t: HttpTransport) => new WSManClient(t).identify();
async function caught(p: Promise<unknown>): Promise<PsRemoteError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(PsRemoteError);
  return e as PsRemoteError;
}

describe('HTTPS', () => {
  test('verification on: succeeds with the issuing CA', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE), { cert: pki.serverCert, key: pki.serverKey });
    transport = new HttpTransport({ endpoint: server.url, tls: { ca: pki.caCert } });
    expect((await identify(transport)).productVendor).toBe('Microsoft Corporation');
    expect(transport.connections[0]!.tlsSocket?.getPeerCertificate().subject.CN).toBe('127.0.0.1');
  });

  test('verification fails without the CA, with a message naming the problem and the fix', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE), { cert: pki.serverCert, key: pki.serverKey });
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(identify(transport));
    expect(e).toBeInstanceOf(TransportError);
    expect(e.code).toBe('PSR_TRANSPORT_TLS');
    expect(e.message).toMatch(/certificate verification failed/);
    expect(e.message).toMatch(/--ca/);
    expect(e.message).toContain(`127.0.0.1:${server.port}`);
    expect(server.requests.length).toBe(0);
  });

  test('a name mismatch names the name checked and the certificate\'s names, and close() then settles', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE), { cert: pki.ipOnlyCert, key: pki.ipOnlyKey });
    const t = new HttpTransport({ endpoint: server.url.replace('127.0.0.1', 'localhost'), tls: { ca: pki.caCert } });
    const e = await caught(identify(t));
    expect(e.code).toBe('PSR_TRANSPORT_TLS');
    expect(e.message).toContain('checked "localhost", the certificate names IP Address:127.0.0.1 [ERR_TLS_CERT_ALTNAME_INVALID]');
    // undici's Client.close() never settles after a failed connect: the graceful close must not be used then.
    let settled = false;
    await Promise.race([t.close().then(() => (settled = true)), new Promise((r) => setTimeout(r, 2000))]);
    expect(settled).toBe(true);
    expect(server.requests.length).toBe(0);
  });

  test('verification fails with a CA that did not issue the certificate', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE), { cert: pki.serverCert, key: pki.serverKey });
    transport = new HttpTransport({ endpoint: server.url, tls: { ca: pki.otherCaCert } });
    expect((await caught(identify(transport))).code).toBe('PSR_TRANSPORT_TLS');
  });

  test('servername: a certificate for another name fails, and passes when servername names it', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE), { cert: pki.namedCert, key: pki.namedKey });
    const bad = new HttpTransport({ endpoint: server.url, tls: { ca: pki.caCert } });
    const e = await caught(identify(bad));
    await bad.destroy();
    expect(e.code).toBe('PSR_TRANSPORT_TLS');
    expect(e.message).toMatch(/does not name this host/);
    transport = new HttpTransport({ endpoint: server.url, tls: { ca: pki.caCert, servername: 'winrm.test' } });
    expect((await identify(transport)).productVendor).toBe('Microsoft Corporation');
  });

  test('rejectUnauthorized:false works only when asked', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE), { cert: pki.serverCert, key: pki.serverKey });
    const defaults = new HttpTransport({ endpoint: server.url, tls: {} });
    expect((await caught(identify(defaults))).code).toBe('PSR_TRANSPORT_TLS');
    await defaults.destroy();
    transport = new HttpTransport({ endpoint: server.url, tls: { rejectUnauthorized: false } });
    expect((await identify(transport)).productVendor).toBe('Microsoft Corporation');
  });

  test('client-certificate auth: the server requires and checks it', async () => {
    const seen: (string | undefined)[] = [];
    server = await startServer(
      (_r, res, raw) => {
        const s = raw.socket as TLSSocket;
        seen.push(s.authorized ? String(s.getPeerCertificate().subject.CN) : undefined);
        soap(res, IDENTIFY_RESPONSE);
      },
      { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
    );
    const without = new HttpTransport({ endpoint: server.url, tls: { ca: pki.caCert } });
    const e = await caught(identify(without));
    await without.destroy();
    expect(e.code).toMatch(/^PSR_TRANSPORT/);
    expect(seen).toEqual([]);
    transport = new HttpTransport({
      endpoint: server.url,
      auth: certificateAuth(),
      tls: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey },
    });
    expect((await identify(transport)).productVendor).toBe('Microsoft Corporation');
    expect(seen).toEqual(['winrm-user']);
    expect(server.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  test('certificate auth is refused over http and without a certificate', () => {
    expect(() => new HttpTransport({ endpoint: 'http://h', auth: certificateAuth() })).toThrow(UsageError);
    expect(() => new HttpTransport({ endpoint: 'https://h', auth: certificateAuth() })).toThrow(/client certificate/);
  });
});

interface Proxy {
  readonly url: string;
  readonly connects: string[];
  close(): Promise<void>;
}

/** A tiny HTTP CONNECT proxy on loopback. */
async function startProxy(): Promise<Proxy> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const srv: Server = createServer((_req, res) => res.writeHead(405).end());
  srv.on('connect', (req, client: Socket, head: Buffer) => {
    connects.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    sockets.add(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    connects,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

describe('HTTP CONNECT proxy', () => {
  test('an explicit proxy is used for https, with TLS verified end to end', async () => {
    const proxy = await startProxy();
    try {
      server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE), { cert: pki.serverCert, key: pki.serverKey });
      transport = new HttpTransport({ endpoint: server.url, proxy: proxy.url, tls: { ca: pki.caCert }, env: {} });
      await identify(transport);
      await identify(transport);
      expect(proxy.connects).toEqual([`127.0.0.1:${server.port}`]);
      expect(server.connections()).toBe(1);
    } finally {
      await transport?.destroy();
      await proxy.close();
    }
  });

  test('HTTP_PROXY from the environment is used for http, and NO_PROXY bypasses it', async () => {
    const proxy = await startProxy();
    try {
      server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE));
      const via = new HttpTransport({ endpoint: server.url, env: { HTTP_PROXY: proxy.url } });
      await identify(via);
      await via.destroy();
      expect(proxy.connects).toEqual([`127.0.0.1:${server.port}`]);
      transport = new HttpTransport({ endpoint: server.url, env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
      expect(transport.proxy).toBeUndefined();
      await identify(transport);
      expect(proxy.connects.length).toBe(1);
      const off = new HttpTransport({ endpoint: server.url, env: { HTTP_PROXY: proxy.url }, proxy: false });
      expect(off.proxy).toBeUndefined();
      // HTTPS_PROXY does not apply to http endpoints.
      expect(new HttpTransport({ endpoint: server.url, env: { HTTPS_PROXY: proxy.url } }).proxy).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  test('a proxy that refuses CONNECT is a typed error', async () => {
    const srv = createServer((_q, res) => res.end());
    srv.on('connect', (_req, sock: Socket) => sock.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      transport = new HttpTransport({ endpoint: 'http://127.0.0.1:9/wsman', proxy: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, env: {} });
      const e = await caught(identify(transport));
      expect(e.code).toBe('PSR_TRANSPORT');
      expect(e.message).toMatch(/refused CONNECT .* 403/);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });
});
