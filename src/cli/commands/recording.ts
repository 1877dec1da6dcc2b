// `psremote recording convert IN OUT`: read any recording format psremote
// knows (pypsrp YAML, WinRMSharp YAML, winrm4j XML, psremote JSON Lines) and
// write psremote's JSON Lines or pypsrp's YAML (by OUT's extension, or --to).
// `psremote replay-check RECORDING -- <client command…>`: run a client against
// the replay of RECORDING and report which recorded exchanges it used, left
// unused or asked differently (strict matching); exit 1 on any mismatch.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadRecording } from '../../server/recording.js';
import { formatForPath, writeRecordingAs, type WritableFormat } from '../../server/recording-convert.js';
import { startReplayServer } from '../../server/replay.js';
import type { CliIO } from '../io.js';

export function register(program: Command, io: CliIO): void {
  const recording = program.command('recording').description('recording files: convert between formats');
  recording
    .command('convert <in> <out>')
    .description('convert a recording (pypsrp YAML, WinRMSharp YAML, winrm4j XML, psremote JSON Lines) to psremote JSON Lines or pypsrp YAML')
    .option('--to <format>', 'psremote or pypsrp (default: pypsrp for .yml/.yaml, else psremote)')
    .action((input: string, out: string, f: { to?: string }) => {
      if (f.to !== undefined && f.to !== 'psremote' && f.to !== 'pypsrp') throw new UsageError(`unknown --to ${f.to}: psremote or pypsrp`);
      const format = (f.to as WritableFormat | undefined) ?? formatForPath(out);
      const rec = loadRecording(input);
      writeFileSync(out, writeRecordingAs(rec, format), { mode: 0o600 });
      io.stdout.write(`${rec.exchanges.length} exchanges from ${rec.source} (${rec.format}) written to ${out} (${format})\n`);
    });

  program
    .command('replay-check <recording> <command...>')
    .description('run a client against the replay of RECORDING ({url} in its arguments and $PSREMOTE_REPLAY_URL name the server) and report used, unused and mismatched exchanges')
    .option('--match <mode>', 'strict (default) or lenient', 'strict')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '0')
    .action(async (file: string, command: string[], f: { match: string; port: string }) => {
      if (f.match !== 'strict' && f.match !== 'lenient') throw new UsageError(`unknown --match ${f.match}: strict or lenient`);
      const port = Number(f.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${f.port}`);
      const rec = loadRecording(file);
      const server = await startReplayServer({ recording: rec, match: f.match, port });
      let clientCode: number | null;
      try {
        const [cmd, ...args] = command.map((a) => a.split('{url}').join(server.url));
        clientCode = await new Promise<number | null>((resolve, reject) => {
          const child = spawn(cmd!, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, PSREMOTE_REPLAY_URL: server.url } });
          child.on('error', (e) => reject(new UsageError(`cannot run ${cmd}: ${e.message}`)));
          child.on('close', (code) => resolve(code));
        });
      } finally {
        await server.close();
      }
      const report = server.report();
      const count = (u: string) => report.filter((r) => r.use === u).length;
      io.stdout.write(`replay-check ${rec.source}: ${count('used')} used, ${count('unused')} unused, ${count('mismatched')} mismatched of ${report.length} recorded exchanges; ${server.unmatched.length} requests unmatched${server.stdinEnds ? `; ${server.stdinEnds} empty stdin End${server.stdinEnds === 1 ? '' : 's'} not in the recording answered (closeStdin)` : ''}; client exited ${clientCode ?? 'by a signal'}\n`);
      for (const r of report) io.stdout.write(`  #${r.exchange} ${r.operation}: ${r.use}${r.difference ? `: ${r.difference}` : ''}\n`);
      for (const u of server.unmatched) io.stdout.write(`  request ${u.index} ${u.operation}: unmatched: ${u.reason}\n`);
      process.exitCode = count('mismatched') > 0 || server.unmatched.length > 0 ? 1 : clientCode === 0 ? 0 : 1;
    });
}
