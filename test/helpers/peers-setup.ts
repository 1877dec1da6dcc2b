// Prepares external peers for the integration suites. Each peer records why it
// is unavailable so that the suites that need it can skip with a visible reason
// (or fail, when PSREMOTE_REQUIRE_PEERS=true as on CI).
//
// The real PowerShell engine (test/peer): built with `dotnet build -c Release`
// when dotnet exists, skipped when a stamp says the sources did not change.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PEERS_FILE, type PeersStatus } from './peers-file.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEER_DIR = join(ROOT, 'test', 'peer');
const HOST_DIR = join(PEER_DIR, 'host');
const OUT_DIR = join(HOST_DIR, 'bin', 'Release', 'net10.0', 'linux-x64');
const STAMP = join(HOST_DIR, 'bin', 'sources.sha256');
const BUILD_TIMEOUT_MS = 10 * 60_000;

function log(message: string): void {
  process.stderr.write(`[peers] ${message}\n`);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'bin' || e.name === 'obj') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(cs|csproj|psd1|props|targets|json)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

function sourcesHash(): string {
  const h = createHash('sha256');
  for (const f of sourceFiles(PEER_DIR)) h.update(relative(PEER_DIR, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

function dotnetVersion(): string | undefined {
  const r = spawnSync('dotnet', ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('dotnet', ['build', '-c', 'Release', '-nologo', '-clp:NoSummary;ErrorsOnly'], {
      cwd: HOST_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
    });
    let output = '';
    const collect = (d: Buffer) => (output = (output + d.toString()).slice(-16_000));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    const ticker = setInterval(() => log('still building…'), 15_000);
    child.on('error', (e) => reject(e));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`dotnet build failed (${signal ?? `exit ${code}`}):\n${output.trim()}`));
    });
  });
}

async function realEngine(): Promise<PeersStatus['realEngine']> {
  const version = dotnetVersion();
  if (!version) return { available: false, reason: 'the .NET SDK (dotnet) is not installed, so the real PowerShell engine peer cannot be built' };
  const host = join(OUT_DIR, 'PsrpPeer');
  const hash = sourcesHash();
  const upToDate = existsSync(host) && existsSync(join(OUT_DIR, 'Modules', 'PsrpTestKit', 'PsrpTestKit.dll')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash;
  if (upToDate) {
    log(`real PowerShell engine peer is up to date (${relative(ROOT, host)})`);
  } else {
    const t0 = Date.now();
    log(`building the real PowerShell engine peer with dotnet ${version} (restores System.Management.Automation 7.6.9 on first use)…`);
    try {
      await build();
    } catch (e) {
      return { available: false, reason: (e as Error).message };
    }
    mkdirSync(dirname(STAMP), { recursive: true });
    writeFileSync(STAMP, hash);
    log(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${relative(ROOT, host)}`);
  }
  return { available: true, host, dll: join(OUT_DIR, 'PsrpPeer.dll') };
}

function sshd(): PeersStatus['sshd'] {
  const path = '/usr/sbin/sshd';
  if (!existsSync(path)) return { available: false, reason: `${path} is missing (Debian package openssh-server; .ci/run installs it)` };
  if (spawnSync('ssh-keygen', ['-?'], { timeout: 10_000 }).error) return { available: false, reason: 'ssh-keygen is missing (openssh-client)' };
  // sshd needs root for its privilege-separation directory and to log a user in.
  if (process.getuid?.() !== 0) return { available: false, reason: 'the loopback sshd tests need to run as root' };
  return { available: true, path };
}

function mitKerberos(): NonNullable<PeersStatus['mitKerberos']> {
  for (const p of ['/usr/sbin/krb5kdc', '/usr/sbin/kdb5_util', '/usr/sbin/kadmin.local', '/usr/bin/kinit', '/usr/bin/klist']) {
    if (!existsSync(p)) return { available: false, reason: `${p} is missing (Debian packages krb5-kdc, krb5-admin-server, krb5-user; .ci/run installs them)` };
  }
  return { available: true };
}

function pythonGssapi(): NonNullable<PeersStatus['pythonGssapi']> {
  const python = '/usr/bin/python3';
  const r = spawnSync(python, ['-c', 'import gssapi, gssapi.raw'], { timeout: 30_000 });
  if (r.status !== 0) return { available: false, reason: `${python} cannot import gssapi (Debian package python3-gssapi; .ci/run installs it)` };
  return { available: true, python };
}

export async function setupPeers(): Promise<void> {
  const status: PeersStatus = { realEngine: await realEngine(), sshd: sshd(), mitKerberos: mitKerberos(), pythonGssapi: pythonGssapi() };
  mkdirSync(dirname(PEERS_FILE), { recursive: true });
  writeFileSync(PEERS_FILE, JSON.stringify(status, null, 2));
  const missing = Object.entries(status).filter(([, s]) => !s.available);
  for (const [name, s] of missing) log(`${name} unavailable: ${s.available ? '' : s.reason}`);
  if (missing.length > 0 && process.env.PSREMOTE_REQUIRE_PEERS === 'true') {
    throw new Error(`PSREMOTE_REQUIRE_PEERS=true but peers are unavailable: ${missing.map(([n]) => n).join(', ')}`);
  }
}
