// PowerShell over SSH, both ends real: OpenSSH's sshd on 127.0.0.1 (keys in a
// temporary folder) runs the real-engine host as its `powershell` subsystem
// (what `pwsh -sshs` is), and psremote connects with ssh2 as
// `New-PSSession -HostName` does.
import { spawn } from 'node:child_process';
import { utils } from 'ssh2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { openSession, type SessionOptions } from '../../src/session/open.js';
import { recordMessage } from '../../src/clixml/display.js';
import { OutOfProcTransportError } from '../../src/transport/outofproc/index.js';
import { describeWithPeers } from '../helpers/peers.js';
import { startLoopbackSshd, type LoopbackSshd } from '../helpers/sshd.js';

function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describeWithPeers('real PowerShell engine over SSH (loopback sshd)', ['realEngine', 'sshd'], (host) => {
  let sshd: LoopbackSshd;
  let target: string;
  let ssh: SessionOptions['ssh'];

  beforeAll(async () => {
    sshd = await startLoopbackSshd(host);
    target = `ssh://${sshd.username}@127.0.0.1:${sshd.port}`;
    ssh = { privateKey: sshd.clientKey, knownHostsFiles: [sshd.knownHostsPath] };
  });

  afterAll(async () => {
    await sshd?.stop();
  });

  it('opens a pool, runs a pipeline with output and a warning, stops one, and closes', async () => {
    const pool = await openSession(target, { ssh, signal: AbortSignal.timeout(60_000) });
    try {
      expect(pool.state).toBe('Opened');
      const r = await pool.invoke("1..3 | ForEach-Object { $_ * 2 }; Write-Warning 'via ssh'").result();
      expect(r.output).toEqual([2, 4, 6]);
      expect(r.warning.map((w) => recordMessage(w))).toEqual(['via ssh']);
      const inv = pool.invoke("'sleeping'; Start-Sleep -Seconds 120");
      await inv[Symbol.asyncIterator]().next();
      await inv.stop();
      expect((await inv.result()).state).toBe('Stopped');
    } finally {
      await pool.close(AbortSignal.timeout(30_000));
    }
    expect(pool.state).toBe('Closed');
  });

  it('accepts a pinned host-key fingerprint instead of known_hosts', async () => {
    const pool = await openSession(target, { ssh: { privateKey: sshd.clientKey, hostKeyFingerprint: sshd.hostKeyFingerprint } });
    try {
      expect((await pool.invoke('40 + 2').result()).output).toEqual([42]);
    } finally {
      await pool.close();
    }
  });

  it('refuses a host key that is not in known_hosts, or not the pinned one', async () => {
    const unknown = await failure(openSession(target, { ssh: { privateKey: sshd.clientKey, knownHostsFiles: ['/dev/null'] } }));
    expect(unknown).toBeInstanceOf(OutOfProcTransportError);
    expect(unknown).toMatchObject({ code: 'PSR_SSH_HOST_KEY' });
    expect((unknown as Error).message).toContain(`${sshd.hostKeyFingerprint} is not in /dev/null`);
    const pinned = await failure(
      openSession(target, { ssh: { privateKey: sshd.clientKey, hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } }),
    );
    expect(pinned).toMatchObject({ code: 'PSR_SSH_HOST_KEY' });
  });

  it('a key the server does not know is PSR_SSH_AUTH_REJECTED', async () => {
    // ssh2 generates an ed25519 key its own parser rejects about 3 times in 1000
    // ("Malformed OpenSSH private key"): take one it can read.
    let other = utils.generateKeyPairSync('ed25519').private;
    while (utils.parseKey(other) instanceof Error) other = utils.generateKeyPairSync('ed25519').private;
    const e = await failure(openSession(target, { ssh: { privateKey: other, knownHostsFiles: [sshd.knownHostsPath] } }));
    expect(e).toBeInstanceOf(OutOfProcTransportError);
    expect(e).toMatchObject({ code: 'PSR_SSH_AUTH_REJECTED' });
  });

  it('a key ssh2 cannot read is a usage error', async () => {
    const e = await failure(openSession(target, { ssh: { privateKey: 'not a key', knownHostsFiles: [sshd.knownHostsPath] } }));
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/Cannot parse privateKey/);
  });

  it('a subsystem the server does not have is a typed error', async () => {
    const e = await failure(openSession(target, { ssh: { ...ssh, subsystem: 'nosuch' } }));
    expect(e).toBeInstanceOf(OutOfProcTransportError);
    expect((e as Error).message).toMatch(/did not start the nosuch subsystem/);
  });

  it('psremote invoke ssh://… --json prints 2, 4 and 6', async () => {
    const args = ['dist/cli/main.js', 'invoke', target, '-c', '1..3 | ForEach-Object { $_ * 2 }', '--json', '-i', sshd.clientKeyPath, '--known-hosts', sshd.knownHostsPath];
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`psremote did not finish in 60 s; stderr: ${stderr}`));
      }, 60_000);
      child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2\n4\n6\n');
    expect(r.code).toBe(0);
  });
});
