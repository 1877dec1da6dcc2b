#!/usr/bin/env node
// The `psremote` command line. Each command lives in ./commands and registers
// itself; this file only wires them up and turns errors into one clear line.

import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { PsRemoteError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import * as serve from './commands/serve.js';
import * as decode from './commands/decode.js';
import * as invoke from './commands/invoke.js';
import * as worker from './commands/worker.js';
import * as exec from './commands/exec.js';
import * as identify from './commands/identify.js';
import * as wmi from './commands/wmi.js';
import { colourWanted, paint } from './colour.js';
import { errorDetail, errorLine } from './error-line.js';
import { visibleText } from './terminal-text.js';
import type { CliIO } from './io.js';
import * as demo from './commands/demo.js';
import * as session from './commands/session.js';
import * as exportSession from './commands/export-session.js';
import * as check from './commands/check.js';
import * as recording from './commands/recording.js';
import * as kerberos from './commands/kerberos.js';
import * as copy from './commands/copy.js';
import * as shell from './commands/shell.js';
import * as config from './commands/config.js';
import { installNamedHosts } from './named-hosts.js';
import { addExamples } from './help-examples.js';

export type { CliIO } from './io.js';

export interface CommandModule {
  register(program: Command, io: CliIO): void;
}

const COMMANDS: readonly CommandModule[] = [invoke, shell, exec, identify, wmi, session, copy, exportSession, check, serve, recording, decode, demo, kerberos, config, worker];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(io: CliIO): Command {
  const program = new Command();
  program
    .name('psremote')
    .description('WinRM (WS-Management) and PowerShell remoting client, local endpoint and recording tools')
    .version(version(), '-V, --version')
    .option('--verbose', 'print details of errors (stack traces)')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  for (const c of COMMANDS) c.register(program, io);
  installNamedHosts(program);
  addExamples(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function run(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // Commander's own errors are usage errors (unknown option, missing argument); --help and --version exit 0.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // Stack traces only when asked for: --debug (a command's flag) or the global --verbose.
    const verbose = program.opts<{ verbose?: boolean }>().verbose === true || argv.includes('--debug');
    io.stderr.write(`${paint(errorLine(e), 'error', colourWanted(io.stderr))}\n`);
    if (verbose) io.stderr.write(errorDetail(e));
    return e instanceof PsRemoteError ? exitCodeFor(e.code) : EXIT.remote;
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // `psremote decode x | head` closes our stdout early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  let finished = false;
  // Node exits with 0 when nothing is left to wait for, even while a promise is
  // pending: a command whose work never settled must not look like a success.
  process.once('beforeExit', () => {
    if (finished) return;
    process.stderr.write('psremote: the command stopped before it finished (an operation never completed; this is a bug)\n');
    process.exitCode = 70;
  });
  run(process.argv.slice(2)).then((code) => {
    finished = true;
    process.exitCode = code;
  });
}
