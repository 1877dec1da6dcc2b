// `psremote invoke <host>[,<host>…] -c <script> | -f <file.ps1>`: Invoke-Command
// from a shell. Output objects go to stdout (one JSON line each with --json),
// the other streams to stderr with PowerShell's prefixes, and the exit code is
// non-zero when the pipeline failed or wrote errors.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { openSession, type SessionOptions } from '../../session/open.js';
import { recordMessage, toDisplayString, toPlain } from '../../session/plain.js';
import type { PowerShellInvocation } from '../../session/powershell.js';
import type { CliIO } from '../main.js';

interface InvokeFlags {
  command?: string;
  file?: string;
  json?: boolean;
  user?: string;
  passwordEnv?: string;
  ssl?: boolean;
  allowUnencrypted?: boolean;
  configurationName?: string;
  throttle: string;
  operationTimeout?: string;
  insecureSkipVerify?: boolean;
  ca?: string;
}

function sessionOptions(f: InvokeFlags, io: CliIO): SessionOptions {
  const opts: { -readonly [K in keyof SessionOptions]: SessionOptions[K] } = {};
  if (f.user) {
    const password = f.passwordEnv ? process.env[f.passwordEnv] : undefined;
    if (password === undefined) throw new UsageError(`--user needs the password in an environment variable named by --password-env${f.passwordEnv ? ` (${f.passwordEnv} is not set)` : ''}`);
    opts.credential = { username: f.user, password };
  }
  if (f.ssl) opts.useSsl = true;
  if (f.allowUnencrypted) opts.allowUnencrypted = true;
  if (f.configurationName) opts.configurationName = f.configurationName;
  if (f.operationTimeout) opts.operationTimeoutMs = Number(f.operationTimeout) * 1000;
  if (f.insecureSkipVerify || f.ca) {
    if (f.insecureSkipVerify) io.stderr.write('WARNING: server certificate verification is off (--insecure-skip-verify)\n');
    opts.tls = { ...(f.ca ? { ca: readFileSync(f.ca) } : {}), ...(f.insecureSkipVerify ? { rejectUnauthorized: false } : {}) };
  }
  return opts;
}

async function printStreams(inv: PowerShellInvocation, io: CliIO, prefix: string): Promise<void> {
  const pipe = async (stream: AsyncIterable<unknown>, label: string) => {
    for await (const r of stream) io.stderr.write(`${prefix}${label}${recordMessage(r as never)}\n`);
  };
  await Promise.all([
    pipe(inv.streams.warning, 'WARNING: '),
    pipe(inv.streams.verbose, 'VERBOSE: '),
    pipe(inv.streams.debug, 'DEBUG: '),
    pipe(inv.streams.information, ''),
    pipe(inv.streams.error, 'ERROR: '),
  ]);
}

async function runOn(host: string, script: string, f: InvokeFlags, io: CliIO, prefix: string): Promise<number> {
  const pool = await openSession(host, sessionOptions(f, io));
  try {
    const inv = pool.invoke(script);
    const streams = printStreams(inv, io, prefix);
    try {
      for await (const o of inv) {
        io.stdout.write(f.json ? `${JSON.stringify(prefix ? { host, value: toPlain(o) } : toPlain(o))}\n` : `${prefix}${toDisplayString(o)}\n`);
      }
    } finally {
      await streams;
    }
    return (await inv.result()).hadErrors ? 1 : 0;
  } finally {
    await pool.close().catch(() => undefined);
  }
}

export function register(program: Command, io: CliIO): void {
  program
    .command('invoke')
    .description('run a PowerShell script on one or more hosts (Invoke-Command)')
    .argument('<hosts>', 'host, host:port or http(s)://host:port/wsman; several separated by commas')
    .option('-c, --command <script>', 'the script to run')
    .option('-f, --file <path>', 'read the script from a .ps1 file')
    .option('--json', 'print each output object as one JSON line')
    .option('-u, --user <name>', 'user name (DOMAIN\\user or user@domain)')
    .option('--password-env <var>', 'environment variable that holds the password')
    .option('--ssl', 'use https (port 5986) for bare host names')
    .option('--allow-unencrypted', 'allow Basic authentication over plain http')
    .option('--ca <file>', 'CA certificate (PEM) to trust for https')
    .option('--insecure-skip-verify', 'do not verify the server certificate (prints a warning)')
    .option('--configuration-name <name>', 'session configuration (JEA endpoint)', 'Microsoft.PowerShell')
    .option('--operation-timeout <seconds>', 'WS-Management OperationTimeout')
    .option('--throttle <n>', 'hosts at once', '32')
    .action(async (hostsArg: string, f: InvokeFlags) => {
      if (!f.command === !f.file) throw new UsageError('give the script with -c or -f (one of them)');
      const script = f.command ?? readFileSync(f.file!, 'utf8');
      const hosts = hostsArg.split(',').map((h) => h.trim()).filter(Boolean);
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
            io.stderr.write(`[${h}] psremote: ${(e as Error).message}\n`);
            worst = 1;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(throttle, hosts.length) }, worker));
      process.exitCode = worst;
    });
}
