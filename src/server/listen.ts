// Starting a test server the same way everywhere: listen (loopback by default),
// keep every connection so close() can end long polls at once, and say the
// `/wsman` URL clients use.

import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Listening {
  readonly url: string;
  /** Destroys every open connection, then closes the server. */
  close(): Promise<void>;
}

export async function listenForWsman(server: Server, options: { port?: number | undefined; host?: string | undefined; secure?: boolean }): Promise<Listening> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    // Replies are written in one piece, but keep Nagle out of loopback latency anyway.
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `${options.secure ? 'https' : 'http'}://${host}:${addr.port}/wsman`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
