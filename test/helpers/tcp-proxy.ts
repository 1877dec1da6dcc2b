// A loopback TCP proxy for tests: records the bytes each way, can rewrite
// chunks from the server (tampering), can cut every connection (a dropped
// network) and stop listening for a while (a network that stays down). It
// knows nothing of HTTP.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Everything the client sent / the server sent, across all connections. */
  readonly upstream: Buffer[];
  readonly downstream: Buffer[];
  /** What the client sent, per connection, in accept order. */
  readonly perConnection: Buffer[][];
  /** Connections accepted so far. */
  connections(): number;
  /** Destroys every open connection (both sides). */
  cutAll(): void;
  /** Destroys the connections whose last traffic came from the server (no request waiting); returns how many. */
  cutIdle(): number;
  /** Cuts every connection and stops listening: new connections are refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** `target` (an http(s) URL) rewritten to go through the proxy. */
  url(target: string): string;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /** Rewrites a chunk from the server before the client sees it. */
  readonly fromServer?: (chunk: Buffer) => Buffer;
  /** Rewrites a chunk from the client before the server sees it. */
  readonly fromClient?: (chunk: Buffer) => Buffer;
}

export async function startTcpProxy(targetPort: number, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const upstream: Buffer[] = [];
  const downstream: Buffer[] = [];
  const perConnection: Buffer[][] = [];
  const open = new Set<Socket>();
  const pairs = new Map<Socket, { backend: Socket; last: 'client' | 'server' }>();
  let count = 0;
  const server: Server = createServer((client) => {
    count++;
    const mine: Buffer[] = [];
    perConnection.push(mine);
    const backend = connect(targetPort, '127.0.0.1');
    client.setNoDelay(true);
    backend.setNoDelay(true);
    open.add(client);
    open.add(backend);
    const pair = { backend, last: 'server' as 'client' | 'server' };
    pairs.set(client, pair);
    client.on('data', (c: Buffer) => {
      pair.last = 'client';
      upstream.push(c);
      mine.push(c);
      backend.write(options.fromClient ? options.fromClient(c) : c);
    });
    backend.on('data', (c: Buffer) => {
      pair.last = 'server';
      downstream.push(c);
      client.write(options.fromServer ? options.fromServer(c) : c);
    });
    const end = () => {
      client.destroy();
      backend.destroy();
      open.delete(client);
      open.delete(backend);
      pairs.delete(client);
    };
    client.on('close', end);
    backend.on('close', end);
    client.on('error', end);
    backend.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const cutAll = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    port,
    upstream,
    downstream,
    perConnection,
    connections: () => count,
    cutAll,
    cutIdle: () => {
      let n = 0;
      for (const [client, p] of [...pairs]) {
        if (p.last !== 'server') continue;
        client.destroy();
        p.backend.destroy();
        n++;
      }
      return n;
    },
    down: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        cutAll();
      }),
    up: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r())),
    url: (target) => target.replace(/:\d+\//, `:${port}/`),
    close: async () => {
      cutAll();
      await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };
}
