// `psremote exec <host> [flags] -- <command> [args…]`: run a command in a
// remote cmd shell (WinRS), stream its stdout/stderr, exit with its exit code.

import type { Command } from 'commander';
import { runOnShell, type ExecRunFlags } from './exec-run.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import type { CliIO } from '../io.js';

interface ExecFlags extends ConnectionFlags, ExecRunFlags {}

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('exec')
    .description('run a command in a remote cmd shell (WinRS) and exit with its exit code')
    .argument('<host>', 'host, host:port or http(s)://host:port/wsman')
    .argument('<command...>', 'command and arguments (put -- before them)')
    .option('--stdin', 'forward our standard input to the command (without it the command\'s stdin is ended at once, as ssh -n)')
    .option('--cwd <dir>', 'working directory on the remote host')
    .option('--env <NAME=value...>', 'environment variables for the shell')
    .option('--codepage <n>', 'console code page of the remote shell', '65001')
    .option('--no-profile', 'do not load the user profile');
  addConnectionFlags(cmd).action(async (host: string, words: string[], f: ExecFlags) => {
    const options = await connectionOptions(host, f, io);
    process.exitCode = await runOnShell(options, words, f, io);
  });
}
