// Waits for a condition that real I/O brings about (a request reaching the
// endpoint, a socket closing), polling. It asserts nothing about time: timing
// behaviour is driven by a ManualClock (src/util/clock.ts), and this only lets
// the sockets catch up; the limit turns a hang into a failure naming `what`.
export function until(cond: () => boolean, what = 'the condition', limitMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - t0 > limitMs) return reject(new Error(`${what} was not reached within ${limitMs} ms`));
      setTimeout(tick, 5);
    };
    tick();
  });
}
