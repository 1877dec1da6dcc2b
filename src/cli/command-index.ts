// The commands, their one-line help, and where each is implemented. main.ts
// loads only the module of the command being run (a dynamic import), so
// `psremote --version`, `psremote --help` and each command start without
// loading the others (the server, undici, ssh2, BullMQ, yaml, Kerberos).
// The help lines repeat what the modules register: test/cli/startup.test.ts
// checks that `psremote --help` built from this table is the one built from
// the modules, so the two cannot drift apart.

import type { Command } from 'commander';
import type { CliIO } from './io.js';

export interface CommandModule {
  register(program: Command, io: CliIO): void;
}

export interface CommandEntry {
  /** The command name, then its arguments as commander prints them in the command list. */
  readonly term: string;
  readonly description: string;
  readonly load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { term: 'invoke [options] [hosts]', description: 'run a PowerShell script on one or more hosts (Invoke-Command)', load: () => import('./commands/invoke.js') },
  { term: 'shell [options] [target]', description: 'an interactive PowerShell prompt on a host (Enter-PSSession): line editing, history, Tab completion, Ctrl+C stops the running command', load: () => import('./commands/shell.js') },
  { term: 'exec [options] <host> <command...>', description: 'run a command in a remote cmd shell (WinRS) and exit with its exit code', load: () => import('./commands/exec.js') },
  { term: 'identify [options] <host>', description: 'send a WS-Management Identify and print what the server says about itself', load: () => import('./commands/identify.js') },
  { term: 'wmi [options] <host> <wql>', description: 'run a WQL query (WMI over WinRM)', load: () => import('./commands/wmi.js') },
  { term: 'session', description: 'PowerShell sessions that outlive the process (New/Get/Connect/Receive/Remove-PSSession)', load: () => import('./commands/session.js') },
  { term: 'upload [options] <paths...>', description: 'copy local files or folders into a PowerShell session (Copy-Item -ToSession)', load: () => import('./commands/copy.js') },
  { term: 'download [options] <paths...>', description: 'copy remote files or folders out of a PowerShell session (Copy-Item -FromSession)', load: () => import('./commands/copy.js') },
  { term: 'export-session [options] <target>', description: 'write a TypeScript module of typed functions for the commands of a remote session (Export-PSSession)', load: () => import('./commands/export-session.js') },
  { term: 'check [options] <target>', description: "report what a host's WinRM and PowerShell remoting offer (reachability, certificate, auth schemes, limits, configurations) and assert it with --expect", load: () => import('./commands/check.js') },
  { term: 'serve [options]', description: 'serve a local WinRM endpoint on 127.0.0.1, or replay a recording', load: () => import('./commands/serve.js') },
  { term: 'recording', description: 'recording files: convert between formats', load: () => import('./commands/recording.js') },
  { term: 'replay-check [options] <recording> <command...>', description: 'run a client against the replay of RECORDING ({url} in its arguments and $PSREMOTE_REPLAY_URL name the server) and report used, unused and mismatched exchanges', load: () => import('./commands/recording.js') },
  { term: 'decode [options] <file>', description: 'decode SOAP envelopes, recordings, base64 PSRP payloads or CLIXML (FILE or - for stdin) to JSON Lines', load: () => import('./commands/decode.js') },
  { term: 'demo', description: 'start a local WinRM endpoint and run PowerShell and cmd commands through the client', load: () => import('./commands/demo.js') },
  { term: 'kinit [options] <principal>', description: 'get a Kerberos ticket-granting ticket and store it in a FILE ccache (KRB5CCNAME, or --ccache)', load: () => import('./commands/kerberos.js') },
  { term: 'klist [options]', description: 'list the Kerberos tickets in the ccache psremote would use, with their expiry', load: () => import('./commands/kerberos.js') },
  { term: 'config', description: 'the configuration file with named hosts (~/.config/psremote/config.json, $XDG_CONFIG_HOME, or PSREMOTE_CONFIG)', load: () => import('./commands/config.js') },
  { term: 'worker [options]', description: 'run psremote jobs from a BullMQ queue on Redis (psremote invoke --queue enqueues them); crash-safe through disconnected sessions', load: () => import('./commands/worker.js') },
];
