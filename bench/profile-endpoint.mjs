// The endpoint side of bench/client-profile.bench.ts, in its own process so the
// client's profile holds the client only: the local endpoint (compiled dist/)
// with a WinRS command `big` (PROFILE_BIG_MB of stdout, 50 by default) and a
// PowerShell command `objects` writing PROFILE_OBJECTS (20,000) objects shaped
// like Get-Process rows.
import { startEndpoint } from '../dist/server/endpoint.js';

const BIG = Number(process.env.PROFILE_BIG_MB ?? 50) * 1024 * 1024;
const OBJECTS = Number(process.env.PROFILE_OBJECTS ?? 20_000);
const ep = await startEndpoint({
  users: { alice: 'pw-1' },
  allowUnencrypted: true,
  cmdCommands: {
    big: (ctx) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x61);
      for (let n = 0; n < BIG; n += chunk.length) ctx.stdout(chunk);
      return 0;
    },
  },
  psCommands: {
    objects: (ctx) => {
      const start = Date.UTC(2026, 0, 1);
      for (let i = 0; i < OBJECTS; i++) {
        ctx.output({
          Name: `process-${i}`,
          Id: i,
          CPU: i * 1.25,
          WorkingSet64: 1_000_000n + BigInt(i),
          StartTime: new Date(start + i * 1000),
          Path: `C:\\Program Files\\Vendor\\bin\\process-${i}.exe`,
          Responding: i % 7 !== 0,
        });
      }
    },
  },
});
process.on('message', (m) => {
  if (m === 'close') void ep.close().then(() => process.exit(0));
});
process.send({ url: ep.url });
