// PowerShell remoting over SSH (what `New-PSSession -HostName` does): an SSH
// session with the `powershell` subsystem (sshd runs `pwsh -sshs`), carrying the
// OutOfProc framing in the channel. The ssh2 package speaks SSH; host keys are
// checked as OpenSSH does (known-hosts.ts). Transport errors of the server come
// in-band (`__NamedPipeError__:`), the channel's stderr carries crashes.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Client, type ConnectConfig } from 'ssh2';
import { AbortError, UsageError } from '../../errors.js';
import type { OutOfProcConnection } from '../outofproc/connection.js';
import { OutOfProcTransportError, type OutOfProcErrorDetails } from '../outofproc/errors.js';
import { checkKnownHosts, sshFingerprint } from './known-hosts.js';

export interface SshOptions {
  readonly host: string;
  /** Default 22. */
  readonly port?: number;
  readonly username: string;
  /** A private key (OpenSSH or PEM text); default: the agent ($SSH_AUTH_SOCK), else ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
  readonly privateKey?: string | Buffer;
  readonly passphrase?: string;
  readonly password?: string;
  /** ssh-agent socket; default $SSH_AUTH_SOCK. */
  readonly agent?: string;
  /** Default `powershell`, as PowerShell's client. */
  readonly subsystem?: string;
  /** known_hosts file(s) to check the server's key against; default ~/.ssh/known_hosts. */
  readonly knownHostsFiles?: readonly string[];
  /** Accept exactly this key (`SHA256:…`, as `ssh-keygen -lf` prints it) instead of known_hosts. */
  readonly hostKeyFingerprint?: string;
  /** Accept any host key (tests on loopback only: the connection can be intercepted). */
  readonly insecureAcceptAnyHostKey?: boolean;
  readonly readyTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

const STDERR_KEEP = 8 * 1024;

function defaultIdentity(): Buffer | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    try {
      return readFileSync(join(homedir(), '.ssh', name));
    } catch {
      // try the next
    }
  }
  return undefined;
}

function readKnownHosts(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    })
    .join('\n');
}

/** Opens an SSH session and the PowerShell subsystem in it. */
export async function connectSsh(o: SshOptions): Promise<OutOfProcConnection> {
  const port = o.port ?? 22;
  const peer = `ssh://${o.username}@${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  if (o.signal?.aborted) throw new AbortError(`connecting to ${peer} was aborted`);
  let hostKeyProblem: OutOfProcTransportError | undefined;
  const hostVerifier = (key: Buffer): boolean => {
    if (o.insecureAcceptAnyHostKey) return true;
    const fp = sshFingerprint(key);
    if (o.hostKeyFingerprint !== undefined) {
      if (fp === o.hostKeyFingerprint.replace(/=+$/, '')) return true;
      hostKeyProblem = new OutOfProcTransportError('PSR_SSH_HOST_KEY', `the server's host key ${fp} is not the expected ${o.hostKeyFingerprint}`, { peer });
      return false;
    }
    const files = o.knownHostsFiles ?? [join(homedir(), '.ssh', 'known_hosts')];
    const verdict = checkKnownHosts(readKnownHosts(files), o.host, port, key);
    if (verdict === 'match') return true;
    const why = verdict === 'unknown' ? 'is not in' : verdict === 'revoked' ? 'is revoked in' : 'differs from the key listed in';
    hostKeyProblem = new OutOfProcTransportError('PSR_SSH_HOST_KEY', `the server's host key ${fp} ${why} ${files.join(', ')}`, { peer });
    return false;
  };
  const auth: Partial<ConnectConfig> = {};
  if (o.privateKey !== undefined) auth.privateKey = o.privateKey;
  if (o.passphrase !== undefined) auth.passphrase = o.passphrase;
  if (o.password !== undefined) auth.password = o.password;
  const agent = o.agent ?? process.env.SSH_AUTH_SOCK;
  if (agent && o.privateKey === undefined) auth.agent = agent;
  if (auth.privateKey === undefined && auth.agent === undefined && auth.password === undefined) {
    const id = defaultIdentity();
    if (!id) throw new UsageError(`${peer}: no SSH key, agent or password to authenticate with`);
    auth.privateKey = id;
  }

  const client = new Client();
  const stream = await new Promise<import('ssh2').ClientChannel>((resolve, reject) => {
    const fail = (e: Error) => {
      o.signal?.removeEventListener('abort', onAbort);
      client.end();
      reject(e);
    };
    const onAbort = () => fail(new AbortError(`connecting to ${peer} was aborted`));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('error', (e: Error & { level?: string }) => {
      if (hostKeyProblem) return fail(hostKeyProblem);
      if (e.level === 'client-authentication') return fail(new OutOfProcTransportError('PSR_SSH_AUTH_REJECTED', `the server refused the credentials (${e.message})`, { peer }, e));
      if (e.level === 'client-timeout') return fail(new OutOfProcTransportError('PSR_SSH_TIMEOUT', `no SSH handshake within the ready timeout`, { peer }, e));
      fail(new OutOfProcTransportError('PSR_OUTOFPROC_TRANSPORT', `SSH connection failed: ${e.message}`, { peer }, e));
    });
    client.once('ready', () => {
      client.subsys(o.subsystem ?? 'powershell', (err, channel) => {
        if (err) return fail(new OutOfProcTransportError('PSR_OUTOFPROC_TRANSPORT', `the server did not start the ${o.subsystem ?? 'powershell'} subsystem: ${err.message}`, { peer }, err));
        o.signal?.removeEventListener('abort', onAbort);
        client.removeAllListeners('error');
        resolve(channel);
      });
    });
    try {
      client.connect({ host: o.host, port, username: o.username, hostVerifier, readyTimeout: o.readyTimeoutMs ?? 20_000, ...auth });
    } catch (e) {
      // ssh2 throws at once for options it cannot use (an unreadable key, a bad passphrase).
      fail(new UsageError(`${peer}: ${(e as Error).message}`, { cause: e }));
    }
  });

  let stderr = '';
  stream.stderr.setEncoding('utf8');
  stream.stderr.on('data', (s: string) => (stderr = (stderr + s).slice(-STDERR_KEEP)));
  let lastError: Error | undefined;
  client.on('error', (e: Error) => (lastError = e));
  stream.on('error', (e: Error) => (lastError = e));
  let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
  stream.on('exit', (code: number | null, signal?: string) => (exit = { code, signal: signal ?? null }));
  const ended = new Promise<OutOfProcErrorDetails>((resolve) => {
    const done = () => resolve({ peer, exitCode: exit.code, signal: exit.signal, stderr: stderr || lastError?.message });
    stream.once('close', done);
    client.once('close', done);
  });
  return {
    peer,
    input: stream,
    output: stream,
    ended,
    stderrTail: () => stderr,
    shutdown: async (graceMs = 5000) => {
      // EOF on the channel ends the server (as stdin EOF does); then the SSH session.
      stream.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
      client.end();
    },
  };
}
