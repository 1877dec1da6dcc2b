// A recording proxy between a PSRP client and a server on Unix sockets: bytes go
// through untouched, and every OutOfProc line is recorded with its direction.
// Used to take the same trace of PowerShell's own client and of psremote's.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { LineSplitter } from '../../src/transport/outofproc/lines.js';

export interface TraceLine {
  /** c2s: client to server; s2c: server to client. */
  readonly dir: 'c2s' | 's2c';
  readonly line: string;
}

export interface TraceProxy {
  /** Every line of every session so far, in the order the proxy saw them. */
  readonly lines: TraceLine[];
  /** Settles when the current (or next) client session has ended on both sides. */
  sessionEnded(): Promise<void>;
  close(): Promise<void>;
}

export async function startTraceProxy(listenPath: string, targetPath: string): Promise<TraceProxy> {
  rmSync(listenPath, { force: true });
  const lines: TraceLine[] = [];
  const sockets = new Set<Socket>();
  let ended: Promise<void> = new Promise(() => undefined);
  let signalEnded: () => void = () => undefined;
  const arm = () => {
    ended = new Promise((resolve) => (signalEnded = resolve));
  };
  arm();
  const pipe = (from: Socket, to: Socket, dir: TraceLine['dir']) => {
    const split = new LineSplitter();
    from.on('data', (chunk: Buffer) => {
      for (const line of split.push(chunk)) lines.push({ dir, line });
      to.write(chunk);
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect({ path: targetPath });
    sockets.add(client).add(upstream);
    let open = 2;
    const closed = () => {
      if (--open === 0) {
        const done = signalEnded;
        arm();
        done();
      }
    };
    client.on('close', () => (sockets.delete(client), closed()));
    upstream.on('close', () => (sockets.delete(upstream), closed()));
    pipe(client, upstream, 'c2s');
    pipe(upstream, client, 's2c');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPath, () => resolve());
  });
  return {
    lines,
    sessionEnded: () => ended,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(listenPath, { force: true });
    },
  };
}
