// Output backpressure on PowerShell's own engine: a pipeline printing far more
// than the endpoint's output limit while its client is disconnected (nobody
// receives) is paused at the limit (the endpoint stops reading the engine's
// stdout); after Connect-PSSession every object arrives, in order, once.
import { afterEach, expect, it } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { describeWithRealEngine } from '../helpers/peers.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithRealEngine('real engine: output backpressure', (host) => {
  it('a disconnected pipeline printing ~40× the limit holds the limit; reconnected, every object arrives in order', async () => {
    const limit = 128 * 1024;
    ep = await startEndpoint({ realEngine: [host], maxBufferedOutputBytes: limit });
    const pool = await openSession(ep.url, { signal: AbortSignal.timeout(120_000) });
    try {
      const n = 20_000;
      const inv = pool.invoke(`Start-Sleep -Milliseconds 300; 1..${n} | ForEach-Object { "line $_ " + ('x' * 200) }`);
      await inv.started;
      await pool.disconnect({ idleTimeoutMs: 120_000 });
      let last = -1;
      for (let stable = 0, i = 0; stable < 8 && i < 600; i++) {
        await sleep(50);
        const now = ep.stats.bufferedOutputBytes;
        stable = now === last && now >= limit ? stable + 1 : 0;
        last = now;
      }
      expect(last).toBeGreaterThanOrEqual(limit);
      expect(last).toBeLessThanOrEqual(limit + 2 * 64 * 1024);
      await pool.reconnect();
      const seen: string[] = [];
      for await (const x of inv) seen.push(String(x));
      expect(seen.length).toBe(n);
      expect(seen.every((s, i) => s.startsWith(`line ${i + 1} `))).toBe(true);
      expect((await inv.result()).state).toBe('Completed');
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
  }, 180_000);
});
