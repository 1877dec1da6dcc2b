// The KDC transport without a KDC: hand-written peers on 127.0.0.1 (no real
// KDC can be made to send these): a UDP KDC that answers
// KRB_ERR_RESPONSE_TOO_BIG so the client must move to TCP, a TCP peer that
// declares a reply larger than the limit, one that never answers (timeout),
// and an AbortSignal. Real-KDC behaviour is in kdc.test.ts.

import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { parseKrb5Conf } from '../../../src/auth/kerberos/krb5-conf.js';
import { encodeKrbError } from '../../../src/auth/kerberos/messages/index.js';
import { kdcSender, locateKdcs } from '../../../src/transport/kerberos/kdc-client.js';

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

const conf = parseKrb5Conf('[libdefaults]\n  udp_preference_limit = 2000\n  dns_lookup_kdc = false\n');
const tooBig = encodeKrbError({ stime: new Date(0), susec: 0, errorCode: 52, realm: 'R', sname: { nameType: 2, components: ['krbtgt', 'R'] } });

async function tcpServer(onData: (sock: import('node:net').Socket, data: Buffer) => void): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => s.on('data', (d) => onData(s, d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return { port: (server.address() as { port: number }).port, server };
}

async function udpServer(port: number, onMessage: (sock: Socket, msg: Buffer, rinfo: { port: number; address: string }) => void): Promise<void> {
  const sock = createSocket('udp4');
  sock.on('message', (m, r) => onMessage(sock, m, r));
  await new Promise<void>((r) => sock.bind(port, '127.0.0.1', r));
  closers.push(() => sock.close());
}

test('RESPONSE_TOO_BIG over UDP moves the same KDC to TCP', async () => {
  const seen: string[] = [];
  const { port } = await tcpServer((s, d) => {
    seen.push(`tcp ${d.readUInt32BE(0)}`);
    const reply = Buffer.from('the whole reply');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(reply.byteLength);
    s.end(Buffer.concat([len, reply]));
  });
  await udpServer(port, (sock, m, r) => {
    seen.push(`udp ${m.byteLength}`);
    sock.send(tooBig, r.port, r.address);
  });
  const send = kdcSender({ conf, kdc: `127.0.0.1:${port}` });
  const reply = await send('R', new Uint8Array(10));
  expect(Buffer.from(reply).toString()).toBe('the whole reply');
  expect(seen).toEqual(['udp 10', 'tcp 10']);
});

test('a TCP reply length over the limit is refused before it is read', async () => {
  const { port } = await tcpServer((s) => s.write(Uint8Array.of(0x10, 0, 0, 0)));
  const send = kdcSender({ conf: parseKrb5Conf('[libdefaults]\n udp_preference_limit = 1\n'), kdc: `127.0.0.1:${port}` });
  await expect(send('R', new Uint8Array(10))).rejects.toThrow(/reply length 268435456 is over the 262144-byte limit/);
});

test('a KDC that never answers times out per KDC and the error names each one tried', async () => {
  const { port } = await tcpServer(() => {});
  const send = kdcSender({ conf: parseKrb5Conf('[libdefaults]\n udp_preference_limit = 1\n'), kdc: `127.0.0.1:${port}`, timeoutMs: 100 });
  await expect(send('R', new Uint8Array(10))).rejects.toMatchObject({ code: 'PSR_KRB_KDC_UNREACHABLE', message: expect.stringMatching(/KDC 127.0.0.1:\d+ \(tcp\): no answer in 100 ms/) });
});

test('the AbortSignal ends the exchange with PSR_ABORTED', async () => {
  const { port } = await tcpServer(() => {});
  const ac = new AbortController();
  const send = kdcSender({ conf: parseKrb5Conf('[libdefaults]\n udp_preference_limit = 1\n'), kdc: `127.0.0.1:${port}`, signal: ac.signal });
  const p = send('R', new Uint8Array(10));
  ac.abort();
  await expect(p).rejects.toMatchObject({ code: 'PSR_ABORTED' });
});

test('SRV records are ordered by priority then weight; none is a PSR_KRB_CONFIG naming the record', async () => {
  const c = parseKrb5Conf('[libdefaults]\n  default_realm = R\n');
  const resolveSrv = async (name: string) =>
    name === '_kerberos._tcp.R'
      ? [
          { name: 'b.r.', port: 88, priority: 10, weight: 0 },
          { name: 'a.r', port: 750, priority: 0, weight: 5 },
        ]
      : [];
  expect(await locateKdcs('R', { conf: c, resolveSrv })).toEqual([
    { host: 'a.r', port: 750, source: 'DNS SRV', transport: 'tcp' },
    { host: 'b.r', port: 88, source: 'DNS SRV', transport: 'tcp' },
  ]);
  await expect(locateKdcs('R', { conf: c, resolveSrv: async () => [] })).rejects.toThrow(/no KDC for realm R: krb5.conf names none and DNS has no _kerberos._tcp.R SRV record/);
  const cased = parseKrb5Conf('[realms]\n  EXAMPLE.COM = {\n    kdc = k\n  }\n[libdefaults]\n  dns_lookup_kdc = false\n');
  await expect(locateKdcs('example.com', { conf: cased })).rejects.toThrow(/krb5.conf has EXAMPLE.COM: realm names are case-sensitive/);
});
