// The endpoint's request log (LocalEndpoint.log) is kept in memory for tests and
// harnesses to read, and a long-lived endpoint answers millions of requests: so
// it keeps only the latest entries. It stays a plain array to its readers; the
// oldest entries are dropped in batches (a quarter of the limit at a time), so
// trimming costs O(1) per entry and the array never holds much more than
// 1.25 × limit.

/** Drops the oldest entries of `log` once it holds more than 1.25 × `limit`; returns how many. */
export function trimLog(log: unknown[], limit: number): number {
  const max = Math.max(1, Math.floor(limit));
  if (log.length <= max + Math.max(1, Math.floor(max / 4))) return 0;
  const drop = log.length - max;
  log.splice(0, drop);
  return drop;
}
