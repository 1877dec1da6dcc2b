// SessionStore on Redis, for workers on several machines: one hash per store
// (field = key, value = JSON), compare-and-set as a Lua script so that the
// read and the write are one step on the server. The Redis client (ioredis,
// which BullMQ brings) is the caller's: this file imports only its type, so
// the library itself does not need Redis.

import type { Redis } from 'ioredis';
import { UsageError } from '../errors.js';
import { canonicalJson, type SessionStore } from './handle.js';

// ARGV[1]: the expected value ('' = absent); ARGV[2]: the next one ('' = delete).
// Values are canonical JSON, never '', so '' is free to mean "nothing".
const CAS = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur == false then cur = '' end
if cur ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`;

/** Largest value accepted (a handle is well under 1 KiB; a result may be bigger). */
const MAX_VALUE = 64 * 1024 * 1024;

export class RedisSessionStore<T> implements SessionStore<T> {
  readonly #redis: Redis;
  readonly #key: string;

  /** `key`: the Redis hash that holds this store (default `psremote:sessions`). */
  constructor(redis: Redis, key = 'psremote:sessions') {
    this.#redis = redis;
    this.#key = key;
  }

  #parse(field: string, text: string | null): T | undefined {
    if (text === null) return undefined;
    if (text.length > MAX_VALUE) throw new UsageError(`${this.#key}[${field}] is ${text.length} bytes, more than ${MAX_VALUE}`);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UsageError(`${this.#key}[${field}] in Redis is not valid JSON`);
    }
  }

  async get(key: string): Promise<T | undefined> {
    return this.#parse(key, await this.#redis.hget(this.#key, key));
  }

  /** Several at once (HMGET): undefined where nothing is stored. */
  async getMany(keys: readonly string[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    const texts = await this.#redis.hmget(this.#key, ...keys);
    return texts.map((t, i) => this.#parse(keys[i]!, t));
  }

  async put(key: string, value: T): Promise<void> {
    await this.#redis.hset(this.#key, key, canonicalJson(value));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#redis.hdel(this.#key, key)) > 0;
  }

  async list(): Promise<{ key: string; value: T }[]> {
    const out: { key: string; value: T }[] = [];
    // HSCAN, not HGETALL: a fleet's store may hold many thousands of entries.
    let cursor = '0';
    do {
      const [next, flat] = await this.#redis.hscan(this.#key, cursor, 'COUNT', 500);
      for (let i = 0; i + 1 < flat.length; i += 2) out.push({ key: flat[i]!, value: this.#parse(flat[i]!, flat[i + 1]!)! });
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  async compareAndSet(key: string, expected: T | undefined, next: T | undefined): Promise<boolean> {
    const r = await this.#redis.eval(CAS, 1, this.#key, key, expected === undefined ? '' : canonicalJson(expected), next === undefined ? '' : canonicalJson(next));
    return r === 1;
  }
}
