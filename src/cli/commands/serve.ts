// `psremote serve`: a local WinRM endpoint on loopback (WinRS shells run
// through the local shell, PowerShell on the scripted engine), or the replay of
// a recording with `--replay FILE`.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadRecording } from '../../server/recording.js';
import { startReplayServer } from '../../server/replay.js';
import { startEndpoint, type EndpointOptions } from '../../server/endpoint.js';
import type { EndpointAuthScheme, EndpointUser } from '../../server/auth-gate.js';
import { readFileSync } from 'node:fs';
import type { CliIO } from '../main.js';

export function register(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('serve a local WinRM endpoint on 127.0.0.1, or replay a recording')
    .option('--replay <file>', 'answer requests from a recording (pypsrp YAML, WinRMSharp YAML, winrm4j XML, psremote JSON Lines)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--users <file>', 'users, one "name:password" (or "name:$NT$<32 hex>", an NT hash) per line (default: no authentication)')
    .option('--auth <schemes>', 'schemes offered to --users: basic, ntlm, or basic,ntlm (default basic)', 'basic')
    .option('--tls-cert <file>', 'serve https with this certificate (PEM)')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--cbt <level>', 'NTLM channel binding over https, as CbtHardeningLevel: none, relaxed (default) or strict', 'relaxed')
    .action(async (opts: { replay?: string; port: string; host: string; users?: string; auth: string; tlsCert?: string; tlsKey?: string; cbt: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${opts.port}`);
      if (!opts.replay) {
        const users = opts.users ? readUsers(opts.users) : undefined;
        const auth = opts.auth.split(',').map((s) => s.trim().toLowerCase());
        for (const a of auth) if (a !== 'basic' && a !== 'ntlm') throw new UsageError(`unknown --auth ${a}: use basic, ntlm or basic,ntlm`);
        if (!['none', 'relaxed', 'strict'].includes(opts.cbt)) throw new UsageError(`invalid --cbt ${opts.cbt}: use none, relaxed or strict`);
        if (!opts.tlsCert !== !opts.tlsKey) throw new UsageError('--tls-cert and --tls-key go together');
        const o: EndpointOptions = {
          port,
          host: opts.host,
          ...(users ? { users, auth: auth as EndpointAuthScheme[] } : {}),
          ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } } : {}),
          channelBindingPolicy: opts.cbt as 'none' | 'relaxed' | 'strict',
        };
        const ep = await startEndpoint(o);
        io.stdout.write(`listening on ${ep.url}\n`);
        io.stdout.write(`engine: scripted (WinRS commands run through /bin/sh)${users ? `; ${Object.keys(users).length} users (${auth.join(', ')})` : '; no authentication'}\n`);
        await untilSignal();
        await ep.close();
        return;
      }
      const recording = loadRecording(opts.replay);
      const server = await startReplayServer({
        recording,
        port,
        host: opts.host,
        onUnmatched: (u) =>
          io.stderr.write(`unmatched request #${u.index}: ${u.operation}${u.shellId ? ` shell ${u.shellId}` : ''}${u.commandId ? ` command ${u.commandId}` : ''}: ${u.reason}\n`),
      });
      io.stdout.write(`listening on ${server.url}\n`);
      io.stdout.write(`replaying ${recording.exchanges.length} exchanges from ${recording.source} (${recording.format})\n`);
      await untilSignal();
      const left = server.remaining().length;
      io.stdout.write(`${server.served.length} requests matched, ${server.unmatched.length} unmatched, ${left} recorded exchanges unused\n`);
      await server.close();
    });
}

function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function readUsers(file: string): Record<string, EndpointUser> {
  const users: Record<string, EndpointUser> = {};
  for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    const l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const c = l.indexOf(':');
    if (c <= 0) throw new UsageError(`${file} line ${i + 1}: expected name:password`);
    const secret = l.slice(c + 1);
    const nt = /^\$NT\$([0-9a-fA-F]{32})$/.exec(secret);
    users[l.slice(0, c)] = nt ? { ntHash: nt[1]! } : secret;
  }
  return users;
}
