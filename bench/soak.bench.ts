// Long-lived sessions stay flat (issue 24). The endpoint runs in its own
// process (bench/soak-endpoint.mjs, scripted engine); this process is the
// client. Three runs, each sampled every SOAK_EVERY commands: the client's heap
// after a full GC and its CPU time per command, the endpoint's heap after GC,
// RSS and CPU per command, and what both sides' stats say they hold:
//   1. SOAK_COMMANDS (100,000) `Write-Output 1` on one PowerShell session;
//   2. the same number of WinRS commands on one cmd shell;
//   3. SOAK_SESSIONS (1,000) sessions one after another, each running SOAK_PER_SESSION (100) commands.
// Growth per command is measured from the first sample (JIT warm, pools of
// buffers filled) to the last.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openSession } from '../src/session/open.js';
import { openShell } from '../src/winrm/winrs.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const COMMANDS = Number(process.env.SOAK_COMMANDS ?? 100_000);
const EVERY = Number(process.env.SOAK_EVERY ?? 10_000);
const SESSIONS = Number(process.env.SOAK_SESSIONS ?? 1_000);
const PER_SESSION = Number(process.env.SOAK_PER_SESSION ?? 100);
const only = process.env.SOAK_ONLY; // 'pool' | 'winrs' | 'sessions'

interface EndpointSample {
  heapUsed: number;
  rss: number;
  cpuUs: number;
  stats: Record<string, number>;
}

const child = fork(join(import.meta.dirname, 'soak-endpoint.mjs'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
let pending: ((m: unknown) => void) | undefined;
const url = await new Promise<string>((resolve, reject) => {
  child.once('message', (m) => resolve((m as { url: string }).url));
  child.once('exit', () => reject(new Error('the endpoint exited')));
});
child.on('message', (m) => pending?.(m));
const sampleEndpoint = () =>
  new Promise<EndpointSample>((resolve) => {
    pending = (m) => resolve(m as EndpointSample);
    child.send('sample');
  });

const mb = (b: number) => (b / 1048576).toFixed(2);
const clientHeap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

interface Row {
  n: number;
  heap: number;
  cpuPer: number;
  wallPer: number;
  ep: EndpointSample;
  epCpuPer: number;
  held: string;
}

async function soak(title: string, total: number, every: number, step: () => Promise<void>, held: () => string, unit = 'command'): Promise<void> {
  console.log(`\n### ${title}\n`);
  console.log(`| ${unit}s | client heap after GC (MiB) | client CPU per ${unit} (ms) | wall per ${unit} (ms) | endpoint heap after GC (MiB) | endpoint RSS (MiB) | endpoint CPU per ${unit} (ms) | held (client; endpoint) |`);
  console.log('|---|---|---|---|---|---|---|---|');
  const rows: Row[] = [];
  let ep0 = await sampleEndpoint();
  let c0 = cpuUs();
  let t0 = performance.now();
  for (let i = 1; i <= total; i++) {
    await step();
    if (i % every !== 0) continue;
    const cpuPer = (cpuUs() - c0) / every / 1000;
    const wallPer = (performance.now() - t0) / every;
    const heap = clientHeap();
    const ep = await sampleEndpoint();
    const row: Row = { n: i, heap, cpuPer, wallPer, ep, epCpuPer: (ep.cpuUs - ep0.cpuUs) / every / 1000, held: held() };
    rows.push(row);
    const e = ep.stats;
    console.log(
      `| ${i.toLocaleString('en')} | ${mb(heap)} | ${cpuPer.toFixed(3)} | ${wallPer.toFixed(3)} | ${mb(ep.heapUsed)} | ${mb(ep.rss)} | ${row.epCpuPer.toFixed(3)} | ${row.held}; shells ${e.openShells}, commands ${e.commandsHeld}, bytes ${e.bufferedBytes}, engine pipelines ${e.enginePipelines}, log ${e.logEntries} |`,
    );
    ep0 = await sampleEndpoint();
    c0 = cpuUs();
    t0 = performance.now();
  }
  if (rows.length < 2) return;
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const span = last.n - first.n;
  console.log(
    `\nfrom ${first.n.toLocaleString('en')} to ${last.n.toLocaleString('en')} ${unit}s: client heap ${((last.heap - first.heap) / span).toFixed(2)} B per ${unit}, ` +
      `endpoint heap ${((last.ep.heapUsed - first.ep.heapUsed) / span).toFixed(2)} B per ${unit}, endpoint RSS ${((last.ep.rss - first.ep.rss) / span).toFixed(2)} B per ${unit}; ` +
      `client CPU per ${unit} ${first.cpuPer.toFixed(3)} → ${last.cpuPer.toFixed(3)} ms (min ${Math.min(...rows.map((r) => r.cpuPer)).toFixed(3)}, max ${Math.max(...rows.map((r) => r.cpuPer)).toFixed(3)})`,
  );
}

const heldPool = (s: { openPipelines: number; outgoingQueues: number; bufferedBytes: number; carrierPipelines: number }) =>
  `pipelines ${s.openPipelines}, queues ${s.outgoingQueues}, bytes ${s.bufferedBytes}, receive loops ${s.carrierPipelines}`;

console.log(`machine: ${(await import('node:os')).cpus()[0]?.model ?? '?'} × ${(await import('node:os')).cpus().length}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);

if (!only || only === 'pool') {
  const pool = await openSession(url, { closeOnExit: false });
  await soak(`${COMMANDS.toLocaleString('en')} commands on one PowerShell session`, COMMANDS, EVERY, async () => {
    const r = await pool.invoke('Write-Output 1').result();
    if (r.output[0] !== 1) throw new Error(`unexpected output ${JSON.stringify(r.output)}`);
  }, () => heldPool(pool.stats()));
  await pool.close();
}

if (!only || only === 'winrs') {
  const shell = await openShell(url);
  await soak(`${COMMANDS.toLocaleString('en')} WinRS commands on one cmd shell`, COMMANDS, EVERY, async () => {
    const cmd = await shell.run('one');
    const [out, code] = await Promise.all([cmd.stdout.collect(), cmd.exitCode]);
    if (code !== 0 || out.length !== 3) throw new Error(`unexpected answer ${code} ${JSON.stringify(out.toString())}`);
  }, () => `commands ${shell.stats().commands}`);
  await shell.close();
}

if (!only || only === 'sessions') {
  let done = 0;
  await soak(
    `${SESSIONS.toLocaleString('en')} sessions one after another, ${PER_SESSION} commands each`,
    SESSIONS,
    Math.max(1, Math.floor(SESSIONS / 10)),
    async () => {
      const pool = await openSession(url, { closeOnExit: false });
      for (let i = 0; i < PER_SESSION; i++) await pool.invoke('Write-Output 1').result();
      await pool.close();
      done++;
    },
    () => `sessions closed ${done}`,
    'session',
  );
}

child.send('close');
await new Promise((r) => child.once('exit', r));
