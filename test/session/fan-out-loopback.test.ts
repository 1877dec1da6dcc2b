// Invoke-Command -ComputerName over 200 hosts, simulated on loopback: 200 local
// WinRM endpoints (one is down), real HTTP, throttle 32.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { invokeOnHosts } from '../../src/session/invoke.js';

const endpoints: LocalEndpoint[] = [];
let maxActive = 0;
let active = 0;

beforeAll(async () => {
  for (let i = 0; i < 200; i++) {
    endpoints.push(
      await startEndpoint({
        handler: async (ctx) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await new Promise((r) => setTimeout(r, 5));
          ctx.output(`host ${i}`);
          active--;
        },
      }),
    );
  }
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
});

test('200 hosts, throttle 32: every result, the host that is down reported, the others unaffected', async () => {
  const down = endpoints[77]!.url;
  await endpoints[77]!.close(); // this host refuses connections
  const results = [];
  for await (const r of invokeOnHosts(endpoints.map((e) => e.url), 'hostname', { throttleLimit: 32, operationTimeoutMs: 5_000 })) {
    results.push(r);
  }
  expect(results).toHaveLength(200);
  const failed = results.filter((r) => !r.ok);
  expect(failed.map((r) => r.host)).toEqual([down]);
  expect(failed[0]!.ok ? undefined : failed[0]!.error).toMatchObject({ code: 'PSR_TRANSPORT' });
  const outputs = results.flatMap((r) => (r.ok ? r.result.output : []));
  expect(new Set(outputs)).toEqual(new Set(endpoints.map((_e, i) => `host ${i}`).filter((h) => h !== 'host 77')));
  expect(maxActive).toBeLessThanOrEqual(32);
  expect(maxActive).toBeGreaterThan(1);
  expect(endpoints.filter((_e, i) => i !== 77).every((e) => e.stats.openShells === 0)).toBe(true);
}, 60_000);
