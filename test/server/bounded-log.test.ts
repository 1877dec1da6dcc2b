// The endpoint's in-memory logs keep the latest entries only (issue 24): the
// request log (`logLimit`) and the fault injector's `fired` list.
import { describe, expect, test } from 'vitest';
import { trimLog } from '../../src/server/bounded-log.js';
import { FaultInjector } from '../../src/server/faults.js';

describe('trimLog', () => {
  test('drops the oldest entries in batches once past 1.25 × the limit; the newest are kept in order', () => {
    const log: number[] = [];
    let dropped = 0;
    for (let i = 0; i < 1000; i++) {
      dropped += trimLog(log, 100);
      log.push(i);
      expect(log.length).toBeLessThanOrEqual(126);
    }
    expect(log.at(-1)).toBe(999);
    expect(log).toEqual(Array.from({ length: log.length }, (_, k) => 1000 - log.length + k));
    expect(dropped + log.length).toBe(1000);
    expect(trimLog([1, 2, 3], 100)).toBe(0);
  });

  test('a fault rule firing without end keeps the latest 10,000 firings', () => {
    const f = new FaultInjector();
    f.add({ operation: 'Receive', times: Infinity, action: { type: 'drop' } });
    for (let i = 0; i < 30_000; i++) expect(f.match('Receive', undefined, undefined)).toEqual({ type: 'drop' });
    expect(f.fired.length).toBeGreaterThanOrEqual(10_000);
    expect(f.fired.length).toBeLessThanOrEqual(12_501);
  });
});
