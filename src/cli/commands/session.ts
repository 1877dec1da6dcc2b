// `psremote session list --remote <host>`: Get-PSSession -ComputerName. The
// rest of the session lifecycle (new, disconnect, connect, receive, remove and
// a local store of named sessions) is not implemented yet.

import type { Command } from 'commander';
import { getRemoteSessions } from '../../session/remote-sessions.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import type { CliIO } from '../main.js';

const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${Math.round(ms / 1000)}s`);

export function register(program: Command, io: CliIO): void {
  const session = program.command('session').description('PowerShell sessions on remote hosts (Get-PSSession)');
  const list = session
    .command('list')
    .description('list the PowerShell sessions a host holds for you, with their state and commands')
    .requiredOption('--remote <host>', 'host, host:port or http(s)://host:port/wsman')
    .option('--json', 'print one JSON object per session');
  addConnectionFlags(list).action(async (f: ConnectionFlags & { remote: string; json?: boolean }) => {
    const sessions = await getRemoteSessions(await connectionOptions(f.remote, f, io));
    if (f.json) {
      for (const s of sessions) io.stdout.write(`${JSON.stringify(s)}\n`);
      return;
    }
    io.stdout.write('ShellId                               State         Configuration          IdleTimeout  ExpiresIn  Commands\n');
    for (const s of sessions) {
      io.stdout.write(
        `${s.shellId.padEnd(38)}${(s.state ?? '-').padEnd(14)}${s.configurationName.padEnd(23)}${secs(s.idleTimeoutMs).padEnd(13)}${secs(s.expiresInMs).padEnd(11)}${s.commands.map((c) => c.commandId).join(',') || '-'}\n`,
      );
    }
  });
}
