#!/usr/bin/env node
// The `psremote` command line. Each command lives in ./commands and registers
// itself; this file imports only the one being run (command-index.ts), wires it
// up and turns errors into one clear line.

import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { PsRemoteError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { colourWanted, paint } from './colour.js';
import type { CliIO } from './io.js';
import { COMMANDS, type CommandModule } from './command-index.js';
import { installNamedHosts } from './named-hosts.js';
import { addExamples } from './help-examples.js';

export type { CliIO } from './io.js';

export type { CommandModule } from './command-index.js';

/** Top-level options: none takes a value, so the first other word is the command. */
const GLOBAL_FLAGS = new Set(['--verbose', '-V', '--version', '-h', '--help']);

/** The command `argv` runs (or asks help for), if it names one. */
function commandWord(argv: readonly string[]): string | undefined {
  const words = argv.filter((a) => !GLOBAL_FLAGS.has(a));
  const first = words[0];
  return first === 'help' ? words[1] : first;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The program with the modules of the command `argv` names, or of every command
 * when `argv` is not given. With no known command (`--version`, `--help`, a
 * typo) no module is loaded: the command list comes from the index, and
 * commander's "unknown command, did you mean" still works from it.
 */
export async function buildProgram(io: CliIO, argv?: readonly string[]): Promise<Command> {
  const program = new Command();
  program
    .name('psremote')
    .description('WinRM (WS-Management) and PowerShell remoting client, local endpoint and recording tools')
    .version(version(), '-V, --version')
    .option('--verbose', 'print details of errors (stack traces)')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  const word = argv === undefined ? undefined : commandWord(argv);
  const named = COMMANDS.find((c) => c.term.split(' ')[0] === word);
  if (argv !== undefined && !named) {
    // Commander parses "[options]" in a term as an optional argument named options,
    // so the listing prints the term as the module's command would.
    for (const c of COMMANDS) program.command(c.term).description(c.description);
  } else {
    const wanted = named ? [named] : COMMANDS;
    const modules: CommandModule[] = [];
    for (const c of wanted) {
      const m = await c.load();
      if (!modules.includes(m)) modules.push(m);
    }
    for (const m of modules) m.register(program, io);
  }
  installNamedHosts(program);
  addExamples(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function run(argv: readonly string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  const program = await buildProgram(io, argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // Commander's own errors are usage errors (unknown option, missing argument); --help and --version exit 0.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    // Stack traces only when asked for: --debug (a command's flag) or the global --verbose.
    const verbose = program.opts<{ verbose?: boolean }>().verbose === true || argv.includes('--debug');
    // Loaded only now: it knows the pipeline's errors, which is the whole session layer.
    const { errorDetail, errorLine } = await import('./error-line.js');
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
