// A new session to the same host as the same user takes an authenticated
// keep-alive connection a closed one left (NTLM authenticates the socket, so
// no 401 leg is needed), never one of another user or scheme, and not after
// the keep-alive limit (timed on a ManualClock). The server is psremote's
// endpoint with NTLM; its log shows every 401 it sent.
import { afterEach, describe, expect, test } from 'vitest';
import { startEndpoint, type LocalEndpoint } from '../../../src/server/endpoint.js';
import { openSession, type Credential } from '../../../src/session/open.js';
import { runCommand } from '../../../src/winrm/winrs.js';
import { ntlmAuth } from '../../../src/transport/http/ntlm-auth.js';
import { closeIdleConnections, ConnectionShelf, idleConnections, MAX_PARKED, MAX_PARKED_PER_KEY } from '../../../src/transport/http/connection-reuse.js';
import type { HttpConnection } from '../../../src/transport/http/connection.js';
import { ManualClock } from '../../../src/util/clock.js';
import { until } from '../../helpers/until.js';

let ep: LocalEndpoint | undefined;
afterEach(async () => {
  await closeIdleConnections();
  await ep?.close();
  ep = undefined;
});

const alice: Credential = { authentication: 'ntlm', username: 'alice', password: 'Alice-pw-1' };
const bob: Credential = { authentication: 'ntlm', username: 'bob', password: 'Bob-pw-2' };
const challenges = () => ep!.log.filter((l) => l.operation === 'auth' && l.status === 401).length;
const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

async function ntlmEndpoint(): Promise<LocalEndpoint> {
  ep = await startEndpoint({ users: { alice: 'Alice-pw-1', bob: 'Bob-pw-2' }, auth: ['ntlm'] });
  return ep;
}

async function oneCommand(credential: Credential, clock?: ManualClock): Promise<void> {
  const pool = await openSession(ep!.url, { credential, ...(clock ? { clock } : {}) });
  expect((await pool.invoke('Write-Output hi').result()).output).toEqual(['hi']);
  await pool.close();
}

describe('authenticated connections reused across sessions', () => {
  test('a second openSession with the same credentials does no 401 leg; its requests are sealed and answered', async () => {
    await ntlmEndpoint();
    await oneCommand(alice);
    // Two connections, two handshakes: Create and the pool Receive on one, the Command on another.
    expect(challenges()).toBe(2);
    // The pool's long-poll socket is cut at close; the other one is parked.
    expect(idleConnections.size).toBe(1);
    const requestsBefore = ep!.log.length;
    const pool = await openSession(ep!.url, { credential: alice });
    expect(challenges()).toBe(2);
    expect(idleConnections.reused).toBe(1);
    const opening = ep!.log.slice(requestsBefore);
    expect(opening.map((l) => l.operation)).not.toContain('auth');
    expect(opening.filter((l) => l.operation === 'Create').map((l) => l.user)).toEqual(['alice']);
    // The Command needs a second socket while the pool Receive holds the first: that one authenticates.
    expect((await pool.invoke('Write-Output again').result()).output).toEqual(['again']);
    expect(challenges()).toBe(3);
    await pool.close();
  });

  test('another user does the handshake, and does not take the first user\'s connection', async () => {
    await ntlmEndpoint();
    await oneCommand(alice);
    const parked = idleConnections.size;
    const first = challenges();
    await oneCommand(bob);
    expect(challenges()).toBeGreaterThan(first);
    // Alice's parked connections are still there, and bob's were added beside them.
    expect(idleConnections.size).toBeGreaterThan(parked);
    const shells = ep!.log.filter((l) => l.operation === 'Create').map((l) => l.user);
    expect(shells).toEqual(['alice', 'bob']);
  });

  test('the same user with another password is another identity: no reuse', async () => {
    await ntlmEndpoint();
    await oneCommand(alice);
    const first = challenges();
    const wrong: Credential = { authentication: 'ntlm', username: 'alice', password: 'not-the-password' };
    await expect(openSession(ep!.url, { credential: wrong })).rejects.toMatchObject({ code: 'PSR_AUTH_REJECTED' });
    expect(challenges()).toBeGreaterThan(first);
  });

  test('within the keep-alive limit (110 s on the clock) a parked connection is reused; past it, the next session authenticates again', async () => {
    await ntlmEndpoint();
    const clock = new ManualClock();
    await oneCommand(alice, clock);
    const first = challenges();
    await clock.advance(109_000);
    const a = await openSession(ep!.url, { credential: alice, clock });
    expect(challenges()).toBe(first); // taken from the shelf at 109 s
    // Its long-poll socket is cut at close, so the Delete authenticates a socket of its own, which is parked.
    await a.close();
    expect(idleConnections.size).toBe(1);
    const parkedAt = challenges();
    await clock.advance(109_999);
    expect(idleConnections.size).toBe(1);
    await clock.advance(1);
    expect(idleConnections.size).toBe(0); // dropped when the limit passed, not when next asked for
    const b = await openSession(ep!.url, { credential: alice, clock });
    expect(challenges()).toBe(parkedAt + 1);
    await b.close();
  });

  test('WinRS one-shot commands reuse the connection too', async () => {
    await ntlmEndpoint();
    // A new ntlmAuth each time, as each CLI run or caller builds one: the key is the identity, not the object.
    const opts = () => ({ auth: ntlmAuth({ username: 'alice', password: 'Alice-pw-1' }) });
    expect((await runCommand(ep!.url, 'echo', ['one'], { ...opts(), awaitClose: true })).stdout).toBe('one\n');
    const first = challenges();
    expect((await runCommand(ep!.url, 'echo', ['two'], { ...opts(), awaitClose: true })).stdout).toBe('two\n');
    expect(challenges()).toBe(first);
  });

  test('Basic is never parked: each transport closes its sockets', async () => {
    ep = await startEndpoint({ users: { alice: 'pw' }, allowUnencrypted: true });
    const pool = await openSession(ep!.url, { credential: { username: 'alice', password: 'pw' }, allowUnencrypted: true });
    await pool.close();
    expect(idleConnections.size).toBe(0);
  });

  test('closing everything closes the sockets: parked ones by closeIdleConnections, none left behind', async () => {
    await ntlmEndpoint();
    const before = sockets();
    const pools = await Promise.all([openSession(ep!.url, { credential: alice }), openSession(ep!.url, { credential: alice })]);
    for (const p of pools) expect((await p.invoke('Write-Output x').result()).output).toEqual(['x']);
    for (const p of pools) await p.close();
    expect(idleConnections.size).toBeGreaterThan(0);
    await closeIdleConnections();
    expect(idleConnections.size).toBe(0);
    await until(() => sockets() <= before, 'every socket closed (client and server side)');
    expect(ep!.shells()).toEqual([]);
  });
});

describe('the shelf itself (stand-in connections)', () => {
  const fake = (n: number, closed: number[], reusable = true) =>
    ({ park() {}, close: async () => void closed.push(n), reusable, n }) as unknown as HttpConnection & { n: number };

  test('the latest parked is taken first; one not reusable any more (socket gone) is closed, not handed out', async () => {
    const shelf = new ConnectionShelf();
    const clock = new ManualClock(0);
    const closed: number[] = [];
    shelf.park('k', fake(1, closed), clock, 0, 110_000);
    shelf.park('k', fake(2, closed, false), clock, 0, 110_000);
    expect((shelf.take('k') as unknown as { n: number }).n).toBe(1);
    expect(closed).toEqual([2]);
    expect(shelf.take('k')).toBeUndefined();
    expect(shelf.take('another key')).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  test('a connection already idle past the limit is closed at once; bounds per key and in all drop the longest idle', async () => {
    const shelf = new ConnectionShelf();
    const clock = new ManualClock(200_000);
    const closed: number[] = [];
    shelf.park('k', fake(0, closed), clock, 200_000 - 110_000, 110_000);
    expect(closed).toEqual([0]);
    for (let i = 1; i <= MAX_PARKED_PER_KEY + 2; i++) shelf.park('k', fake(i, closed), clock, clock.now() + i, 110_000);
    expect(shelf.size).toBe(MAX_PARKED_PER_KEY);
    expect(closed).toEqual([0, 1, 2]);
    for (let i = 0; i < MAX_PARKED; i++) shelf.park(`key ${i}`, fake(1000 + i, closed), clock, clock.now() + 100 + i, 110_000);
    expect(shelf.size).toBe(MAX_PARKED);
    expect(closed.slice(3)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]); // the first key's, idle longest
    await shelf.closeAll();
    expect(shelf.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
