// File transfer on loopback: copyToSession / copyFromSession of SIZE_MB (default
// 100) through the local endpoint in its own process (bench/copy-endpoint.mjs:
// `psremote serve --engine real` with the envelope limits varied) with real pwsh
// behind it. For each configuration in CONFIGS (envelope KB / ReceiveResponse KB
// / lanes, default "500/96/1 500/96/2 2048/1536/2") it prints MiB/s each way and
// the CPU per MiB of the three processes (client, endpoint, engine), which,
// unlike MiB/s, does not depend on how loaded the shared machine is. Then
// RSS_MB (default 1024; 0 skips) up and down from a generated stream to a
// discarding sink and to a file, sampling the RSS of each process every 100 ms:
// peak minus idle. TABLE=0 skips the table, RSS_UP=0 the 1 GiB upload; WINDOW and
// CHUNK set the window and chunk size of those runs.
// VIA=winrs: copyToHost / copyFromHost instead (one WinRS command per copy, the
// bytes raw on its stdin/stdout); the engine is then the copy's own pwsh, a
// child of the endpoint: its CPU is the endpoint's children's (cutime), and its
// RSS is sampled while it lives (peak minus its RSS once the copy began).
// Needs `npm run build` (dist/) and pwsh (PSREMOTE_PWSH, PATH or ~/.dotnet/tools).
// Run heavy: `nice -n 10 node --import tsx bench/file-transfer.bench.ts`.
import { execSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { openSession } from '../src/session/open.js';
import { copyFromSession, copyToSession, readEnvelopeSizeKb, type CopyResult } from '../src/session/copy/index.js';
import { winrsBench } from './file-transfer-winrs.js';
import { findPwsh, pwshEngineCommand } from '../test/helpers/pwsh.js';
import { randomFile } from '../test/session/copy/harness.js';

const pwsh = findPwsh();
const endpointScript = new URL('./copy-endpoint.mjs', import.meta.url).pathname;
if (!pwsh.path || !existsSync(new URL('../dist/server/endpoint.js', import.meta.url).pathname)) {
  console.log(`skipped: ${pwsh.path ? 'dist/ is not built (npm run build)' : pwsh.reason}`);
  process.exit(0);
}
const MB = 1024 * 1024;
const SIZE = Number(process.env.SIZE_MB ?? 100) * MB;
const RSS = Number(process.env.RSS_MB ?? 1024) * MB;
const CONFIGS = (process.env.CONFIGS ?? '500/96/1 500/96/2 2048/1536/2').split(/\s+/).map((c) => {
  const [envelopeKb = 500, receiveKb = 96, lanes = 1] = c.split('/').map(Number);
  return { envelopeKb, receiveKb, lanes };
});

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
/** CPU seconds (user + system) a process has used. */
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const kids = (pid: number) => execSync(`ps -o pid= --ppid ${pid}`).toString().trim().split(/\s+/).filter(Boolean).map(Number);

export async function endpoint(envelopeKb: number, receiveKb: number) {
  const child = fork(endpointScript, [JSON.stringify(pwshEngineCommand(pwsh.path!))], { env: { ...process.env, ENVELOPE_KB: String(envelopeKb), RECEIVE_KB: String(receiveKb) } });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (c) => reject(new Error(`the endpoint exited ${c}`)));
  });
  return {
    url,
    pid: child.pid!,
    close: () => new Promise<void>((r) => (child.send('close'), child.once('exit', () => r()))),
  };
}

if (process.env.VIA === 'winrs') {
  await winrsBench({ pwsh: pwsh.path!, version: pwsh.version ?? '?', size: SIZE, rss: RSS, configs: CONFIGS, endpoint });
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'psremote-bench-copy-'));
console.log(`machine: ${execSync('nproc').toString().trim()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; Node ${process.version}; pwsh ${pwsh.version}; ${SIZE / MB} MiB of random bytes`);
console.log('');
console.log('| envelope (ReceiveResponse) | lanes | chunk | upload MiB/s | CPU ms per MiB: client / endpoint / engine | download MiB/s | CPU ms per MiB: client / endpoint / engine | load |');
console.log('|---|---|---|---|---|---|---|---|');
try {
  const local = join(dir, 'src.bin');
  if (process.env.TABLE !== '0') await randomFile(local, SIZE);
  for (const c of process.env.TABLE === '0' ? [] : CONFIGS) {
    const ep = await endpoint(c.envelopeKb, c.receiveKb);
    const kb = await readEnvelopeSizeKb(ep.url);
    const pool = await openSession(ep.url, { maxRunspaces: Math.max(2, c.lanes), ...(kb ? { envelopeSize: { serverConfigKb: kb } } : {}) });
    await pool.invoke('1').result();
    // the engine: endpoint → pwsh (the dotnet tool's shim) → dotnet pwsh.dll
    const engine = kids(ep.pid).flatMap((p) => [p, ...kids(p)]).at(-1)!;
    const pids = [process.pid, ep.pid, engine];
    let cpu0 = pids.map(cpuOf);
    const measure = (r: CopyResult) => {
      const cpu = pids.map(cpuOf);
      const per = cpu.map((v, i) => (((v - cpu0[i]!) / (r.bytes / MB)) * 1000).toFixed(0)).join(' / ');
      cpu0 = cpu;
      return { rate: (r.bytes / MB / r.seconds).toFixed(1), per, chunk: r.chunkSize };
    };
    const remote = join(dir, 'remote.bin');
    const back = join(dir, 'back.bin');
    const up = measure(await copyToSession(pool, local, remote, { parallel: c.lanes }));
    const down = measure(await copyFromSession(pool, remote, back, { parallel: c.lanes }));
    console.log(`| ${c.envelopeKb} KB (${c.receiveKb} KiB) | ${c.lanes} | ${up.chunk} | ${up.rate} | ${up.per} | ${down.rate} | ${down.per} | ${loadavg()[0]!.toFixed(1)} |`);
    rmSync(remote);
    rmSync(back);
    await pool.close();
    await ep.close();
  }
  rmSync(local, { force: true });

  if (RSS > 0) {
    const c = CONFIGS.at(-1)!;
    const ep = await endpoint(c.envelopeKb, c.receiveKb);
    const kb = await readEnvelopeSizeKb(ep.url);
    const pool = await openSession(ep.url, { maxRunspaces: 2, ...(kb ? { envelopeSize: { serverConfigKb: kb } } : {}) });
    await pool.invoke('1').result();
    const engine = kids(ep.pid).flatMap((p) => [p, ...kids(p)]).at(-1)!;
    global.gc?.();
    await new Promise((r) => setTimeout(r, 500));
    const idle = { client: process.memoryUsage().rss, endpoint: rssOf(ep.pid), engine: rssOf(engine) };
    let peak = { ...idle };
    // the client's RSS split: V8's heap, and Buffers outside it (freed only when a GC finds their objects dead)
    let heap = { total: 0, arrayBuffers: 0 };
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      heap = { total: Math.max(heap.total, m.heapTotal), arrayBuffers: Math.max(heap.arrayBuffers, m.arrayBuffers) };
      peak.client = Math.max(peak.client, m.rss);
      peak.endpoint = Math.max(peak.endpoint, rssOf(ep.pid));
      peak.engine = Math.max(peak.engine, rssOf(engine));
    }, 100);
    // WINDOW, CHUNK: the copies' window and chunk size (what psremote controls of the engine's memory)
    const knobs = { ...(process.env.WINDOW ? { window: Number(process.env.WINDOW) } : {}), ...(process.env.CHUNK ? { chunkSize: Number(process.env.CHUNK) } : {}) };
    console.log(`window ${knobs.window ?? 'default'}, chunk ${knobs.chunkSize ?? 'default'}`);
    const block = randomBytes(1 << 20);
    async function* gen() {
      for (let done = 0; done < RSS; done += block.length) yield block;
    }
    const big = join(dir, 'big.bin');
    const row = (k: keyof typeof idle) => `${k} idle ${(idle[k] / MB).toFixed(0)} MiB, peak ${(peak[k] / MB).toFixed(0)} MiB (+${((peak[k] - idle[k]) / MB).toFixed(0)} MiB)`;
    const pids = [process.pid, ep.pid, engine];
    let cpu0 = pids.map(cpuOf);
    const rss = (what: string, r: CopyResult) => {
      const cpu = pids.map(cpuOf);
      const per = cpu.map((v, i) => (((v - cpu0[i]!) / (r.bytes / MB)) * 1000).toFixed(0)).join(' / ');
      cpu0 = cpu;
      console.log(
        `${what}: ${(r.bytes / MB / r.seconds).toFixed(1)} MiB/s (envelope ${c.envelopeKb} KB, chunk ${r.chunkSize}, ${r.parallel} lane); RSS ${row('client')}; ${row('endpoint')}; ${row('engine')}; client heap peak ${(heap.total / MB).toFixed(0)} MiB, Buffers peak ${(heap.arrayBuffers / MB).toFixed(0)} MiB; CPU ms per MiB client / endpoint / engine ${per}; load ${loadavg()[0]!.toFixed(1)}`,
      );
    };
    console.log('');
    // RSS_UP=0: the endpoint's file system is this machine's, so write the file directly and measure downloads only
    if (process.env.RSS_UP === '0') {
      await randomFile(big, RSS);
      cpu0 = pids.map(cpuOf);
    }
    else rss(`upload ${RSS / MB} MiB from a stream`, await copyToSession(pool, Readable.from(gen()), big, knobs));
    peak = { ...idle };
    heap = { total: 0, arrayBuffers: 0 };
    const h = createHash('sha256');
    // a Writable sink: one lane (ranges need a file to write at offsets)
    rss(`download ${RSS / MB} MiB to a sink`, await copyFromSession(pool, big, new Writable({ write: (b: Buffer, _e, cb) => (h.update(b), cb()) }), knobs));
    peak = { ...idle };
    heap = { total: 0, arrayBuffers: 0 };
    rss(`download ${RSS / MB} MiB to a file`, await copyFromSession(pool, big, join(dir, 'big-back.bin'), { ...knobs, parallel: 2 }));
    clearInterval(timer);
    await pool.close();
    await ep.close();
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
