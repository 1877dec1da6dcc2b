// The endpoint holds a Send while the command's output is at its limit (nobody
// receives), so input cannot pile up either (long-poll.ts waitForRoom). A Send
// with no data (stdin's End alone: runCommand and `psremote exec` send it right
// after the Command, before their first Receive) must not be held: its client
// receives only after the answer, so holding it stalled every command with more
// output than the limit ready at once for the Send's whole OperationTimeout
// (50 MiB of stdout took 21 s instead of 0.5 s) and then answered it with a
// timed-out fault. (Sends with data are still held: test/server/endpoint-limits.test.ts.)
import { afterEach, expect, it } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { runCommand } from '../../src/winrm/winrs.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

const LIMIT = 256 * 1024;
const start = () =>
  startEndpoint({
    maxBufferedOutputBytes: LIMIT,
    cmdCommands: {
      // More than the limit at once, before any Receive: the outbox is full when the Send comes.
      flood: async (ctx) => {
        for (let i = 0; i < 8; i++) ctx.stdout(Buffer.alloc(LIMIT / 2, 0x61));
        return 0;
      },
    },
  });

it("an empty stdin End is answered at once while the command's output is at its limit", async () => {
  ep = await start();
  const r = await runCommand(ep.url, 'flood', [], { operationTimeoutMs: 3_000 });
  expect(r.stdoutBytes.length).toBe(4 * LIMIT);
  const sends = ep.log.filter((l) => l.operation === 'Send');
  // Held, it would have been answered after 3 s with a timed-out fault (status 500).
  expect(sends.map((s) => s.status)).toEqual([200]);
  const ops = ep.log.map((l) => l.operation).filter((o) => o !== 'auth');
  expect(ops.slice(0, 4)).toEqual(['Create', 'Command', 'Send', 'Receive']);
}, 30_000);
