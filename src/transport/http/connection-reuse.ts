// Authenticated keep-alive connections handed from a closed transport to the
// next one for the same host and user. NTLM and Kerberos authenticate a TCP
// connection, not a request (MS-NLMP 3.1.1, the HTTP binding in MS-WSMV 2.2.9);
// a new session that gets a socket already authenticated as its user skips the
// two-leg 401 handshake (two round trips, and for Kerberos a service-ticket use).
//
// The rules (spec-notes/wsman-http-transport.md, "Connection reuse"):
// - Only schemes whose HttpAuth gives a `reuseKey` take part (NTLM, Kerberos);
//   Basic, certificates, CredSSP and no-auth never do: Basic sends the password
//   on every request and gains nothing, CredSSP binds delegated credentials
//   into a TLS channel of its own.
// - The key is a SHA-256 over the scheme's identity (user, domain, NT hash or
//   ticket source, settings) and every connection option that changes what the
//   socket is (origin and path, proxy, TLS options, limits, headers): never
//   across users, hosts, schemes or settings, and the key itself reveals nothing.
// - Only a connection whose socket is open, whose last request completed and
//   whose context is established on that very socket is parked.
// - A parked connection is dropped when it has been idle for the transport's
//   keep-alive limit (default 110 s, under HTTP.sys's 120 s), timed on the
//   transport's Clock; parked sockets and their timers never hold the process.

import { createHash } from 'node:crypto';
import type { Clock, ClockTimer } from '../../util/clock.js';
import type { HttpConnection } from './connection.js';

/** Parked connections kept per key and in all: a fan-out to many hosts must not keep a socket per session for 110 s. */
export const MAX_PARKED_PER_KEY = 8;
export const MAX_PARKED = 256;

interface Parked {
  readonly connection: HttpConnection;
  readonly clock: Clock;
  readonly idleSince: number;
  readonly limitMs: number;
  readonly timer: ClockTimer;
}

/** Idle authenticated connections by reuse key, oldest first. */
export class ConnectionShelf {
  readonly #byKey = new Map<string, Parked[]>();
  /** Connections handed to a new transport (tests and the bench count handshakes saved). */
  reused = 0;

  /** Parked connections now, over every key. */
  get size(): number {
    let n = 0;
    for (const list of this.#byKey.values()) n += list.length;
    return n;
  }

  /**
   * Keeps `connection` for the next transport with `key` until it has been idle
   * `limitMs` (counted from `idleSince` on `clock`); closes it if that is past.
   */
  park(key: string, connection: HttpConnection, clock: Clock, idleSince: number, limitMs: number): void {
    const left = limitMs - (clock.now() - idleSince);
    if (left <= 0) {
      void connection.close();
      return;
    }
    connection.park();
    const entry: Parked = {
      connection,
      clock,
      idleSince,
      limitMs,
      timer: clock.setTimeout(() => this.#drop(key, entry), left, { unref: true }),
    };
    const list = this.#byKey.get(key) ?? [];
    list.push(entry);
    this.#byKey.set(key, list);
    // Over a bound, the connection idle longest goes first: it is the nearest to its limit anyway.
    if (list.length > MAX_PARKED_PER_KEY) this.#drop(key, list[0]!);
    if (this.size > MAX_PARKED) this.#dropOldest();
  }

  #dropOldest(): void {
    let oldest: [string, Parked] | undefined;
    for (const [k, list] of this.#byKey) for (const e of list) if (!oldest || e.idleSince < oldest[1].idleSince) oldest = [k, e];
    if (oldest) this.#drop(oldest[0], oldest[1]);
  }

  /** The most recently parked connection for `key` still within its limit and still authenticated, or undefined. */
  take(key: string): HttpConnection | undefined {
    const list = this.#byKey.get(key);
    while (list && list.length > 0) {
      const entry = list.pop()!;
      entry.clock.clearTimeout(entry.timer);
      if (list.length === 0) this.#byKey.delete(key);
      const fresh = entry.clock.now() - entry.idleSince < entry.limitMs;
      if (fresh && entry.connection.reusable) {
        this.reused++;
        return entry.connection;
      }
      void entry.connection.close();
    }
    return undefined;
  }

  #drop(key: string, entry: Parked): void {
    const list = this.#byKey.get(key);
    const i = list?.indexOf(entry) ?? -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (list!.length === 0) this.#byKey.delete(key);
    entry.clock.clearTimeout(entry.timer);
    void entry.connection.close();
  }

  /** Closes every parked connection (their sockets end now). */
  async closeAll(): Promise<void> {
    const all = [...this.#byKey.values()].flat();
    this.#byKey.clear();
    await Promise.all(
      all.map((e) => {
        e.clock.clearTimeout(e.timer);
        return e.connection.close();
      }),
    );
  }
}

/** The process's shelf: every HttpTransport parks on and takes from it (unless reuseConnections is false). */
export const idleConnections = new ConnectionShelf();

/**
 * Closes the authenticated connections kept for reuse. They never hold the
 * process and close themselves within the keep-alive limit; call this to end
 * them at once (a test that counts sockets, a long-lived process going quiet).
 */
export function closeIdleConnections(): Promise<void> {
  return idleConnections.closeAll();
}

/** A key over `parts` that names nothing: a digest, since user names and NT hashes go into it. */
export function reuseDigest(...parts: readonly unknown[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(JSON.stringify(p, (_k, v: unknown) => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)) ?? 'undefined').update('\0');
  return h.digest('base64url');
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

/** A number for an object (a Kerberos ticket source): the same object, the same number; never its contents. */
export function identityOf(o: object): number {
  let id = identities.get(o);
  if (id === undefined) identities.set(o, (id = nextIdentity++));
  return id;
}
