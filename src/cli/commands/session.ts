// `psremote session …`: PowerShell sessions that outlive the process, like
// New-PSSession / Disconnect-PSSession / Get-PSSession / Connect-PSSession /
// Receive-PSSession / Remove-PSSession. A session made here is kept disconnected
// between commands; its handle (never a password) is in the local store
// (`$PSREMOTE_HOME/sessions.json`, default ~/.config/psremote/sessions.json).

import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { RESOURCE } from '../../wsman/namespaces.js';
import { connectSession, openSession } from '../../session/open.js';
import { getRemoteSessions, type RemoteSessionInfo } from '../../session/remote-sessions.js';
import { FileSessionStore, type NamedSession } from '../../session/store.js';
import { parseOutOfProcTarget, resolveTarget } from '../../winrm/target.js';
import { WSManFaultError } from '../../wsman/fault.js';
import { addConnectionFlags, connectionOptions, type ConnectionFlags } from '../connection-flags.js';
import { CONFIGURATION_NAME_OPTION, HOST_ARGUMENT } from '../command-options.js';
import type { CliIO } from '../io.js';
import { printInvocation } from '../print.js';
import { openedWith } from '../named-hosts.js';
import { visibleText } from '../terminal-text.js';

const secs = (ms: number | undefined) => (ms === undefined ? '-' : `${Math.round(ms / 1000)}s`);

/** The target object for `host`, as the connection flags describe it. */
const connection = (host: string, f: ConnectionFlags, io: CliIO) => connectionOptions(host, f, io);

function printRemote(sessions: RemoteSessionInfo[], io: CliIO, json: boolean): void {
  if (json) {
    for (const s of sessions) io.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  io.stdout.write('ShellId                               State         Configuration          IdleTimeout  MaxIdle     Idle      ExpiresIn  Commands\n');
  for (const s of sessions) {
    io.stdout.write(
      visibleText(`${s.shellId.padEnd(38)}${(s.state ?? '-').padEnd(14)}${s.configurationName.padEnd(23)}${secs(s.idleTimeoutMs).padEnd(13)}${secs(s.maxIdleTimeoutMs).padEnd(12)}${secs(s.shellInactivityMs).padEnd(10)}${secs(s.expiresInMs).padEnd(11)}${s.commands.map((c) => c.commandId).join(',') || '-'}`) + '\n',
    );
  }
}

function parseAge(text: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid duration "${text}" (use 90s, 30m, 1h, 2d)`);
  return Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export function register(program: Command, io: CliIO): void {
  const session = program.command('session').description('PowerShell sessions that outlive the process (New/Get/Connect/Receive/Remove-PSSession)');
  const store = () => new FileSessionStore();
  const sub = (name: string, description: string) => session.command(name).description(description);
  // Connect-PSSession to a stored handle, leaving it on the server when the process ends.
  const reconnect = async (h: NamedSession, f: ConnectionFlags) =>
    connectSession(await connection(h.endpoint, f, io), h.shellId, { runspacePoolId: h.runspacePoolId, configurationName: h.configurationName, closeOnExit: false });

  const newCmd = sub('new', 'create a named session on a host and leave it disconnected (New-PSSession | Disconnect-PSSession)')
    .argument(...HOST_ARGUMENT)
    .requiredOption('-n, --name <name>', 'name to find the session by later')
    .option(...CONFIGURATION_NAME_OPTION)
    .option('--idle-timeout <seconds>', 'how long the server keeps the disconnected session', '7200');
  addConnectionFlags(newCmd).action(async (host: string, f: ConnectionFlags & { name: string; configurationName: string; idleTimeout: string }) => {
    // Refused before anything is started: an OutOfProc server (a pwsh child) that
    // could not be disconnected kept the process alive after the error.
    if (parseOutOfProcTarget(host)) throw new UsageError(`session new needs a WS-Management target: an OutOfProc session (${host.split(':')[0]}:) cannot be disconnected, so it cannot outlive this process`);
    const pool = await openSession(await connection(host, f, io), { configurationName: f.configurationName });
    try {
      await pool.disconnect({ idleTimeoutMs: Number(f.idleTimeout) * 1000 });
    } catch (e) {
      await pool.close().catch(() => undefined);
      throw e;
    }
    store().add({
      name: f.name,
      endpoint: host,
      shellId: pool.runspacePoolId.toUpperCase(),
      runspacePoolId: pool.runspacePoolId,
      configurationName: f.configurationName,
      ...(f.user ? { user: f.user } : {}),
      ...openedWith(f as unknown as Record<string, unknown>),
      createdAt: new Date().toISOString(),
    });
    io.stdout.write(`session ${f.name} created on ${host}: ShellId ${pool.runspacePoolId.toUpperCase()}, Disconnected\n`);
  });

  const list = sub('list', 'list the named sessions of this machine, or with --remote the PowerShell sessions a host holds (Get-PSSession)')
    .option('--remote <host>', 'ask the host: host, host:port or http(s)://host:port/wsman')
    .option('--json', 'print one JSON object per session');
  addConnectionFlags(list).action(async (f: ConnectionFlags & { remote?: string; json?: boolean }) => {
    if (f.remote) {
      printRemote(await getRemoteSessions(await connection(f.remote, f, io)), io, f.json === true);
      return;
    }
    for (const h of store().all()) io.stdout.write(f.json ? `${JSON.stringify(h)}\n` : `${h.name}\t${h.endpoint}\t${h.shellId}\t${h.configurationName}\n`);
  });

  const receive = sub('receive', 'connect to a named session and receive the output of its pipelines (Receive-PSSession)')
    .argument('<name>')
    .option('--json', 'print each output object as one JSON line');
  addConnectionFlags(receive).action(async (name: string, f: ConnectionFlags & { json?: boolean }) => {
    const h = store().named(name);
    const conn = await connection(h.endpoint, f, io);
    const remote = (await getRemoteSessions(conn)).find((s) => s.shellId === h.shellId);
    if (!remote) throw new UsageError(`session ${name} (ShellId ${h.shellId}) no longer exists on ${h.endpoint}; it expired or was removed`);
    const pool = await connectSession(conn, h.shellId, { runspacePoolId: h.runspacePoolId, configurationName: h.configurationName });
    let hadErrors = false;
    for (const c of remote.commands) {
      const inv = await pool.receive(c.commandId);
      hadErrors = (await printInvocation(inv, io, f.json === true)) || hadErrors;
    }
    await pool.disconnect();
    process.exitCode = hadErrors ? 1 : 0;
  });

  const remove = sub('remove', 'remove a named session, or with --remote the sessions of a host that match the filters (Remove-PSSession)')
    .argument('[name]')
    .option('--remote <host>', 'remove sessions on this host')
    .option('--state <state>', 'with --remote: only sessions in this state (e.g. disconnected)')
    .option('--idle-longer-than <age>', 'with --remote: only sessions idle longer than this (90s, 30m, 1h, 2d)');
  addConnectionFlags(remove).action(async (name: string | undefined, f: ConnectionFlags & { remote?: string; state?: string; idleLongerThan?: string }) => {
    if (name) {
      const h = store().named(name);
      const { client } = resolveTarget(await connection(h.endpoint, f, io));
      let gone = false;
      try {
        await client.delete(RESOURCE.powershell(h.configurationName), h.shellId);
      } catch (e) {
        // Expired or removed on the server: the name would only mislead later commands.
        if (!(e instanceof WSManFaultError && e.kind === 'ShellNotFound')) throw e;
        gone = true;
      } finally {
        await client.close();
      }
      store().remove(name);
      io.stdout.write(gone ? `session ${name} no longer existed on ${h.endpoint}; its name is removed\n` : `session ${name} removed\n`);
      return;
    }
    if (!f.remote) throw new UsageError('give a session name, or --remote HOST with filters');
    const conn = await connection(f.remote, f, io);
    const minIdle = f.idleLongerThan ? parseAge(f.idleLongerThan) : undefined;
    const targets = (await getRemoteSessions(conn, { includeCommands: false })).filter(
      (s) => (!f.state || s.state?.toLowerCase() === f.state.toLowerCase()) && (minIdle === undefined || (s.shellInactivityMs ?? 0) > minIdle),
    );
    const { client } = resolveTarget(conn);
    const local = store();
    try {
      for (const s of targets) {
        await client.delete(s.resourceUri ?? RESOURCE.powershell(s.configurationName), s.shellId);
        // A named handle for a session that is gone would only mislead later commands.
        const named = local.all().filter((h) => h.shellId === s.shellId);
        for (const h of named) local.remove(h.name);
        io.stdout.write(`removed ${s.shellId} (${s.state ?? '-'})${named.length ? ` and its name ${named.map((h) => h.name).join(', ')}` : ''}\n`);
      }
    } finally {
      await client.close();
    }
  });

  const connect = sub('connect', 'connect to a named session and run commands in it, one per line from stdin (Connect-PSSession, Enter-PSSession); on end of input the session is disconnected again')
    .argument('<name>')
    .option('--json', 'print each output object as one JSON line');
  addConnectionFlags(connect).action(async (name: string, f: ConnectionFlags & { json?: boolean }) => {
    const h = store().named(name);
    const pool = await reconnect(h, f);
    const tty = (io.stdin as { isTTY?: boolean }).isTTY === true;
    const prompt = `[${name}] PS> `;
    if (tty) io.stdout.write(`connected to ${name} (${h.endpoint}, ShellId ${h.shellId}); end with Ctrl+D or exit\n`);
    const lines = createInterface({ input: io.stdin, terminal: false });
    let hadErrors = false;
    try {
      if (tty) io.stdout.write(prompt);
      for await (const line of lines) {
        const script = line.trim();
        if (script === 'exit') break;
        if (script) {
          try {
            hadErrors = (await printInvocation(pool.invoke(script), io, f.json === true)) || hadErrors;
          } catch (e) {
            hadErrors = true;
            io.stderr.write(`ERROR: ${visibleText(String((e as Error).message))}\n`);
          }
        }
        if (tty) io.stdout.write(prompt);
      }
    } finally {
      lines.close();
      await pool.disconnect();
    }
    if (tty) io.stdout.write(`\nsession ${name} disconnected\n`);
    process.exitCode = hadErrors ? 1 : 0;
  });

  const disconnect = sub('disconnect', 'disconnect a named session that is connected on the server (after a lost client), optionally with a new idle timeout (Disconnect-PSSession)')
    .argument('<name>')
    .option('--idle-timeout <seconds>', 'how long the server keeps the disconnected session')
    .option('--buffer-mode <mode>', 'Block (pause pipelines when output fills) or Drop (discard old output)');
  addConnectionFlags(disconnect).action(async (name: string, f: ConnectionFlags & { idleTimeout?: string; bufferMode?: string }) => {
    const h = store().named(name);
    const mode = f.bufferMode?.toLowerCase();
    if (mode !== undefined && mode !== 'block' && mode !== 'drop') throw new UsageError(`invalid --buffer-mode ${f.bufferMode}: Block or Drop`);
    const idle = f.idleTimeout === undefined ? undefined : Number(f.idleTimeout);
    if (idle !== undefined && !(Number.isInteger(idle) && idle > 0)) throw new UsageError(`invalid --idle-timeout ${f.idleTimeout}: seconds > 0`);
    const pool = await reconnect(h, f);
    await pool.disconnect({
      ...(idle !== undefined ? { idleTimeoutMs: idle * 1000 } : {}),
      ...(mode ? { bufferMode: mode === 'drop' ? 'Drop' : 'Block' } : {}),
    });
    io.stdout.write(`session ${name} disconnected${idle !== undefined ? `; the server keeps it ${idle} s` : ''}\n`);
  });
}
