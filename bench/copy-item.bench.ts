// psremote's copy beside PowerShell's own Copy-Item -ToSession / -FromSession,
// pwsh to pwsh on loopback. pwsh on Linux has no WSMan client library
// (New-PSSession -ConnectionUri fails: "no supported WSMan client library was
// found"), so the comparison runs over PowerShell remoting on SSH, which both
// speak: a loopback sshd (test/helpers/sshd.ts) whose `powershell` subsystem is
// `pwsh -sshs`; Copy-Item from a pwsh client, copyToSession / copyFromSession
// from psremote (ssh:// target), SIZE_MB (default 100) of random bytes each way.
// CPU seconds of the client side are measured too (this process, or the pwsh
// client and its ssh child). Needs pwsh and /usr/sbin/sshd.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSession } from '../src/session/open.js';
import { copyFromSession, copyToSession } from '../src/session/copy/index.js';
import { findPwsh } from '../test/helpers/pwsh.js';
import { SSHD, startLoopbackSshd } from '../test/helpers/sshd.js';
import { randomFile, sha256File } from '../test/session/copy/harness.js';

const pwsh = findPwsh();
if (!pwsh.path || !existsSync(SSHD)) {
  console.log(`skipped: ${pwsh.path ? `${SSHD} is missing` : pwsh.reason}`);
  process.exit(0);
}
const MB = 1024 * 1024;
const SIZE = Number(process.env.SIZE_MB ?? 100) * MB;
const dir = mkdtempSync(join(tmpdir(), 'psremote-bench-copyitem-'));
// the subsystem script passes --ssh (for the test peer); pwsh wants -sshs
const wrapper = join(dir, 'pwsh-sshs');
writeFileSync(wrapper, `#!/bin/sh\nexec '${pwsh.path}' -sshs -NoLogo -NoProfile\n`, { mode: 0o755 });
const sshd = await startLoopbackSshd(wrapper);
try {
  const local = join(dir, 'src.bin');
  await randomFile(local, SIZE);
  const want = await sha256File(local);
  console.log(`machine: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at start; pwsh ${pwsh.version}; ${SIZE / MB} MiB; loopback sshd, subsystem pwsh -sshs`);
  console.log('');
  console.log('| client | upload MiB/s | download MiB/s | client CPU s (up + down) | load |');
  console.log('|---|---|---|---|---|');

  const script = `
$ErrorActionPreference = 'Stop'
$s = New-PSSession -HostName 127.0.0.1 -Port ${sshd.port} -UserName ${sshd.username} -KeyFilePath '${sshd.clientKeyPath}' -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null' }
$up = Measure-Command { Copy-Item -ToSession $s -Path '${local}' -Destination '${join(dir, 'ci-remote.bin')}' }
$down = Measure-Command { Copy-Item -FromSession $s -Path '${join(dir, 'ci-remote.bin')}' -Destination '${join(dir, 'ci-back.bin')}' }
Remove-PSSession $s
"$($up.TotalSeconds) $($down.TotalSeconds)"
`;
  const r = spawnSync(pwsh.path, ['-NoLogo', '-NoProfile', '-Command', script], { encoding: 'utf8', timeout: 3_600_000 });
  if (r.status !== 0) console.log(`| Copy-Item (pwsh ${pwsh.version}) | failed: ${(r.stderr || r.stdout).trim().slice(0, 200)} | | | |`);
  else {
    const [up = 0, down = 0] = r.stdout.trim().split(/\s+/).slice(-2).map(Number);
    const ok = (await sha256File(join(dir, 'ci-back.bin'))) === want;
    console.log(`| Copy-Item -ToSession / -FromSession (pwsh ${pwsh.version})${ok ? '' : ' (file differs!)'} | ${(SIZE / MB / up).toFixed(1)} | ${(SIZE / MB / down).toFixed(1)} | – | ${loadavg()[0]!.toFixed(1)} |`);
  }

  // OutOfProc fragments default to 32 KiB (PowerShell's own); 382638 is what a 500 KB WSMan envelope carries
  for (const [i, [parallel, payloadBudget]] of ([[1, undefined], [2, undefined], [2, 382_638]] as const).entries()) {
    const cpu0 = process.cpuUsage();
    const pool = await openSession(`ssh://${sshd.username}@127.0.0.1:${sshd.port}`, {
      maxRunspaces: 2,
      ...(payloadBudget ? { payloadBudget } : {}),
      ssh: { privateKey: sshd.clientKey, hostKeyFingerprint: sshd.hostKeyFingerprint },
    });
    const remote = join(dir, `ps-remote-${i}.bin`);
    const up = await copyToSession(pool, local, remote, { parallel });
    const down = await copyFromSession(pool, remote, join(dir, `ps-back-${i}.bin`), { parallel });
    const budget = pool.payloadBudget;
    await pool.close();
    const cpu = process.cpuUsage(cpu0);
    const ok = up.files[0]?.sha256 === want && (await sha256File(join(dir, `ps-back-${i}.bin`))) === want;
    console.log(
      `| psremote copyToSession / copyFromSession, ${parallel} lane${parallel > 1 ? 's' : ''}, payload ${budget}, chunk ${up.chunkSize}${ok ? '' : ' (file differs!)'} | ${(up.bytes / MB / up.seconds).toFixed(1)} | ${(down.bytes / MB / down.seconds).toFixed(1)} | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} | ${loadavg()[0]!.toFixed(1)} |`,
    );
    rmSync(remote);
  }
} finally {
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
}
