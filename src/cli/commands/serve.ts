// `psremote serve`: a local WinRM endpoint. For now it replays recordings
// (`--replay FILE`); the live endpoint with cmd and PowerShell shells follows.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadRecording } from '../../server/recording.js';
import { startReplayServer } from '../../server/replay.js';
import type { CliIO } from '../main.js';

export function register(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('serve a local WinRM endpoint on 127.0.0.1 (currently: replay a recording)')
    .option('--replay <file>', 'answer requests from a recording (pypsrp YAML, WinRMSharp YAML, winrm4j XML, psremote JSON Lines)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { replay?: string; port: string; host: string }) => {
      if (!opts.replay) throw new UsageError('serve needs --replay FILE (the live endpoint is not implemented yet)');
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${opts.port}`);
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
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      const left = server.remaining().length;
      io.stdout.write(`${server.served.length} requests matched, ${server.unmatched.length} unmatched, ${left} recorded exchanges unused\n`);
      await server.close();
    });
}
