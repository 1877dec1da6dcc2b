// File transfer on loopback: copyToSession / copyFromSession of SIZE_MB (default
// 100) through `psremote serve --engine real` (a separate process, as users run
// it) with real pwsh behind it; MB/s each way with the envelope, chunk and
// pipelines used. Then RSS_MB (default 1024; 0 skips) up and down from a
// generated stream to a discarding sink, sampling the RSS of this client, of the
// endpoint process and of the pwsh engine every 100 ms: peak minus idle.
// Needs `npm run build` (dist/) and pwsh (PSREMOTE_PWSH, PATH or ~/.dotnet/tools).
// Run heavy: `nice -n 10 node --import tsx bench/file-transfer.bench.ts`.
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { openSession } from '../src/session/open.js';
import { copyFromSession, copyToSession } from '../src/session/copy/index.js';
import { findPwsh } from '../test/helpers/pwsh.js';
import { randomFile } from '../test/session/copy/harness.js';

const pwsh = findPwsh();
const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
if (!pwsh.path || !existsSync(cli)) {
  console.log(`skipped: ${pwsh.path ? 'dist/ is not built (npm run build)' : pwsh.reason}`);
  process.exit(0);
}
const SIZE = Number(process.env.SIZE_MB ?? 100) * 1024 * 1024;
const RSS = Number(process.env.RSS_MB ?? 1024) * 1024 * 1024;
const MB = 1024 * 1024;

const server = spawn(process.execPath, [cli, 'serve', '--engine', 'real', '--engine-command', `${pwsh.path} -s -NoLogo -NoProfile`], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', (c) => reject(new Error(`serve exited ${c}: ${out}`)));
});
const dir = mkdtempSync(join(tmpdir(), 'psremote-bench-copy-'));
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
/** CPU seconds (user + system) a process has used. */
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const kids = (pid: number) => execSync(`ps -o pid= --ppid ${pid}`).toString().trim().split(/\s+/).filter(Boolean).map(Number);
try {
  const pool = await openSession(url, { maxRunspaces: 2 });
  // the engine: serve → pwsh (the dotnet tool's shim) → dotnet pwsh.dll
  const engines = kids(server.pid!).flatMap((p) => [p, ...kids(p)]);
  const engine = engines.at(-1)!;
  const local = join(dir, 'src.bin');
  await randomFile(local, SIZE);
  const remote = join(dir, 'remote.bin');
  const back = join(dir, 'back.bin');
  console.log(`machine: ${execSync("nproc").toString().trim()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; Node ${process.version}; pwsh ${pwsh.version}`);
  console.log(`payload budget ${pool.payloadBudget} bytes (MaxEnvelopeSize 512000 after protocol 2.2+)`);
  // CPU per MiB does not depend on how loaded the shared machine is, unlike MiB/s.
  let cpu0 = { client: cpuOf(process.pid), endpoint: cpuOf(server.pid!), engine: cpuOf(engine) };
  const line = (what: string, r: { seconds: number; bytes: number; chunkSize: number; parallel: number }) => {
    const cpu = { client: cpuOf(process.pid), endpoint: cpuOf(server.pid!), engine: cpuOf(engine) };
    const per = (k: keyof typeof cpu) => `${k} ${(((cpu[k] - cpu0[k]) / (r.bytes / MB)) * 1000).toFixed(0)} ms`;
    console.log(
      `${what}: ${(r.bytes / MB).toFixed(0)} MiB in ${r.seconds.toFixed(2)} s = ${(r.bytes / MB / r.seconds).toFixed(1)} MiB/s (chunk ${r.chunkSize} bytes, ${r.parallel} pipeline); CPU per MiB: ${per('client')}, ${per('endpoint')}, ${per('engine')}; load ${loadavg()[0]!.toFixed(1)}`,
    );
    cpu0 = cpu;
  };
  line('upload', await copyToSession(pool, local, remote));
  line('download', await copyFromSession(pool, remote, back));
  rmSync(local);
  rmSync(back);
  rmSync(remote);

  if (RSS > 0) {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 500));
    const idle = { client: process.memoryUsage().rss, endpoint: rssOf(server.pid!), engine: rssOf(engine) };
    const peak = { ...idle };
    const timer = setInterval(() => {
      peak.client = Math.max(peak.client, process.memoryUsage().rss);
      peak.endpoint = Math.max(peak.endpoint, rssOf(server.pid!));
      peak.engine = Math.max(peak.engine, rssOf(engine));
    }, 100);
    const block = randomBytes(1 << 20);
    async function* gen() {
      for (let done = 0; done < RSS; done += block.length) yield block;
    }
    const big = join(dir, 'big.bin');
    const row = (k: keyof typeof idle) => `${k} idle ${(idle[k] / MB).toFixed(0)} MiB, peak ${(peak[k] / MB).toFixed(0)} MiB (+${((peak[k] - idle[k]) / MB).toFixed(0)} MiB)`;
    const rss = (what: string) => console.log(`RSS ${what}: ${row('client')}; ${row('endpoint')}; ${row('engine')}`);
    line(`upload ${RSS / MB} MiB from a stream`, await copyToSession(pool, Readable.from(gen()), big));
    rss(`during the ${RSS / MB} MiB upload`);
    const h = createHash('sha256');
    line(`download ${RSS / MB} MiB to a sink`, await copyFromSession(pool, big, new Writable({ write: (c: Buffer, _e, cb) => (h.update(c), cb()) })));
    clearInterval(timer);
    rss(`during the ${RSS / MB} MiB upload and download`);
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
  await pool.close();
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
