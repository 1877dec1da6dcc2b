// What a hostile client or a web page cannot make the endpoint do: requests a
// browser can send (text/plain, an Origin header, a foreign Host after DNS
// rebinding) are refused before anything is processed; slow and oversized
// requests are cut off with the endpoint's counters showing nothing was kept;
// connections are capped; and a command printing far more than the output
// limit with nobody receiving is paused at the limit, every byte arriving in
// order once a client receives. Timeouts are configured small; the assertions
// are on counters and bytes, not on time.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { WSManClient } from '../../src/winrm/wsman-client.js';
import { HttpTransport } from '../../src/transport/http/transport.js';
import { RESOURCE } from '../../src/wsman/namespaces.js';
import { recording } from '../helpers/recordings.js';
import { ManualClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';

let ep: LocalEndpoint | undefined;
const open: Socket[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) s.destroy();
  await ep?.close();
  ep = undefined;
});

// A real Create (pywinrm's, from the recordings), as a page would try to replay it.
const CREATE = recording('test_winrs_standard.yml').exchanges[0]!.request;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function post(headers: Record<string, string>, body = CREATE): Promise<{ status: number; text: string }> {
  const u = new URL(ep!.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('browsers cannot drive the endpoint (no --users: the case a web page would aim at)', () => {
  test.each([
    ['text/plain (a form or fetch without preflight)', { 'content-type': 'text/plain' }, 400],
    ['application/x-www-form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }, 400],
    ['no Content-Type with a body', {}, 400],
    ['an Origin header', { 'content-type': 'application/soap+xml;charset=UTF-8', origin: 'https://attacker.example' }, 403],
    ['a foreign Host (DNS rebinding)', { 'content-type': 'application/soap+xml;charset=UTF-8', host: 'attacker.example:5985' }, 403],
  ] as const)('%s is refused before any shell exists', async (_name, headers, status) => {
    ep = await startEndpoint();
    const r = await post(headers);
    expect(r.status).toBe(status);
    expect(ep.stats.openShells).toBe(0);
    expect(ep.stats.requests).toEqual({});
    expect(ep.stats.refused).toBe(1);
    expect(ep.log).toEqual([expect.objectContaining({ operation: 'refused', status })]);
  });

  test('what WinRM clients send passes: the bound address, localhost on loopback, configured names, sealed types', async () => {
    ep = await startEndpoint({ allowedHosts: ['winrm.test'] });
    const port = new URL(ep.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', 'winrm.test:5985']) {
      expect((await post({ 'content-type': 'application/soap+xml;charset=UTF-8', host })).status).toBe(200);
    }
    expect(ep.stats.openShells).toBe(4);
    // Sealed content types get past the guard (and are then refused by the missing NTLM context, not the guard).
    for (const ct of ['multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"', 'multipart/x-multi-encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"']) {
      await post({ 'content-type': ct });
    }
    expect(ep.stats.refused).toBe(0);
    expect((await post({ 'content-type': 'application/soap+xml', host: 'winrm.test.attacker.example' })).status).toBe(403);
  });
});

describe('bounded before authentication', () => {
  function raw(): Promise<Socket> {
    const u = new URL(ep!.url);
    return new Promise((resolve, reject) => {
      const s = connect(Number(u.port), u.hostname, () => resolve(s));
      s.on('error', reject);
      open.push(s);
    });
  }
  const closed = (s: Socket) => new Promise<string>((resolve) => {
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
  });

  test('slowloris headers: cut off by the header timeout, nothing read as a request', async () => {
    ep = await startEndpoint({ users: { alice: 'pw' }, headersTimeoutMs: 300 });
    const s = await raw();
    const end = closed(s);
    let gone = false;
    void end.then(() => (gone = true));
    s.write('POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let sent = 0;
    for (; sent < 400 && !gone; sent++) {
      s.write(`X-Slow-${sent}: a\r\n`);
      await sleep(25);
    }
    expect(gone).toBe(true);
    expect(await end).toMatch(/^HTTP\/1\.1 408/);
    expect(ep.stats.bytesIn).toBe(0);
    expect(ep.log).toEqual([]);
  });

  test('a slow body of an unauthenticated request: cut off by the request timeout, nothing kept', async () => {
    ep = await startEndpoint({ users: { alice: 'pw' }, headersTimeoutMs: 200, requestTimeoutMs: 400 });
    const s = await raw();
    const end = closed(s);
    let gone = false;
    void end.then(() => (gone = true));
    s.write('POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 1000000\r\n\r\n');
    let sent = 0;
    for (; sent < 400 && !gone; sent++) {
      s.write('x'.repeat(16));
      await sleep(25);
    }
    expect(gone).toBe(true);
    expect(ep.stats.bytesIn).toBeLessThanOrEqual(sent * 16);
    expect(ep.stats.requests).toEqual({});
    expect(ep.stats.openShells).toBe(0);
  });

  test('an oversized body: a declared one is refused unread; a chunked one is cut at the limit', async () => {
    ep = await startEndpoint({ users: { alice: 'pw' }, maxEnvelopeSizeKb: 16 });
    const maxBody = 16 * 1024 * 2 + 64 * 1024;
    const r = await post({ 'content-type': 'application/soap+xml' }, 'x'.repeat(maxBody + 1));
    expect(r.status).toBe(413);
    expect(ep.stats.bytesIn).toBe(0);

    const s = await raw();
    const end = closed(s);
    let gone = false;
    void end.then(() => (gone = true));
    s.write('POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = 'y'.repeat(16 * 1024);
    let written = 0;
    for (let i = 0; i < 2_000 && !gone; i++) {
      const ok = s.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      written += chunk.length;
      if (!ok) await new Promise((r2) => setTimeout(r2, 5));
      if (i % 8 === 0) await sleep(1);
    }
    expect(gone).toBe(true);
    // The 413 is written (the log says so), but closing with unread data resets the connection: the client may not see it.
    expect(ep.stats.bytesIn).toBeLessThanOrEqual(maxBody + 64 * 1024);
    expect(written).toBeGreaterThan(ep.stats.bytesIn);
    expect(ep.log.map((l) => [l.operation, l.status])).toEqual([['refused', 413], ['invalid', 413]]);
  });

  test('connections over maxConnections are closed on arrival', async () => {
    ep = await startEndpoint({ maxConnections: 3 });
    const sockets = await Promise.all([raw(), raw(), raw()]);
    const extra = await Promise.all([raw(), raw()]);
    await Promise.all(extra.map(closed));
    expect(ep.stats.connectionsDropped).toBe(2);
    for (const s of sockets) expect(s.destroyed).toBe(false);
  });

  test('a burst of dropped connections is one line for the operator, naming the count and the limit', async () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    ep = await startEndpoint({ maxConnections: 2, clock, onNotice: (l) => lines.push(l) });
    await Promise.all([raw(), raw()]);
    const burst = await Promise.all([raw(), raw(), raw(), raw(), raw()]);
    await Promise.all(burst.map(closed));
    expect(ep.stats.connectionsDropped).toBe(5);
    // The line waits for the end of the one-second window, so the whole burst is on it.
    expect(lines).toEqual([]);
    await clock.advance(999);
    expect(lines).toEqual([]);
    await clock.advance(1);
    expect(lines).toEqual([
      '5 connections dropped on arrival since the last such line (5 in all): the endpoint holds at most 2 connections at once (maxConnections); raise it with serve --max-connections N (EndpointOptions.maxConnections)',
    ]);
    expect(ep.log.filter((l) => l.operation === 'dropped')).toEqual([{ operation: 'dropped', status: 0, reason: lines[0] }]);
    // Quiet afterwards: no more lines.
    await clock.advance(10_000);
    expect(lines).toHaveLength(1);
    // A later drop is a line of its own, counted from the last line; one still pending is written at close.
    await closed(await raw());
    await until(() => ep!.stats.connectionsDropped === 6, 'the sixth drop');
    await ep.close();
    ep = undefined;
    expect(lines.at(-1)).toMatch(/^1 connection dropped on arrival since the last such line \(6 in all\): the endpoint holds at most 2 connections at once/);
    expect(lines).toHaveLength(2);
  });
});

describe('output backpressure', () => {
  test('a command printing 60× the limit with no Receive holds the limit; every byte then arrives, in order', async () => {
    const limit = 256 * 1024;
    ep = await startEndpoint({ maxBufferedOutputBytes: limit });
    const c = new WSManClient(new HttpTransport({ endpoint: ep.url }), { operationTimeoutMs: 5_000 });
    try {
      const shell = await c.create(RESOURCE.cmdShell, {});
      const cid = await c.command(RESOURCE.cmdShell, shell.shellId, { command: 'seq 1 2000000' });
      // Wait until the child is paused: the buffer stops growing.
      let last = -1;
      for (let stable = 0, i = 0; stable < 6 && i < 400; i++) {
        await sleep(50);
        const now = ep.stats.bufferedOutputBytes;
        stable = now === last && now > 0 ? stable + 1 : 0;
        last = now;
      }
      expect(last).toBeGreaterThanOrEqual(limit);
      expect(last).toBeLessThanOrEqual(limit + 2 * 64 * 1024); // one pipe read past the limit, per stream
      const parts: Buffer[] = [];
      let done = false;
      let most = 0;
      for (let i = 0; i < 10_000 && !done; i++) {
        const r = await c.receive(RESOURCE.cmdShell, shell.shellId, { commandId: cid });
        if (r.type === 'timeout') continue;
        for (const st of r.streams) if (st.name === 'stdout') parts.push(Buffer.from(st.data));
        done = r.commandState?.state === 'Done';
        most = Math.max(most, ep.stats.bufferedOutputBytes);
      }
      expect(done).toBe(true);
      expect(most).toBeLessThanOrEqual(limit + 2 * 64 * 1024);
      const text = Buffer.concat(parts).toString();
      const expected = Array.from({ length: 2_000_000 }, (_, i) => `${i + 1}\n`).join('');
      expect(text.length).toBe(expected.length);
      expect(text === expected).toBe(true);
      await c.delete(RESOURCE.cmdShell, shell.shellId);
    } finally {
      await c.close();
    }
  });

  test('input to a command whose output nobody receives is held too: Sends wait, then time out; nothing accepted is lost', async () => {
    const limit = 256 * 1024;
    ep = await startEndpoint({ maxBufferedOutputBytes: limit, maxOperationTimeoutMs: 300 });
    const c = new WSManClient(new HttpTransport({ endpoint: ep.url }), { operationTimeoutMs: 5_000 });
    try {
      const shell = await c.create(RESOURCE.cmdShell, {});
      const cid = await c.command(RESOURCE.cmdShell, shell.shellId, { command: 'cat' });
      const piece = (i: number) => Buffer.from(`${String(i).padStart(8, '0')}${'z'.repeat(200 * 1024 - 9)}\n`);
      let accepted = 0;
      let refusedSend: unknown;
      for (let i = 0; i < 100 && refusedSend === undefined; i++) {
        try {
          await c.send(RESOURCE.cmdShell, shell.shellId, [{ name: 'stdin', commandId: cid, data: piece(i) }]);
          accepted++;
        } catch (e) {
          refusedSend = e;
        }
      }
      expect(refusedSend).toMatchObject({ kind: 'OperationTimeout' });
      expect(accepted).toBeGreaterThanOrEqual(2); // at least the output limit went through before the hold
      // Held: the output limit, Node's stdin buffer up to the limit, two pipes and cat's own buffer, one Send.
      expect(accepted * 200 * 1024).toBeLessThan(2 * 1024 * 1024);
      expect(ep.stats.bufferedOutputBytes).toBeLessThanOrEqual(limit + 2 * 64 * 1024);
      await c.send(RESOURCE.cmdShell, shell.shellId, [{ name: 'stdin', commandId: cid, data: new Uint8Array(), end: true }]).catch(() => undefined);
      const parts: Buffer[] = [];
      for (let i = 0; i < 1_000; i++) {
        const r = await c.receive(RESOURCE.cmdShell, shell.shellId, { commandId: cid });
        if (r.type === 'timeout') continue;
        for (const st of r.streams) if (st.name === 'stdout') parts.push(Buffer.from(st.data));
        if (r.commandState?.state === 'Done') break;
        if (Buffer.concat(parts).length >= accepted * 200 * 1024) {
          // everything accepted has come back; end stdin now that there is room
          await c.send(RESOURCE.cmdShell, shell.shellId, [{ name: 'stdin', commandId: cid, data: new Uint8Array(), end: true }]).catch(() => undefined);
        }
      }
      const back = Buffer.concat(parts);
      expect(back.length).toBe(accepted * 200 * 1024);
      expect(back.equals(Buffer.concat(Array.from({ length: accepted }, (_, i) => piece(i))))).toBe(true);
      await c.delete(RESOURCE.cmdShell, shell.shellId);
    } finally {
      await c.close();
    }
  });
});
