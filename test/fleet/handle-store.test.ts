// Session handles as data and the SessionStore implementations: a handle taken
// from a pool with a running InDisconnectedSession pipeline, turned into JSON
// and back, connects again and collects the pipeline's output, written while
// nobody listened; it never holds the password. Compare-and-set on files and on
// a real redis-server lets exactly one of many racing writers win.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import { parseSessionHandle, type SessionStore } from '../../src/session/handle.js';
import { connectSession, openSession } from '../../src/session/open.js';
import { RedisSessionStore } from '../../src/session/redis-store.js';
import { FileSessionStore, type NamedSession } from '../../src/session/store.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';

let ep: LocalEndpoint;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'psremote-store-'));
  ep = await startEndpoint({
    users: { alice: 'pa55-word' },
    allowUnencrypted: true,
    handler: async (ctx) => {
      for (let i = 1; i <= 3; i++) {
        ctx.output(`${ctx.commandText} ${i}`);
        await new Promise((r) => setTimeout(r, 30));
      }
    },
  });
});
afterAll(async () => {
  await ep?.close();
  rmSync(dir, { recursive: true, force: true });
});

const credential = { username: 'alice', password: 'pa55-word' } as const;

test('pool.handle() → JSON → connectSession(handle) → pool.receive(pipelineId): the output written while nobody listened, once', async () => {
  const pool = await openSession(ep.url, { credential, allowUnencrypted: true, closeOnExit: false });
  const inv = pool.invoke('tick', { inDisconnectedSession: true });
  await inv.started;
  await pool.disconnect();
  const json = JSON.stringify(pool.handle());
  await pool.release();
  expect(json).not.toContain('pa55-word');
  const h = parseSessionHandle(json);
  expect(h).toEqual({
    version: 1,
    target: ep.url,
    shellId: pool.runspacePoolId.toUpperCase(),
    runspacePoolId: pool.runspacePoolId,
    configurationName: 'Microsoft.PowerShell',
    authentication: 'basic',
    user: 'alice',
    pipelineIds: [inv.pipelineId],
    protocolVersion: '2.3',
  });
  await new Promise((r) => setTimeout(r, 200)); // the pipeline ends on the server meanwhile
  const again = await connectSession(h, { credential, allowUnencrypted: true, closeOnExit: false });
  const got = await again.receive(h.pipelineIds[0]!);
  expect((await got.result()).output).toEqual(['tick 1', 'tick 2', 'tick 3']);
  await again.close();
});

test('release() is only for a Disconnected pool; a bad handle is a typed error naming the field', async () => {
  const pool = await openSession(ep.url, { credential, allowUnencrypted: true, closeOnExit: false });
  await expect(pool.release()).rejects.toMatchObject({ code: 'PSR_INVALID_STATE', currentState: 'Opened' });
  const good = pool.handle();
  await pool.close();
  expect(() => parseSessionHandle('{')).toThrow(/not valid JSON/);
  expect(() => parseSessionHandle({ ...good, version: 2 })).toThrow(/unknown version 2/);
  expect(() => parseSessionHandle({ ...good, shellId: 'x' })).toThrow(/shellId "x" is not a GUID/);
  expect(() => parseSessionHandle({ ...good, pipelineIds: ['nope'] })).toThrow(/pipelineIds\[0\] is not a GUID/);
  expect(() => parseSessionHandle({ ...good, password: 'p' })).toThrow(/never carry secrets/);
  expect(() => parseSessionHandle({ ...good, target: 'x'.repeat(5000) })).toThrow(UsageError);
});

async function raceOn(store: SessionStore<NamedSession>): Promise<void> {
  const entry = (n: number): NamedSession => ({ name: 'job', endpoint: `http://h${n}/wsman`, shellId: 'S', runspacePoolId: 'R', configurationName: 'c', createdAt: 't' });
  const wins = await Promise.all(Array.from({ length: 12 }, (_, n) => store.compareAndSet('job', undefined, entry(n))));
  expect(wins.filter(Boolean)).toHaveLength(1);
  const winner = wins.indexOf(true);
  expect(await store.get('job')).toEqual(entry(winner));
  // Taking it over needs the current value; a stale one loses.
  expect(await store.compareAndSet('job', entry((winner + 1) % 12), entry(99))).toBe(false);
  expect(await store.compareAndSet('job', entry(winner), entry(99))).toBe(true);
  expect((await store.list()).map((e) => e.key)).toEqual(['job']);
  expect(await store.compareAndSet('job', entry(99), undefined)).toBe(true);
  expect(await store.get('job')).toBeUndefined();
  expect(await store.delete('job')).toBe(false);
}

test('FileSessionStore: compare-and-set under its lock file, one winner of twelve', async () => {
  await raceOn(new FileSessionStore(join(dir, 'sessions.json')));
});

describe.skipIf(!redisAvailable())('RedisSessionStore on a real redis-server', () => {
  let redis: RedisServer;
  let r: Redis;
  beforeAll(async () => {
    redis = await startRedis();
    r = new Redis({ host: '127.0.0.1', port: redis.port });
  });
  afterAll(async () => {
    r?.disconnect();
    await redis?.stop();
  });
  test('compare-and-set is one step on the server: one winner of twelve', async () => {
    await raceOn(new RedisSessionStore<NamedSession>(r, 'test:sessions'));
  });
});
