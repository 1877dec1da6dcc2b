// A cmd command's ReceiveResponse is filled to maxReceiveBytes: its output is a
// byte stream, so the endpoint takes part of a piece that does not fit whole
// (a child's pipe gives 64 KiB pieces; a 96 KiB answer took one at a time).
// PowerShell shells keep whole pieces (their output is PSRP fragments).
import { randomBytes } from 'node:crypto';
import { afterEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { runCommand } from '../../src/winrm/winrs.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

test('three 64 KiB pieces come in two full 96 KiB answers, every byte in order', async () => {
  const pieces = [randomBytes(65_536), randomBytes(65_536), randomBytes(65_536)];
  ep = await startEndpoint({
    maxReceiveBytes: 96 * 1024,
    cmdCommands: {
      pieces: (ctx) => {
        for (const p of pieces) ctx.stdout(p);
        return 0;
      },
    },
  });
  const r = await runCommand(ep.url, 'pieces', [], { awaitClose: true });
  expect(r.exitCode).toBe(0);
  expect(r.stdoutBytes.equals(Buffer.concat(pieces))).toBe(true);
  // 96 KiB + 96 KiB (with Done); whole pieces only would take three
  expect(ep.stats.requests.Receive).toBe(2);
});
