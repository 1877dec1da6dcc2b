// `psremote shell TARGET` / `psremote shell --session NAME`: an interactive
// PowerShell prompt on a remote session, as Enter-PSSession gives one
// (src/cli/shell/ holds the loop, the terminal and the host).

import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { connectSession, openSession, type SessionOptions } from '../../session/open.js';
import { parseOutOfProcTarget, type Target } from '../../winrm/target.js';
import { FileSessionStore } from '../../session/store.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { CONFIGURATION_NAME_OPTION } from '../command-options.js';
import type { CliIO } from '../io.js';
import { historyPath } from '../shell/history.js';
import { runShell } from '../shell/repl.js';
import { sshSessionOptions } from './invoke.js';

interface ShellFlags extends ConnectionFlags {
  session?: string;
  configurationName: string;
  disconnectOnExit?: boolean;
  history: boolean;
  identity?: string;
  knownHosts?: string;
  sshHostKey?: string;
}

/** The computer name the prompt shows, as Enter-PSSession shows [computer]. */
export function promptLabel(target: string): string {
  const oop = parseOutOfProcTarget(target);
  if (oop) return oop.kind === 'ssh' ? oop.host : 'localhost';
  try {
    if (/^https?:\/\//i.test(target)) return new URL(target).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    // fall through to the bare form
  }
  return target.replace(/^\[([^\]]*)\].*$/, '$1').replace(/:\d+$/, '');
}

/** One rule for colours (colour.ts), shared with the other commands. */
export { colourWanted } from '../colour.js';
import { colourWanted } from '../colour.js';

export function register(program: Command, io: CliIO): void {
  const cmd = program
    .command('shell')
    .description('an interactive PowerShell prompt on a host (Enter-PSSession): line editing, history, Tab completion, Ctrl+C stops the running command')
    .argument('[target]', 'host, host:port or http(s)://host:port/wsman; or exec:<command line> / unix:<socket path> / ssh://[user@]host[:port]')
    .option('--session <name>', 'enter a named session (psremote session new); it is disconnected again on exit')
    .option(...CONFIGURATION_NAME_OPTION)
    .option('--disconnect-on-exit', 'on exit leave the session disconnected on the server instead of closing it')
    .option('--no-history', 'do not read or write the command history file')
    .option('-i, --identity <file>', 'ssh:// targets: private key file')
    .option('--known-hosts <file>', 'ssh:// targets: known_hosts file to check the host key against')
    .option('--ssh-host-key <fingerprint>', 'ssh:// targets: accept exactly this host key (SHA256:…)')
    .addHelpText(
      'after',
      `
Examples:
  psremote shell http://127.0.0.1:5985/wsman
  psremote shell server1 -u 'CORP\\admin' --auth ntlm --password-env PSPASS
  psremote shell --session work          (a session made with psremote session new)
  psremote shell 'exec:pwsh -s -NoLogo -NoProfile'

At the prompt: Tab completes (remote TabExpansion2), Up/Down recall history,
Ctrl+C stops the running command, Ctrl+D or exit leaves.`,
    );
  addConnectionFlags(cmd).action(async (target: string | undefined, f: ShellFlags) => {
    const user = f.user ?? userInfo().username;
    if (f.session) {
      if (target) throw new UsageError('give a target or --session NAME, not both');
      const h = new FileSessionStore().named(f.session);
      const conn = await connectionOptions(h.endpoint, { ...f, ...(h.user && !f.user ? { user: h.user } : {}) }, io);
      process.exitCode = await runShell(
        (host) => connectSession(conn, h.shellId, { runspacePoolId: h.runspacePoolId, configurationName: h.configurationName, host, closeOnExit: false }),
        io,
        {
          label: f.session,
          historyFile: f.history ? historyPath(h.endpoint, h.user ?? user) : undefined,
          colour: colourWanted(io.stdout),
          disconnectOnExit: true,
          disconnectedNote: `session ${f.session} disconnected`,
        },
      );
      return;
    }
    if (!target) throw new UsageError('no target given (a host, or --session NAME)');
    let options: SessionOptions;
    let to: Target = target;
    if (parseOutOfProcTarget(target)?.kind === 'ssh') options = sshSessionOptions(f, io);
    else {
      to = await connectionOptions(target, f, io);
      options = { configurationName: f.configurationName };
    }
    if (f.disconnectOnExit && parseOutOfProcTarget(target)) throw new UsageError('--disconnect-on-exit needs a WS-Management target (OutOfProc sessions cannot be disconnected)');
    process.exitCode = await runShell((host) => openSession(to, { ...options, host, ...(f.disconnectOnExit ? { closeOnExit: false } : {}) }), io, {
      label: promptLabel(target),
      historyFile: f.history ? historyPath(target, user) : undefined,
      colour: colourWanted(io.stdout),
      disconnectOnExit: f.disconnectOnExit === true,
      disconnectedNote: 'session disconnected; it stays on the server until its idle timeout',
    });
  });
}
