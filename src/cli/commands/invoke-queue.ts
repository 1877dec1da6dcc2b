// `psremote invoke --queue redis://… --hosts-file FILE -f script.ps1`: one
// BullMQ job per host, each host's result printed as it arrives, in invoke's
// output formats (`[host] ` before each line, {host, value} with --json). The
// throttle is the workers' concurrency; this process only waits.

import { parseClixml } from '../../clixml/index.js';
import { toPlain } from '../../clixml/plain.js';
import { UsageError } from '../../errors.js';
import { redisOptions, runOnFleet, type FleetResult } from '../../fleet/index.js';
import { FILE_LIMITS, readBoundedText } from '../bounded-file.js';
import type { CliIO } from '../io.js';
import { formatOutput, type OutputMode } from '../output-format.js';
import { visibleText } from '../terminal-text.js';

export function readHostsFile(path: string): string[] {
  const text = readBoundedText(path, '--hosts-file', FILE_LIMITS.hosts);
  // One host a line; # starts a comment.
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

function printResult(r: FleetResult, io: CliIO, mode: OutputMode): number {
  const prefix = `[${r.host}] `;
  for (const x of r.output) {
    const o = parseClixml(x);
    io.stdout.write(mode === 'json' ? `${JSON.stringify({ host: r.host, value: toPlain(o) })}\n` : `${prefix}${formatOutput(o, mode)}\n`);
  }
  const lines = (items: readonly string[], label: string) => {
    for (const m of items) io.stderr.write(`${prefix}${label}${visibleText(m)}\n`);
  };
  lines(r.warnings, 'WARNING: ');
  lines(r.verbose, 'VERBOSE: ');
  lines(r.information, '');
  lines(r.errors, 'ERROR: ');
  if (r.sessionGone) {
    io.stderr.write(`${prefix}psremote: the session of job ${r.jobId} is gone on the host (ShellId ${r.sessionGone.shellId}):\n`);
    for (const e of r.sessionGone.evidence) io.stderr.write(`${prefix}  ${visibleText(e)}\n`);
  } else if (r.error) io.stderr.write(`${prefix}psremote: ${visibleText(r.error.message)}\n`);
  return r.ok && !r.hadErrors ? 0 : 1;
}

export async function runOnQueue(
  f: { queue: string; queueName?: string; hostsFile?: string; configurationName?: string },
  hosts: readonly string[],
  script: string,
  io: CliIO,
  mode: OutputMode,
): Promise<number> {
  const all = [...hosts, ...(f.hostsFile ? readHostsFile(f.hostsFile) : [])];
  if (all.length === 0) throw new UsageError('no host given (a host list, --hosts-file FILE, or both)');
  const configurationName = f.configurationName && f.configurationName !== 'Microsoft.PowerShell' ? { configurationName: f.configurationName } : {};
  let worst = 0;
  for await (const r of runOnFleet(
    all.map((host) => ({ host, script, ...configurationName })),
    { connection: redisOptions(f.queue), ...(f.queueName ? { queueName: f.queueName } : {}) },
  )) {
    worst = Math.max(worst, printResult(r, io, mode));
  }
  return worst;
}
