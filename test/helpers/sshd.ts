// A throw-away OpenSSH server on 127.0.0.1 for PowerShell-over-SSH tests: fresh
// host and client keys in a temporary folder, key-only login for the current
// user, and a `Subsystem powershell` that runs the real-engine host in --ssh mode
// (what `pwsh -sshs` is). Nothing listens beyond loopback; stop() kills sshd.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export const SSHD = '/usr/sbin/sshd';

export interface LoopbackSshd {
  readonly port: number;
  readonly username: string;
  readonly dir: string;
  readonly clientKey: Buffer;
  readonly clientKeyPath: string;
  /** known_hosts with the server's key for [127.0.0.1]:port. */
  readonly knownHostsPath: string;
  readonly hostKeyFingerprint: string;
  stop(): Promise<void>;
}


async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect({ port, host: '127.0.0.1' });
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${log()}`);
}

export async function startLoopbackSshd(peerHost: string): Promise<LoopbackSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'psrp-sshd-'));
  const keygen = (name: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'psremote-test', '-f', join(dir, name)], { timeout: 30_000 });
  keygen('host_key');
  keygen('client_key');
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o600 });
  // sshd strips quotes from Subsystem arguments, and the user's shell runs the command: use a script.
  writeFileSync(join(dir, 'psrp-subsystem.sh'), `#!/bin/sh\nexec '${peerHost.replace(/'/g, "'\\''")}' --ssh\n`, { mode: 0o755 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `AllowUsers ${userInfo().username}`,
      'SetEnv POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_DIAGNOSTICS_OPTOUT=1',
      `Subsystem powershell ${join(dir, 'psrp-subsystem.sh')}`,
      '',
    ].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true }); // privilege separation directory
  const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/);
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')], { encoding: 'utf8' }).split(/\s+/)[1]!;

  let log = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
  try {
    await waitForPort(port, child, () => log);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    username: userInfo().username,
    dir,
    clientKey: readFileSync(join(dir, 'client_key')),
    clientKeyPath: join(dir, 'client_key'),
    knownHostsPath: join(dir, 'known_hosts'),
    hostKeyFingerprint: fingerprint,
    stop: async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
