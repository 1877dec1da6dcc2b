// The quiet network-retry window (networkRetryMs, 4 minutes by default) covers
// an open session's Receives only: a Create, or an open whose pool has not
// reached Opened, fails at once with a typed error and leaves no shell. Each
// test keeps the default window, so a quiet retry would hold the open for 4
// minutes and the test would time out instead of seeing the error.
import { afterEach, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { openSession } from '../../src/session/open.js';
import { TransportError } from '../../src/transport/http/errors.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await ep?.close();
  ep = undefined;
});

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('the open succeeded');
    },
    (e: unknown) => e as Error,
  );
}

test('an open against a dead endpoint fails at once with a typed connection error', async () => {
  ep = await startEndpoint({});
  const url = ep.url;
  await ep.close();
  ep = undefined;
  const e = await failure(openSession(url));
  expect(e).toBeInstanceOf(TransportError);
  expect(e).toMatchObject({ code: 'PSR_TRANSPORT', operation: 'Create' });
  expect(e.message).toMatch(/Create to 127\.0\.0\.1:\d+: connection refused/);
}, 15_000);

test('the pool Receive of an open that has not succeeded is not retried: the open fails, the shell is deleted', async () => {
  ep = await startEndpoint({});
  ep.faults.add({ operation: 'Receive', action: { type: 'drop' } });
  const e = await failure(openSession(ep.url));
  expect(e).toBeInstanceOf(TransportError);
  expect(e).toMatchObject({ code: 'PSR_TRANSPORT', operation: 'Receive' });
  expect(ep.stats.requests.Receive).toBe(1);
  expect(ep.stats.requests.Delete).toBe(1);
  expect(ep.shells()).toEqual([]);
}, 15_000);

test('a Create answered 503 (an overloaded IIS) fails at once, tried once', async () => {
  ep = await startEndpoint({});
  ep.faults.add({ operation: 'Create', action: { type: 'status', status: 503 } });
  const e = await failure(openSession(ep.url));
  expect(e).toMatchObject({ code: 'PSR_TRANSPORT_HTTP_STATUS', status: 503, operation: 'Create' });
  expect(ep.stats.requests.Create).toBe(1);
  expect(ep.shells()).toEqual([]);
}, 15_000);
