// `redis://[user@]host:port/N` (rediss:// for TLS) to ioredis options. The
// password is not taken from the URL (it would show in `ps` and in shell
// history) but from PSREMOTE_REDIS_PASSWORD.

import type { RedisOptions } from 'ioredis';
import { UsageError } from '../errors.js';

export function redisOptions(url: string, env: NodeJS.ProcessEnv = process.env): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--queue ${url}: not a URL (expected redis://HOST:PORT/N)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`--queue ${url}: the scheme must be redis:// or rediss://`);
  if (u.password) throw new UsageError(`--queue: put the Redis password in PSREMOTE_REDIS_PASSWORD, not in the URL`);
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0 || db > 65535) throw new UsageError(`--queue ${url}: the database "${u.pathname.slice(1)}" is not a number`);
  const port = u.port ? Number(u.port) : 6379;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(env.PSREMOTE_REDIS_PASSWORD ? { password: env.PSREMOTE_REDIS_PASSWORD } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis; a command must wait for a reconnect, not fail.
    maxRetriesPerRequest: null,
  };
}
