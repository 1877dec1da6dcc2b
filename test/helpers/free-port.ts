// A free TCP port on 127.0.0.1, for a test server another process listens on
// (a KDC, sshd, redis-server): the OS picks one, and it is let go at once.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
