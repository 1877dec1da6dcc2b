// PowerShell sessions over WS-Management against the local endpoint (scripted
// engine) on loopback: time to open a pool, latency of a trivial command on an
// open pool (median of 200), and the requests each step costs. The engine is
// scripted, so this measures psremote's client and the WSMan/PSRP path, not
// PowerShell.
import { startEndpoint } from '../src/server/endpoint.js';
import { openSession } from '../src/session/open.js';

const ep = await startEndpoint();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const snapshot = () => ({ ...ep.stats.requests });
const diff = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.keys(b).filter((k) => (b[k] ?? 0) - (a[k] ?? 0) > 0).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));

// warm-up
for (let i = 0; i < 5; i++) await (await openSession(ep.url)).close();

const opens: number[] = [];
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  const p = await openSession(ep.url);
  opens.push(performance.now() - t);
  await p.close();
}

let before = snapshot();
const pool = await openSession(ep.url);
const openCost = diff(before, snapshot());
const lat: number[] = [];
for (let i = 0; i < 220; i++) {
  const t = performance.now();
  await pool.invoke('Write-Output 1').result();
  if (i >= 20) lat.push(performance.now() - t);
}
before = snapshot();
await pool.invoke('Write-Output 1').result();
const cmdCost = diff(before, snapshot());
before = snapshot();
await pool.close();
const closeCost = diff(before, snapshot());
await ep.close();

console.log(`pool open (openSession, new HTTP client each time): median ${median(opens).toFixed(2)} ms over ${opens.length}`);
console.log(`trivial command on an open pool: median ${median(lat).toFixed(2)} ms over ${lat.length}`);
console.log(`requests to open: ${JSON.stringify(openCost)}`);
console.log(`requests for one command: ${JSON.stringify(cmdCost)} (command Receives only; the pool Receive stays outstanding)`);
console.log(`requests to close: ${JSON.stringify(closeCost)}`);
