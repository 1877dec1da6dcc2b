// `psremote invoke <host>[,<host>…] -c <script> | -f <file.ps1>`: Invoke-Command
// from a shell. Output objects go to stdout (one JSON line each with --json),
// the other streams to stderr with PowerShell's prefixes, and the exit code is
// non-zero when the pipeline failed or wrote errors.

import type { Command } from 'commander';
import type { PSValue } from '../../clixml/values.js';
import { UsageError } from '../../errors.js';
import { connectSession, openSession, type SessionOptions } from '../../session/open.js';
import { closeInBackground } from '../../winrm/exit.js';
import { parseOutOfProcTarget, type Target } from '../../winrm/target.js';
import { FileSessionStore } from '../../session/store.js';
import { printInvocation, printStreams } from '../print.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { CONFIGURATION_NAME_OPTION } from '../command-options.js';
import { toPlain } from '../../clixml/plain.js';
import { outputMode } from '../output-format.js';
import { outputView } from '../invoke-view.js';
import { FILE_LIMITS, readBoundedFile, readBoundedText } from '../bounded-file.js';
import type { CliIO } from '../io.js';
import { visibleText } from '../terminal-text.js';

interface InvokeFlags extends ConnectionFlags {
  session?: string;
  disconnected?: boolean;
  command?: string;
  file?: string;
  json?: boolean;
  clixml?: boolean;
  configurationName?: string;
  throttle: string;
  identity?: string;
  knownHosts?: string;
  sshHostKey?: string;
  queue?: string;
  queueName?: string;
  hostsFile?: string;
}

/** Session options for an ssh:// target from the flags (key file, host-key checks, password). */
export function sshSessionOptions(f: Pick<InvokeFlags, 'passwordEnv' | 'insecureSkipVerify' | 'identity' | 'knownHosts' | 'sshHostKey' | 'user'>, io: CliIO): SessionOptions {
  const read = (path: string, what: string) => readBoundedFile(path, what, FILE_LIMITS.key);
  let password: string | undefined;
  if (f.passwordEnv) {
    password = process.env[f.passwordEnv];
    if (password === undefined) throw new UsageError(`environment variable ${f.passwordEnv} (from --password-env) is not set`);
  }
  if (f.insecureSkipVerify) io.stderr.write('WARNING: the SSH host key is not checked (--insecure-skip-verify); the connection can be intercepted\n');
  return {
    ssh: {
      ...(f.identity ? { privateKey: read(f.identity, 'identity file') } : {}),
      ...(f.knownHosts ? { knownHostsFiles: [f.knownHosts] } : {}),
      ...(f.sshHostKey ? { hostKeyFingerprint: f.sshHostKey } : {}),
      ...(f.insecureSkipVerify ? { insecureAcceptAnyHostKey: true } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(f.user ? { username: f.user } : {}),
    },
  };
}

async function runOn(host: string, script: string, f: InvokeFlags, io: CliIO, prefix: string): Promise<number> {
  let options: SessionOptions;
  let target: Target = host;
  if (parseOutOfProcTarget(host)?.kind === 'ssh') options = sshSessionOptions(f, io);
  else {
    target = await connectionOptions(host, f, io);
    options = f.configurationName ? { configurationName: f.configurationName } : {};
  }
  const pool = await openSession(target, options);
  // A quiet retry must not look like a hang: say what is going on.
  pool.on('networkInterrupted', (e) => io.stderr.write(`${prefix}psremote: ${(e as Error).message}; retrying for up to 4 minutes\n`));
  pool.on('networkResumed', () => io.stderr.write(`${prefix}psremote: the connection is back\n`));
  try {
    const view = await outputView(pool, script, outputMode(f), io, prefix, (o) => JSON.stringify(prefix ? { host, value: toPlain(o) } : toPlain(o)));
    const inv = pool.invoke(view.script);
    const streams = printStreams(inv, io, prefix, { debug: f.debug });
    try {
      for await (const o of inv) view.write(o as PSValue);
      view.end();
    } finally {
      await streams;
    }
    return (await inv.result()).hadErrors ? 1 : 0;
  } finally {
    // One host: off the critical path (the process does not exit before the
    // Delete is answered). Fanned out: the throttle limit counts open shells.
    if (prefix) await pool.close().catch(() => undefined);
    else closeInBackground(pool.close());
  }
}

async function runInSession(name: string, script: string, f: InvokeFlags, io: CliIO): Promise<number> {
  const h = new FileSessionStore().named(name);
  // The session remembers its user (never the password): only the secret is asked for.
  const conn = await connectionOptions(h.endpoint, { ...f, ...(h.user && !f.user ? { user: h.user } : {}) }, io);
  const pool = await connectSession(conn, h.shellId, { runspacePoolId: h.runspacePoolId, configurationName: h.configurationName });
  // A disconnected pipeline's output is collected later by `session receive`, which formats nothing remotely.
  const view = await outputView(pool, script, f.disconnected ? 'json' : outputMode(f), io);
  const inv = pool.invoke(view.script, f.disconnected ? { inDisconnectedSession: true } : {});
  if (f.disconnected) {
    await inv.started;
    await pool.disconnect();
    io.stdout.write(`pipeline ${inv.pipelineId.toUpperCase()} runs in disconnected session ${name}; collect it with: psremote session receive ${name}\n`);
    return 0;
  }
  try {
    return (await printInvocation(inv, io, view)) ? 1 : 0;
  } finally {
    await pool.disconnect().catch(() => undefined);
  }
}

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('invoke')
    .description('run a PowerShell script on one or more hosts (Invoke-Command)')
    .argument('[hosts]', 'host, host:port or http(s)://host:port/wsman, several separated by commas; or exec:<command line> / unix:<socket path> / ssh://[user@]host[:port] (PowerShell over OutOfProc or SSH)')
    .option('--session <name>', 'run in a named session (psremote session new) instead of a new one')
    .option('--disconnected', 'with --session: start the pipeline and disconnect at once (Invoke-Command -InDisconnectedSession); collect it later with psremote session receive')
    .option('-c, --command <script>', 'the script to run')
    .option('-f, --file <path>', 'read the script from a .ps1 file')
    .option('--json', 'print each output object as one JSON line')
    .option('--clixml', 'print each output object as its CLIXML (one <Objs> document per line)')
    .option(...CONFIGURATION_NAME_OPTION)
    .option('--throttle <n>', 'hosts at once', '32')
    .option('--queue <url>', 'enqueue one job per host on a BullMQ queue on Redis (redis://HOST:PORT/N) for psremote workers; results stream back as they finish')
    .option('--queue-name <name>', 'with --queue: the BullMQ queue name', 'psremote')
    .option('--hosts-file <file>', 'hosts, one a line (# comments), besides or instead of the host list')
    .option('-i, --identity <file>', 'ssh:// targets: private key file (default: ssh-agent, then ~/.ssh/id_ed25519, id_ecdsa, id_rsa)')
    .option('--known-hosts <file>', 'ssh:// targets: known_hosts file to check the host key against (default ~/.ssh/known_hosts)')
    .option('--ssh-host-key <fingerprint>', 'ssh:// targets: accept exactly this host key (SHA256:…, as ssh-keygen -l prints it)');
  addConnectionFlags(cmd).action(async (hostsArg: string | undefined, f: InvokeFlags) => {
      if (f.json && f.clixml) throw new UsageError('--json and --clixml are two output formats: give one');
      if (!f.command === !f.file) throw new UsageError('give the script with -c or -f (one of them)');
      const script = f.command ?? readBoundedText(f.file!, '-f', FILE_LIMITS.script);
      if (f.session) {
        process.exitCode = await runInSession(f.session, script, f, io);
        return;
      }
      if (f.disconnected) throw new UsageError('--disconnected needs --session NAME');
      if (f.queue) {
        const listed = hostsArg ? hostsArg.split(',').map((h) => h.trim()).filter(Boolean) : [];
        // BullMQ and ioredis load only for a queue.
        const { runOnQueue } = await import('./invoke-queue.js');
        process.exitCode = await runOnQueue({ ...f, queue: f.queue }, listed, script, io, outputMode(f));
        return;
      }
      if (f.hostsFile) throw new UsageError('--hosts-file goes with --queue');
      if (!hostsArg) throw new UsageError('no host given');
      // An OutOfProc target is one command line or path, commas included.
      const hosts = /^(exec|unix):/i.test(hostsArg) ? [hostsArg] : hostsArg.split(',').map((h) => h.trim()).filter(Boolean);
      if (hosts.length === 0) throw new UsageError('no host given');
      if (hosts.length === 1) {
        process.exitCode = await runOn(hosts[0]!, script, f, io, '');
        return;
      }
      const throttle = Math.max(1, Number(f.throttle) || 32);
      let worst = 0;
      const queue = [...hosts];
      const worker = async () => {
        for (let h = queue.shift(); h !== undefined; h = queue.shift()) {
          try {
            worst = Math.max(worst, await runOn(h, script, f, io, `[${h}] `));
          } catch (e) {
            io.stderr.write(`[${h}] psremote: ${visibleText(String((e as Error).message))}\n`);
            worst = 1;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(throttle, hosts.length) }, worker));
      process.exitCode = worst;
    });
}
