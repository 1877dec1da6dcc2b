import { afterEach, describe, expect, test } from 'vitest';
import { MockAgent } from 'undici';
import { HttpTransport, basicAuth, TransportError } from '../../../src/transport/http/index.js';
import { AuthRejectedError } from '../../../src/auth/errors.js';
import { WSManClient } from '../../../src/winrm/wsman-client.js';
import { PsRemoteError, UsageError } from '../../../src/errors.js';
import { WSManFaultError } from '../../../src/wsman/index.js';
import { IDENTIFY_RESPONSE, relatesTo, soap, startServer, type TestServer } from './helpers.js';
import { until } from '../../helpers/until.js';

let server: TestServer | undefined;
let transport: HttpTransport | undefined;
afterEach(async () => {
  await transport?.destroy();
  await server?.close();
  server = transport = undefined;
});

async function caught(p: Promise<unknown>): Promise<PsRemoteError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(PsRemoteError);
  return e as PsRemoteError;
}

describe('requests on the wire', () => {
  test('POST with SOAP content type, identity encoding and the WinRM User-Agent; one socket for sequential requests', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE));
    transport = new HttpTransport({ endpoint: server.url });
    const c = new WSManClient(transport);
    for (let i = 0; i < 5; i++) expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
    expect(server.connections()).toBe(1);
    expect(new Set(server.requests.map((r) => r.connection))).toEqual(new Set([1]));
    const r = server.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/wsman');
    expect(r.headers['content-type']).toBe('application/soap+xml;charset=UTF-8');
    expect(r.headers['accept-encoding']).toBe('identity');
    expect(r.headers['user-agent']).toBe('Microsoft WinRM Client');
    expect(r.headers.authorization).toBeUndefined();
    expect(transport.connections.length).toBe(1);
  });

  test('User-Agent is configurable', async () => {
    server = await startServer((_r, res) => soap(res, IDENTIFY_RESPONSE));
    transport = new HttpTransport({ endpoint: server.url, userAgent: 'psremote-test/1' });
    await new WSManClient(transport).identify();
    expect(server.requests[0]!.headers['user-agent']).toBe('psremote-test/1');
  });

  test('cookies set by the server come back on later requests, and expire', async () => {
    let n = 0;
    server = await startServer((_r, res) => {
      n++;
      const headers: Record<string, string | string[]> =
        n === 1 ? { 'set-cookie': ['affinity=node7; Path=/wsman; HttpOnly', 'other=x'] } : n === 2 ? { 'set-cookie': 'other=; Max-Age=0' } : {};
      soap(res, IDENTIFY_RESPONSE, 200, headers);
    });
    transport = new HttpTransport({ endpoint: server.url });
    const c = new WSManClient(transport);
    await c.identify();
    await c.identify();
    await c.identify();
    expect(server.requests[0]!.headers.cookie).toBeUndefined();
    expect(server.requests[1]!.headers.cookie).toBe('affinity=node7; other=x');
    expect(server.requests[2]!.headers.cookie).toBe('affinity=node7');
  });

  test('a request made while another is outstanding goes on a second connection', async () => {
    let release: (() => void) | undefined;
    server = await startServer(async (r, res) => {
      if (r.body.includes('slow')) await new Promise<void>((ok) => (release = ok));
      soap(res, IDENTIFY_RESPONSE);
    });
    transport = new HttpTransport({ endpoint: server.url });
    const slow = transport.post({ operation: 'Receive', body: '<slow/>' });
    await until(() => release !== undefined, 'the slow request at the server');
    const fast = await transport.post({ operation: 'Send', body: '<fast/>' });
    expect(fast.status).toBe(200);
    release!();
    expect((await slow).status).toBe(200);
    expect(server.connections()).toBe(2);
    // After both are done, sequential requests use the first connection again.
    await transport.post({ operation: 'Signal', body: '<x/>' });
    expect(server.requests.at(-1)!.connection).toBe(server.requests.find((q) => q.body === '<slow/>')!.connection);
    expect(server.connections()).toBe(2);
  });

  test('maxConnections bounds the pool: extra requests wait for a free connection', async () => {
    const releases: (() => void)[] = [];
    server = await startServer(async (_r, res) => {
      await new Promise<void>((ok) => releases.push(ok));
      soap(res, IDENTIFY_RESPONSE);
    });
    transport = new HttpTransport({ endpoint: server.url, maxConnections: 2 });
    const ps = [0, 1, 2].map((i) => transport!.post({ operation: 'Receive', body: `<r${i}/>` }));
    // No sleeping on the wall clock: the order is shown by what the server saw.
    // Two requests arrive; the third is not on the wire before one is answered
    // (it then arrives on the freed connection, never on a third one).
    await until(() => server!.requests.length >= 2, 'two requests at the server');
    const first = server.requests[0]!;
    const released = server.requests.length;
    releases.shift()!();
    await until(() => server!.requests.length === 3, 'the third request at the server');
    expect(released).toBe(2);
    const third = server.requests[2]!;
    expect(['<r0/>', '<r1/>']).not.toContain(third.body);
    expect(third.connection).toBe(first.connection);
    while (releases.length) releases.shift()!();
    await Promise.all(ps);
    expect(server.connections()).toBe(2);
  });

  test('a request waiting for a free connection can be aborted', async () => {
    const releases: (() => void)[] = [];
    server = await startServer(async (_r, res) => {
      await new Promise<void>((ok) => releases.push(ok));
      soap(res, IDENTIFY_RESPONSE);
    });
    transport = new HttpTransport({ endpoint: server.url, maxConnections: 1 });
    const first = transport.post({ operation: 'Receive', body: '<a/>' });
    const ac = new AbortController();
    const second = transport.post({ operation: 'Send', body: '<b/>', signal: ac.signal });
    await until(() => releases.length === 1, 'the first request at the server');
    ac.abort();
    const e = await caught(second);
    expect(e.code).toBe('PSR_ABORTED');
    releases.shift()!();
    expect((await first).status).toBe(200);
    expect(server.requests.length).toBe(1);
  });

  // The server never answers: a close that waited for the long-poll would wait for
  // its 60 s read timeout and fail this test's 10 s limit (no wall-clock bound asserted).
  test('close() does not wait for an outstanding long-poll', { timeout: 10_000 }, async () => {
    server = await startServer(() => undefined);
    const t = new HttpTransport({ endpoint: server.url });
    const pending = t.post({ operation: 'Receive', body: '<x/>', timeoutMs: 60_000 }).catch((e: unknown) => e);
    await until(() => server!.requests.length === 1, 'the long-poll at the server');
    await t.close();
    expect(((await pending) as PsRemoteError).code).toMatch(/^PSR_(TRANSPORT|ABORTED)/);
    await expect(t.post({ operation: 'Send', body: '<x/>' })).rejects.toMatchObject({ code: 'PSR_TRANSPORT' });
  });

  test('endpoint defaults: a bare host is http port 5985 path /wsman, https 5986', () => {
    const t1 = new HttpTransport({ endpoint: 'winhost' });
    expect(t1.url).toBe('http://winhost:5985/wsman');
    const t2 = new HttpTransport({ endpoint: 'winhost', secure: true });
    expect(t2.url).toBe('https://winhost:5986/wsman');
    const t3 = new HttpTransport({ endpoint: 'https://winhost' });
    expect(t3.url).toBe('https://winhost:5986/wsman');
    const t4 = new HttpTransport({ endpoint: 'http://10.0.0.1:8080/custom' });
    expect(t4.url).toBe('http://10.0.0.1:8080/custom');
    expect(() => new HttpTransport({ endpoint: 'ftp://x' })).toThrow(UsageError);
    expect(() => new HttpTransport({ endpoint: 'http://u:secret@x' })).toThrow(/credentials/);
  });

  test('an injected dispatcher factory (undici MockAgent) receives the requests', async () => {
    const agent = new MockAgent({ connections: 1 });
    agent.disableNetConnect();
    agent
      .get('http://mocked:5985')
      .intercept({ path: '/wsman', method: 'POST', headers: { 'user-agent': 'Microsoft WinRM Client' } })
      .reply(200, IDENTIFY_RESPONSE, { headers: { 'content-type': 'application/soap+xml' } });
    const t = new HttpTransport({ endpoint: 'mocked', dispatcherFactory: (origin) => agent.get(origin) });
    const id = await new WSManClient(t).identify();
    expect(id.productVendor).toBe('Microsoft Corporation');
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
});

describe('Basic authentication', () => {
  test('refused over plain http without the explicit opt-in, naming the reason', () => {
    expect(() => new HttpTransport({ endpoint: 'http://host', auth: basicAuth('user', 'Secr3t!') })).toThrow(UsageError);
    try {
      new HttpTransport({ endpoint: 'http://host', auth: basicAuth('user', 'Secr3t!') });
    } catch (e) {
      expect((e as Error).message).toMatch(/clear text/);
      expect((e as Error).message).not.toContain('Secr3t!');
    }
  });

  test('sends the Authorization header when allowed; a 401 is AuthRejectedError without the password', async () => {
    server = await startServer((r, res) => {
      if (r.headers.authorization === `Basic ${Buffer.from('user:Secr3t!').toString('base64')}`) soap(res, IDENTIFY_RESPONSE);
      else res.writeHead(401, { 'www-authenticate': 'Basic realm="WSMAN"', 'content-length': 0 }).end();
    });
    transport = new HttpTransport({ endpoint: server.url, auth: basicAuth('user', 'Secr3t!'), allowUnencrypted: true });
    expect((await new WSManClient(transport).identify()).productVendor).toBe('Microsoft Corporation');
    const bad = new HttpTransport({ endpoint: server.url, auth: basicAuth('user', 'wrong-pw'), allowUnencrypted: true });
    const e = await caught(new WSManClient(bad).identify());
    await bad.destroy();
    expect(e).toBeInstanceOf(AuthRejectedError);
    expect(e.code).toBe('PSR_AUTH_REJECTED');
    expect(e.message).toContain(`127.0.0.1:${server.port}`);
    expect(e.message).toContain('Identify');
    expect(e.message).not.toContain('wrong-pw');
    expect(JSON.stringify(e)).not.toContain('wrong-pw');
    expect((e as AuthRejectedError).offered).toEqual(['Basic']);
  });
});

describe('bad answers from a server give typed errors naming operation and host', () => {
  const host = () => `127.0.0.1:${server!.port}`;

  test('not XML', async () => {
    server = await startServer((_r, res) => soap(res, 'hello, I am not XML'));
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(new WSManClient(transport).identify());
    expect(e.code).toBe('PSR_WSMAN_INVALID');
    expect(e.message).toContain('Identify');
    expect(e.message).toContain(host());
  });

  test('wrong namespace (SOAP 1.1 envelope)', async () => {
    server = await startServer((_r, res) => soap(res, '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>'));
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(new WSManClient(transport).identify());
    expect(e.code).toBe('PSR_WSMAN_INVALID');
    expect(e.message).toMatch(/not a SOAP 1.2 Envelope/);
  });

  test('missing Body', async () => {
    server = await startServer((_r, res) => soap(res, '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>'));
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(new WSManClient(transport).identify());
    expect(e.code).toBe('PSR_WSMAN_INVALID');
    expect(e.message).toMatch(/no Body/);
  });

  test('RelatesTo naming another request', async () => {
    server = await startServer((_r, res) =>
      soap(
        res,
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"><s:Header><a:RelatesTo>uuid:00000000-0000-0000-0000-000000000001</a:RelatesTo></s:Header><s:Body/></s:Envelope>',
      ),
    );
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(new WSManClient(transport).delete('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', 'S1'));
    expect(e.code).toBe('PSR_WSMAN_INVALID');
    expect(e.message).toMatch(/RelatesTo/);
  });

  test('a declared 2 GB Content-Length is refused without reading it', async () => {
    server = await startServer((_r, res, raw) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml', 'content-length': String(2 * 1024 ** 3) });
      res.write('<s:Envelope');
      raw.socket.setTimeout(0);
    });
    transport = new HttpTransport({ endpoint: server.url });
    const before = process.memoryUsage().arrayBuffers;
    const e = await caught(new WSManClient(transport).identify());
    expect(e.code).toBe('PSR_LIMIT');
    expect(e.message).toContain('Content-Length');
    expect(e.message).toContain(host());
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  test('a body streaming past the cap is cut off', async () => {
    server = await startServer((_r, res) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml' }); // chunked, no length
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      let sent = 0;
      const pump = () => {
        while (sent < 100 && res.write(chunk)) sent++;
        if (sent < 100) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    transport = new HttpTransport({ endpoint: server.url, maxResponseBytes: 256 * 1024 });
    const e = await caught(transport.post({ operation: 'Receive', body: '<x/>' }));
    expect(e.code).toBe('PSR_LIMIT');
    expect(e.message).toContain('Receive');
  });

  test.each([500, 503])('an HTML error page with %i is PSR_TRANSPORT_HTTP_STATUS', async (status) => {
    server = await startServer((_r, res) => {
      const html = '<html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>';
      res.writeHead(status, { 'content-type': 'text/html', 'content-length': html.length }).end(html);
    });
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(new WSManClient(transport).create('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', {}));
    expect(e).toBeInstanceOf(TransportError);
    expect(e.code).toBe('PSR_TRANSPORT_HTTP_STATUS');
    expect((e as TransportError).status).toBe(status);
    expect(e.message).toContain(`HTTP ${status}`);
    expect(e.message).toContain('Create');
    expect(e.message).toContain(host());
    expect(e.message).toContain('Service Unavailable');
  });

  test('500 with a SOAP fault becomes WSManFaultError with the HTTP status', async () => {
    const fault =
      '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header/><s:Body><s:Fault>' +
      '<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:AccessDenied</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">Access is denied.</s:Text></s:Reason>' +
      '<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="5" Machine="win"><f:Message>Access is denied. </f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>';
    server = await startServer((_r, res) => soap(res, fault, 500));
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(new WSManClient(transport).identify());
    expect(e).toBeInstanceOf(WSManFaultError);
    expect((e as WSManFaultError).httpStatus).toBe(500);
    expect((e as WSManFaultError).kind).toBe('AccessDenied');
  });

  test('a truncated response (connection closed before Content-Length bytes)', async () => {
    server = await startServer((_r, res, raw) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml', 'content-length': '1000' });
      res.write('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">', () => raw.socket.end());
    });
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(new WSManClient(transport).identify());
    expect(e.code).toBe('PSR_TRANSPORT');
    expect(e.message).toContain('Identify');
    expect(e.message).toContain(host());
    expect(e.cause).toBeDefined();
  });

  test('a connection reset mid-body', async () => {
    server = await startServer((_r, res, raw) => {
      res.writeHead(200, { 'content-type': 'application/soap+xml', 'content-length': '5000' });
      res.write('<s:Envelope', () => setTimeout(() => raw.socket.resetAndDestroy(), 20));
    });
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(transport.post({ operation: 'Receive', body: '<x/>' }));
    expect(e.code).toBe('PSR_TRANSPORT');
    expect(e.message).toContain('Receive');
  });

  test('a server that never answers: the read timeout fires', async () => {
    server = await startServer(() => undefined);
    transport = new HttpTransport({ endpoint: server.url });
    const e = await caught(transport.post({ operation: 'Receive', body: '<x/>', timeoutMs: 300 }));
    expect(e.code).toBe('PSR_TIMEOUT');
    expect(e.message).toContain('Receive');
    expect(e.message).toContain(host());
    expect(e.message).toContain('300 ms');
  });

  test('the read timeout is the operation timeout plus a margin', async () => {
    server = await startServer(() => undefined);
    transport = new HttpTransport({ endpoint: server.url });
    const c = new WSManClient(transport, { operationTimeoutMs: 200, readTimeoutMarginMs: 100 });
    const t0 = Date.now();
    const e = await caught(c.delete('http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd', 'S'));
    expect(e.code).toBe('PSR_TIMEOUT');
    expect(e.message).toContain('300 ms');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  test('a server that never answers: an AbortSignal ends the request', async () => {
    server = await startServer(() => undefined);
    transport = new HttpTransport({ endpoint: server.url });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await caught(transport.post({ operation: 'Receive', body: '<x/>', signal: ac.signal, timeoutMs: 60_000 }));
    expect(e.code).toBe('PSR_ABORTED');
    expect(e.message).toContain('Receive');
  });

  test('nothing listening: connection refused', async () => {
    server = await startServer(() => undefined);
    const url = server.url;
    await server.close();
    server = undefined;
    transport = new HttpTransport({ endpoint: url });
    const e = await caught(transport.post({ operation: 'Create', body: '<x/>' }));
    expect(e.code).toBe('PSR_TRANSPORT');
    expect(e.message).toMatch(/refused/);
  });

  test('the transport keeps working after an error on one connection', async () => {
    let n = 0;
    server = await startServer((_r, res, raw) => {
      if (n++ === 0) raw.socket.destroy();
      else soap(res, IDENTIFY_RESPONSE);
    });
    transport = new HttpTransport({ endpoint: server.url });
    const c = new WSManClient(transport);
    await caught(c.identify());
    expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
  });
});

test('relatesTo helper sanity', () => {
  expect(relatesTo('<a:MessageID>uuid:X</a:MessageID>')).toBe('uuid:X');
});
