// Running the built CLI as a user would: `psremote serve --replay` in one
// process, a client in another, and what the recording says the client should
// see (output, errors, exit status), read from the recorded answers.
import type { ChildProcess } from 'node:child_process';
import { EnvelopeDecoder } from '../../src/wsman/decode.js';
import { parseValue } from '../../src/psrp/clixml-bridge.js';
import { recordMessage } from '../../src/clixml/display.js';
import type { PSValue } from '../../src/clixml/values.js';
import { toPlain } from '../../src/clixml/plain.js';
import type { Recording } from '../../src/server/recording.js';
import { spawnCli, startServe as startServeCli } from './cli.js';

export { CLI } from './cli.js';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<RunResult> {
  return spawnCli(args, { ...(options.env ? { env: options.env } : {}), ...(options.stdin !== undefined ? { input: options.stdin } : {}), timeoutMs: options.timeoutMs ?? 60_000 });
}

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then what it printed (the summary). */
  stop(): Promise<{ stdout: string; stderr: string }>;
}

/** `psremote serve ARGS…` until it prints its URL (and, replaying, what it replays). */
export async function startServe(args: string[]): Promise<ServeProcess> {
  const s = await startServeCli(args);
  return { url: s.url, child: s.child, stderr: s.stderr, stop: s.terminate };
}

export interface RecordedPipeline {
  /** The commands of CREATE_PIPELINE as the recording has them. */
  readonly commands: readonly { Cmd: string; IsScript: boolean; Args: { N: string | null; V: unknown }[] }[];
  /** Output objects as `psremote invoke --json` prints them. */
  readonly output: string[];
  /** The messages of the error records. */
  readonly errors: string[];
  readonly state: string;
}

const STATE_NAMES = ['NotStarted', 'Running', 'Stopping', 'Stopped', 'Completed', 'Failed', 'Disconnected'];

/** Per recorded pipeline (in Command order): its commands and what the server answered. */
export function recordedPipelines(rec: Recording): RecordedPipeline[] {
  const d = new EnvelopeDecoder({ clixmlToJson: (x) => x });
  const byPid = new Map<string, { commands: RecordedPipeline['commands']; output: string[]; errors: string[]; state: string }>();
  const value = (clixml: unknown) => parseValue(clixml as string, {}, 'recorded');
  for (const x of rec.exchanges) {
    for (const m of d.decode(x.request).psrp) {
      if (m.type === 'CREATE_PIPELINE' && m.pid) byPid.set(m.pid, { commands: [], output: [], errors: [], state: 'Running' });
    }
    for (const m of d.decode(x.response.body).psrp) {
      const p = m.pid ? byPid.get(m.pid) : undefined;
      if (!p) continue;
      if (m.type === 'PIPELINE_OUTPUT') p.output.push(JSON.stringify(toPlain(value(m.data))));
      if (m.type === 'ERROR_RECORD') p.errors.push(recordMessage(value(m.data)));
      if (m.type === 'PIPELINE_STATE') p.state = STATE_NAMES[Number(/<I32 N="PipelineState">(\d+)</.exec(m.data as string)?.[1])] ?? '?';
    }
  }
  // The commands, from the plain view of CREATE_PIPELINE.
  const cmds = new EnvelopeDecoder();
  for (const x of rec.exchanges) {
    for (const m of cmds.decode(x.request).psrp) {
      if (m.type !== 'CREATE_PIPELINE' || !m.pid) continue;
      const p = byPid.get(m.pid)!;
      (p as { commands: RecordedPipeline['commands'] }).commands = ((m.data as { PowerShell: { Cmds: RecordedPipeline['commands'] } }).PowerShell.Cmds ?? []) as RecordedPipeline['commands'];
    }
    cmds.decode(x.response.body);
  }
  return [...byPid.values()];
}

const quote = (v: unknown) => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : typeof v === 'boolean' ? (v ? '$true' : '$false') : String(v));

/**
 * The pipeline as script text for `psremote invoke -c`, and whether it is exactly
 * the recorded one (a single script); a command with parameters becomes a script
 * that calls it, which strict matching rightly tells apart.
 */
export function scriptOf(p: RecordedPipeline): { script: string; exact: boolean } {
  const only = p.commands[0];
  if (p.commands.length === 1 && only!.IsScript && only!.Args.length === 0) return { script: only!.Cmd, exact: true };
  const script = p.commands
    .map((c) => [c.IsScript ? `& { ${c.Cmd} }` : c.Cmd, ...c.Args.map((a) => (a.N ? `-${a.N} ${quote(a.V)}` : quote(a.V)))].join(' '))
    .join(' | ');
  return { script, exact: false };
}

export interface RecordedCommand {
  readonly command: string;
  readonly args: string[];
  readonly stdin: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  /** WINRS_NOPROFILE as the recorded Create asked for it. */
  readonly noProfile: boolean;
}

/** Each WinRS command of a recording: its command line, stdin, and what the server answered. */
export function recordedCommands(rec: Recording): RecordedCommand[] {
  const d = new EnvelopeDecoder();
  const out: RecordedCommand[] = [];
  let cur: { command: string; args: string[]; stdin: string; stdout: string; stderr: string; exitCode: number | null; noProfile: boolean } | undefined;
  let noProfile = false;
  for (const x of rec.exchanges) {
    if (x.operation === 'Create') noProfile = /Name="WINRS_NOPROFILE"[^>]*>\s*true\s*</i.test(x.request);
    d.decode(x.request);
    if (x.operation === 'Command') {
      const text = (re: RegExp) => [...x.request.matchAll(re)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
      cur = { command: text(/<(?:[\w-]+:)?Command>([^<]*)</g)[0] ?? '', args: text(/<(?:[\w-]+:)?Arguments>([^<]*)</g), stdin: '', stdout: '', stderr: '', exitCode: null, noProfile };
      out.push(cur);
    }
    if (x.operation === 'Send' && cur) for (const m of x.request.matchAll(/<(?:[\w-]+:)?Stream\b[^>]*>([^<]*)</g)) cur.stdin += Buffer.from(m[1]!, 'base64').toString('utf8');
    const r = d.decode(x.response.body);
    if (!cur) continue;
    for (const s of r.streams) {
      if (s.name === 'stdout') cur.stdout += s.text;
      else if (s.name === 'stderr') cur.stderr += s.text;
    }
    if (r.exitCode !== null) cur.exitCode = r.exitCode;
  }
  return out;
}
