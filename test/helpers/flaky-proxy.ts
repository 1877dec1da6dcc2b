// A TCP proxy on loopback that the tests can break like a network: cut every
// open connection, refuse new ones (the port stops listening), and come back on
// the same port. Nothing in it knows HTTP, so what the client sees is what a
// dropped network does to it.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface FlakyProxy {
  readonly port: number;
  /** The target URL rewritten to go through the proxy. */
  url(target: string): string;
  /** Destroys every open connection (both sides). */
  cut(): void;
  /** Cuts and stops listening: new connections are refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startFlakyProxy(targetPort: number, host = '127.0.0.1'): Promise<FlakyProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        accepted++;
        const upstream = createConnection({ host, port: targetPort });
        open.add(client);
        open.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  const cut = () => {
    for (const s of [...open]) s.destroy();
    open.clear();
  };
  return {
    get port() {
      return port;
    },
    url: (target) => target.replace(/:\d+\//, `:${port}/`),
    cut,
    down: async () => {
      await new Promise<void>((r) => {
        server.close(() => r());
        cut();
      });
    },
    up: listen,
    get accepted() {
      return accepted;
    },
    close: async () => {
      cut();
      await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };
}
