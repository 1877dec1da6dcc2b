// The injected clock and the retry policy built on it: a ManualClock fires
// timers in due order only as it is moved on, and the network-retry window and
// back-off (winrm/network-retry.ts) follow it, not the wall clock.
import { describe, expect, test } from 'vitest';
import { ManualClock, sleep, systemClock } from '../../src/util/clock.js';
import { Backoff, NetworkOutage, retryPause } from '../../src/winrm/network-retry.js';

describe('ManualClock', () => {
  test('timers fire in due order (ties in the order set) as advance passes them, and not before', async () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    const gone = clock.setTimeout(() => fired.push('cleared'), 15);
    clock.clearTimeout(gone);
    await clock.advance(9);
    expect(fired).toEqual([]);
    expect(clock.nextDue()).toBe(10);
    await clock.advance(11);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.pending).toBe(0);
    expect(clock.now()).toBe(20);
  });

  test('a timer set by a firing timer fires within the same advance when it falls due', async () => {
    const clock = new ManualClock(0);
    const at: number[] = [];
    const tick = () => {
      at.push(clock.now());
      if (at.length < 5) clock.setTimeout(tick, 25);
    };
    clock.setTimeout(tick, 25);
    await clock.advance(100);
    expect(at).toEqual([25, 50, 75, 100]);
    expect(clock.pending).toBe(1);
  });

  test('sleep resolves when the clock passes its time, or at once when aborted (and leaves no timer)', async () => {
    const clock = new ManualClock(0);
    let done = false;
    const p = sleep(clock, 50).then(() => (done = true));
    await clock.advance(49);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = retryPause(1_000, ac.signal, clock);
    expect(clock.pending).toBe(1);
    ac.abort();
    await q;
    expect(clock.pending).toBe(0);
  });

  test('the system clock is the real one', async () => {
    const t0 = systemClock.now();
    expect(Math.abs(t0 - Date.now())).toBeLessThan(1_000);
    await new Promise<void>((r) => systemClock.setTimeout(r, 1, { unref: true }));
  });
});

describe('network retry policy', () => {
  test('one outage window for all loops: interrupted, retries inside the window, over past it, and a success ends it', async () => {
    const clock = new ManualClock(0);
    const outage = new NetworkOutage(600, clock);
    expect(outage.failed()).toBe('interrupted');
    await clock.advance(599);
    expect(outage.failed()).toBe('retry');
    await clock.advance(1);
    expect(outage.failed()).toBe('over');
    expect(outage.recovered()).toBe(true);
    expect(outage.recovered()).toBe(false);
    expect(outage.failed()).toBe('interrupted'); // a new outage, a new window
  });

  test('a window of 0 turns retrying off', () => {
    const outage = new NetworkOutage(0, new ManualClock());
    expect(outage.failed()).toBe('off');
    expect(outage.active).toBe(false);
  });

  test('the pause doubles from the first delay up to 10 s, and starts over after a success', () => {
    const b = new Backoff(500);
    expect([b.take(), b.take(), b.take(), b.take(), b.take(), b.take()]).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000]);
    b.reset();
    expect(b.take()).toBe(500);
  });
});
