// The client side of bench/client-profile.bench.ts (run under node --cpu-prof):
// one case against the endpoint at PROFILE_URL, then its wall and CPU time as
// one JSON line. `winrs`: runCommand of `big`, the whole stdout collected;
// `objects`: invoke of `objects` on an open pool, every object iterated.
// PROFILE_DIST names another build to profile (an older one, for before/after).
const dist = new URL(`${process.env.PROFILE_DIST ?? '../dist'}/`, import.meta.url);
const { basicAuth } = await import(new URL('transport/http/auth.js', dist).href);
const { openSession } = await import(new URL('session/open.js', dist).href);
const { runCommand } = await import(new URL('winrm/winrs.js', dist).href);
const { flushPendingCloses } = await import(new URL('winrm/exit.js', dist).href);

const target = { endpoint: process.env.PROFILE_URL, auth: basicAuth('alice', 'pw-1'), allowUnencrypted: true };
const kase = process.argv[2];
let amount = 0;
let pool;
if (kase === 'objects') pool = await openSession(target);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
if (kase === 'winrs') {
  const r = await runCommand(target, 'big', []);
  amount = r.stdoutBytes.length;
} else if (kase === 'objects') {
  for await (const o of pool.invoke('objects')) if (o !== undefined) amount++;
} else throw new Error(`unknown case ${kase}`);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await pool?.close();
await flushPendingCloses();
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, amount, rss: process.memoryUsage().rss }));
