// VIA=winrs of bench/file-transfer.bench.ts: copyToHost / copyFromHost through
// the endpoint in its own process, whose WinRS commands run pwsh through
// /bin/sh (PATH must hold pwsh: the bench puts its folder first). MiB/s each
// way and CPU ms per MiB of client / endpoint / engine (the copy's pwsh, a
// child of the endpoint: counted in the endpoint's cutime+cstime once it
// exited), then RSS_MB up from a stream and down to a discarding sink and to a
// file, sampling each process's RSS every 100 ms: peak minus idle (for the
// engine, which lives only for its copy, minus its RSS once it had 8 MiB).
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { copyFromHost, copyToHost, type CopyResult } from '../src/session/copy/index.js';
import { randomFile } from '../test/session/copy/harness.js';

const MB = 1024 * 1024;
const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
/** CPU seconds of a process itself, and of its children it waited for. */
const cpuOf = (pid: number) => {
  const f = stat(pid);
  return { self: (Number(f[11]) + Number(f[12])) / 100, children: (Number(f[13]) + Number(f[14])) / 100 };
};
const rssOf = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};
/** Child pids from /proc (no `ps` process: sampling every 100 ms must not cost the client CPU it measures). */
const kids = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const deepest = (pid: number): number | undefined => {
  let last: number | undefined;
  for (let k = kids(pid); k.length > 0; k = kids(k.at(-1)!)) last = k.at(-1);
  return last;
};

interface Args {
  pwsh: string;
  version: string;
  size: number;
  rss: number;
  configs: { envelopeKb: number; receiveKb: number }[];
  endpoint: (envelopeKb: number, receiveKb: number) => Promise<{ url: string; pid: number; close(): Promise<void> }>;
}

export async function winrsBench(args: Args): Promise<void> {
  // lanes do not apply to one command: the default CONFIGS' 500/96/1 and 500/96/2 are one row here
  const seen = new Set<string>();
  const a = { ...args, configs: args.configs.filter((c) => !seen.has(`${c.envelopeKb}/${c.receiveKb}`) && seen.add(`${c.envelopeKb}/${c.receiveKb}`)) };
  process.env.PATH = `${dirname(a.pwsh)}${delimiter}${process.env.PATH ?? ''}`;
  const o = { powershell: a.pwsh };
  const dir = mkdtempSync(join(tmpdir(), 'psremote-bench-winrs-'));
  console.log(`machine: ${execSync('nproc').toString().trim()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; Node ${process.version}; pwsh ${a.version}; ${a.size / MB} MiB of random bytes; via WinRS`);
  console.log('');
  console.log('| envelope (ReceiveResponse) | stdin per Send | upload MiB/s | CPU ms per MiB: client / endpoint / engine | download MiB/s | CPU ms per MiB: client / endpoint / engine | load |');
  console.log('|---|---|---|---|---|---|---|');
  try {
    const local = join(dir, 'src.bin');
    if (process.env.TABLE !== '0') await randomFile(local, a.size);
    for (const c of process.env.TABLE === '0' ? [] : a.configs) {
      const ep = await a.endpoint(c.envelopeKb, c.receiveKb);
      await copyToHost(ep.url, Readable.from([Buffer.from('warm')]), join(dir, 'warm.txt'), { ...o, overwrite: true });
      let cpu0 = [cpuOf(process.pid), cpuOf(ep.pid)];
      const measure = (r: CopyResult) => {
        const cpu = [cpuOf(process.pid), cpuOf(ep.pid)];
        const mib = r.bytes / MB;
        const ms = (s: number) => ((s / mib) * 1000).toFixed(0);
        const per = `${ms(cpu[0]!.self - cpu0[0]!.self)} / ${ms(cpu[1]!.self - cpu0[1]!.self)} / ${ms(cpu[1]!.children - cpu0[1]!.children)}`;
        cpu0 = cpu;
        return { rate: (mib / r.seconds).toFixed(1), per, chunk: r.chunkSize };
      };
      const remote = join(dir, 'remote.bin');
      const back = join(dir, 'back.bin');
      const up = measure(await copyToHost(ep.url, local, remote, o));
      const down = measure(await copyFromHost(ep.url, remote, back, o));
      console.log(`| ${c.envelopeKb} KB (${c.receiveKb} KiB) | ${up.chunk} | ${up.rate} | ${up.per} | ${down.rate} | ${down.per} | ${loadavg()[0]!.toFixed(1)} |`);
      rmSync(remote);
      rmSync(back);
      await ep.close();
    }
    rmSync(local, { force: true });
    if (a.rss > 0) await rssRuns(a, dir, o);
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rssRuns(a: Args, dir: string, o: { powershell: string }): Promise<void> {
  const c = a.configs.at(-1)!;
  const ep = await a.endpoint(c.envelopeKb, c.receiveKb);
  await copyToHost(ep.url, Readable.from([Buffer.from('warm')]), join(dir, 'warm.txt'), { ...o, overwrite: true });
  global.gc?.();
  await new Promise((r) => setTimeout(r, 500));
  const idle = { client: process.memoryUsage().rss, endpoint: rssOf(ep.pid), engine: 0 };
  let peak = { ...idle };
  let engine: number | undefined;
  let done = 0;
  const timer = setInterval(() => {
    peak.client = Math.max(peak.client, process.memoryUsage().rss);
    peak.endpoint = Math.max(peak.endpoint, rssOf(ep.pid));
    // the copy's process chain (sh → the pwsh shim → dotnet) grows while it starts: the deepest, each time
    engine = deepest(ep.pid) ?? engine;
    if (engine === undefined) return;
    const r = rssOf(engine);
    if (idle.engine === 0 && done >= 8 * MB) idle.engine = r;
    peak.engine = Math.max(peak.engine, r);
  }, 100);
  const onProgress = (p: { bytesDone: number }) => void (done = p.bytesDone);
  const row = (k: keyof typeof idle) => `${k} idle ${(idle[k] / MB).toFixed(0)} MiB, peak ${(peak[k] / MB).toFixed(0)} MiB (+${((peak[k] - idle[k]) / MB).toFixed(0)} MiB)`;
  let cpu0 = [cpuOf(process.pid), cpuOf(ep.pid)];
  const report = (what: string, r: CopyResult) => {
    const cpu = [cpuOf(process.pid), cpuOf(ep.pid)];
    const ms = (s: number) => ((s / (r.bytes / MB)) * 1000).toFixed(0);
    console.log(
      `${what}: ${(r.bytes / MB / r.seconds).toFixed(1)} MiB/s (envelope ${c.envelopeKb} KB, ${r.chunkSize} stdin bytes per Send); RSS ${row('client')}; ${row('endpoint')}; ${row('engine')}; CPU ms per MiB client / endpoint / engine ${ms(cpu[0]!.self - cpu0[0]!.self)} / ${ms(cpu[1]!.self - cpu0[1]!.self)} / ${ms(cpu[1]!.children - cpu0[1]!.children)}; load ${loadavg()[0]!.toFixed(1)}`,
    );
    cpu0 = cpu;
    peak = { ...idle, engine: 0 };
    idle.engine = 0;
    engine = undefined;
    done = 0;
  };
  const block = randomBytes(1 << 20);
  async function* gen() {
    for (let n = 0; n < a.rss; n += block.length) yield block;
  }
  const big = join(dir, 'big.bin');
  console.log('');
  if (process.env.RSS_UP === '0') {
    await randomFile(big, a.rss);
    cpu0 = [cpuOf(process.pid), cpuOf(ep.pid)];
  } else report(`upload ${a.rss / MB} MiB from a stream`, await copyToHost(ep.url, Readable.from(gen()), big, { ...o, onProgress }));
  const h = createHash('sha256');
  report(`download ${a.rss / MB} MiB to a sink`, await copyFromHost(ep.url, big, new Writable({ write: (b: Buffer, _e, cb) => (h.update(b), cb()) }), { ...o, onProgress }));
  report(`download ${a.rss / MB} MiB to a file`, await copyFromHost(ep.url, big, join(dir, 'big-back.bin'), { ...o, onProgress }));
  clearInterval(timer);
  await ep.close();
}
