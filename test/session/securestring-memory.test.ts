// The session key exchange on demand, client and server being psremote's own
// PSRP state machines in memory: a host answer that holds a SecureString makes
// the pool exchange a key first (PUBLIC_KEY → ENCRYPTED_SESSION_KEY, with an RSA
// key generated for it), and the server reads the SecureString's text.
import { expect, test } from 'vitest';
import { MemoryCarrier } from '../../src/server/memory-carrier.js';
import { RunspacePool } from '../../src/session/runspace-pool.js';
import { makeSecureString, readSecureString } from '../../src/psrp/clixml-bridge.js';

test('Read-Host -AsSecureString: the key is exchanged first, the server reads the text', async () => {
  const carrier = new MemoryCarrier({
    handler: async (ctx) => {
      const v = await ctx.hostCall(12, 'ReadLineAsSecureString');
      ctx.output(readSecureString(v) ?? 'not a SecureString');
    },
  });
  const asked: string[] = [];
  const pool = await RunspacePool.open(carrier, {
    host: {
      call: (c) => {
        asked.push(c.method);
        return makeSecureString('hunter2');
      },
    },
  });
  const r = await pool.invoke('read').result();
  expect(asked).toEqual(['ReadLineAsSecureString']);
  expect(r.output).toEqual(['hunter2']);
  // Create (+ init), Command, then the PUBLIC_KEY and the host response as Sends.
  expect(carrier.requestCounts.Send).toBe(2);
  // A second SecureString needs no second exchange.
  await pool.exchangeKey();
  expect(carrier.requestCounts.Send).toBe(2);
  await pool.close();
});
