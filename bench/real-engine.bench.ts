// psremote against PowerShell's own server (test/peer: SMA 7.6.9 over stdio):
// time to open a pool (process start included, and on a running process), the
// latency of a trivial command on an open pool (median of 200), and output
// throughput of a large pipeline. Needs the peer built (npm test builds it, or
// `dotnet build -c Release` in test/peer/host).
import { existsSync } from 'node:fs';
import { openSession } from '../src/session/open.js';

const host = new URL('../test/peer/host/bin/Release/net10.0/linux-x64/PsrpPeer', import.meta.url).pathname;
if (!existsSync(host)) {
  console.log(`skipped: ${host} is not built (run npm test or dotnet build -c Release in test/peer/host)`);
  process.exit(0);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const target = `exec:${host}`;

await (await openSession(target)).close(); // warm the file cache
const opens: number[] = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  const p = await openSession(target);
  opens.push(performance.now() - t);
  await p.close();
}

const pool = await openSession(target);
const lat: number[] = [];
for (let i = 0; i < 230; i++) {
  const t = performance.now();
  await pool.invoke('1').result();
  if (i >= 30) lat.push(performance.now() - t);
}

async function throughput(script: string, runs = 3) {
  let best = { ms: Infinity, objects: 0, bytes: 0 };
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    let objects = 0;
    let bytes = 0;
    for await (const o of pool.invoke(script)) {
      objects++;
      bytes += typeof o === 'string' ? o.length : 8;
    }
    const ms = performance.now() - t;
    if (ms < best.ms) best = { ms, objects, bytes };
  }
  return best;
}
const big = await throughput("1..20000 | ForEach-Object { [string]::new('x', 2500) }");
const small = await throughput('1..100000');
await pool.close();

console.log(`pool open (process start + SMA start + open): median ${median(opens).toFixed(0)} ms over ${opens.length}`);
console.log(`trivial command on an open pool: median ${median(lat).toFixed(2)} ms over ${lat.length}`);
console.log(
  `large output (20 000 strings of 2 500 chars, 50 MB): ${big.ms.toFixed(0)} ms, ${(big.bytes / 1e6 / (big.ms / 1000)).toFixed(1)} MB/s, ${(big.objects / (big.ms / 1000)).toFixed(0)} objects/s (best of 3)`,
);
console.log(`many small objects (1..100000): ${small.ms.toFixed(0)} ms, ${(small.objects / (small.ms / 1000)).toFixed(0)} objects/s (best of 3)`);
