// The local WinRM endpoint behind `psremote serve`: a WS-Management server on
// loopback that answers the way Windows does (envelopes and faults modelled on
// the recordings in fixtures/upstream). WinRS shells run their commands through
// the local shell; PowerShell shells run on psremote's scripted PSRP engine
// (script handlers instead of PowerShell). Receive is a real long-poll: it
// waits for output until the request's OperationTimeout, then answers with the
// timeout fault, as Windows does.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { userInfo } from 'node:os';
import { attribute, childElement, childElements, textContent, type XmlElement } from '../util/xml.js';
import { ACTION, NS, POWERSHELL_RESOURCE_PREFIX, RESOURCE, SIGNAL } from '../wsman/namespaces.js';
import { parseDuration } from '../wsman/envelope.js';
import { parseEnvelope, type ParsedEnvelope } from '../wsman/response.js';
import { ScriptedEngine, type ScriptHandler } from '../session/scripted-engine.js';
import { RealEngine, type PowerShellEngine } from './real-engine.js';
import { describeRequest, type RequestInfo } from './recording.js';
import {
  FAULTS,
  commandResponseBody,
  createResponseBody,
  envelope,
  faultEnvelope,
  identifyResponse,
  quotaFault,
  configBody,
  IN_USE_FAULT,
  receiveResponseBody,
  shellXml,
  type FaultSpec,
  type OutStream,
} from './responses.js';
import { demoHandler } from './demo-handler.js';
import { FaultInjector } from './faults.js';
import { newOutbox, runHandler, runProcess, wake, type CmdHandler, type CommandState, type Outbox } from './commands.js';
import { RecordingFile } from './recording-file.js';
import { AuthGate, type EndpointAuthScheme, type EndpointUser } from './auth-gate.js';
import type { ChannelBindingPolicy } from '../auth/ntlm/acceptor.js';
import { UsageError } from '../errors.js';

export interface EndpointOptions {
  readonly port?: number;
  readonly host?: string;
  /** Users (name → password, or `{ ntHash }`); none means no authentication. */
  readonly users?: Readonly<Record<string, EndpointUser>>;
  /** Schemes offered to `users` (default ['basic']); 'ntlm' is NTLM in the Negotiate scheme with message encryption. */
  readonly auth?: readonly EndpointAuthScheme[];
  /** Serve https with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** NTLM channel binding policy over https, as CbtHardeningLevel (default 'relaxed'). */
  readonly channelBindingPolicy?: ChannelBindingPolicy;
  /** Accept unencrypted SOAP from NTLM clients over http (AllowUnencrypted; default false). */
  readonly allowUnencrypted?: boolean;
  /** Runs PowerShell pipelines (default: the demo handler). */
  readonly handler?: ScriptHandler;
  /**
   * Run PowerShell shells on PowerShell's own engine instead of the scripted one:
   * the command line of a PSRP server speaking OutOfProc on stdio (`pwsh -s`, or
   * the test peer's host), started once per shell.
   */
  readonly realEngine?: string | readonly string[];
  /** Longest a Receive is held, whatever its OperationTimeout (default 60 s). */
  readonly maxOperationTimeoutMs?: number;
  /** MaxEnvelopeSizekb of this server (default 500). */
  readonly maxEnvelopeSizeKb?: number;
  /** Largest raw output bytes in one ReceiveResponse (default 96 KiB). */
  readonly maxReceiveBytes?: number;
  /**
   * Drop shells that have had no request and no outstanding Receive for this long,
   * as Windows disconnects idle shells after about a minute (peers note C4).
   * Default 0: off. Tests shorten it.
   */
  readonly idleDisconnectMs?: number;
  /** Per-user quotas, with the faults Windows returns when they are exceeded. */
  readonly quotas?: {
    /** Shells one user may hold at once (Windows MaxShellsPerUser; default 30). */
    readonly maxShellsPerUser?: number;
    /** Commands one shell may run over its life (MaxConcurrentOperationsPerUser; default 1500). */
    readonly maxCommandsPerShell?: number;
  };
  /**
   * PowerShell commands by name: a script whose first word is a registered name
   * runs that handler; anything else goes to `handler`.
   */
  readonly psCommands?: Readonly<Record<string, ScriptHandler>>;
  /** WinRS commands by name, run instead of the local shell. */
  readonly cmdCommands?: Readonly<Record<string, CmdHandler>>;
  /** Append every exchange to this file in psremote's recording format (credentials scrubbed). */
  readonly recordPath?: string;
}

export type { CmdHandler } from './commands.js';

export interface EndpointStats {
  readonly requests: Record<string, number>;
  readonly openShells: number;
  /** Shells the idle timer disconnected (PowerShell) or dropped (cmd). */
  readonly idleDisconnects: number;
  /** Disconnected shells removed when their idle timeout ran out. */
  readonly expired: number;
  /** Request and response body bytes. */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

export interface LocalEndpoint {
  readonly url: string;
  readonly stats: EndpointStats;
  /** Every request, in order: operation, shell, command, HTTP status answered. */
  readonly log: readonly { operation: string; shellId?: string | undefined; commandId?: string | undefined; status: number; user?: string | undefined; reason?: string }[];
  /** Fault injection: add rules to drop, delay or fail requests. */
  readonly faults: FaultInjector;
  /** The shells the server holds now: id, kind, state, owner, commands. */
  shells(): { shellId: string; kind: 'powershell' | 'cmd'; state: 'Connected' | 'Disconnected'; owner: string; commands: string[] }[];
  /** Removes a shell at once, as if an administrator killed it; false if unknown. */
  killShell(shellId: string): boolean;
  close(): Promise<void>;
}

interface Shell {
  readonly id: string;
  readonly resourceUri: string;
  readonly kind: 'powershell' | 'cmd';
  readonly created: number;
  lastActivity: number;
  readonly idleTimeoutMs: number;
  readonly poolOut: Outbox;
  readonly commands: Map<string, CommandState>;
  readonly engine?: PowerShellEngine;
  readonly cwd?: string | undefined;
  readonly env?: Record<string, string>;
  readonly inputStreams: string;
  readonly outputStreams: string;
  /** Receives being held right now. */
  pendingReceives: number;
  state: 'Connected' | 'Disconnected';
  /** The user who created it (quotas, Enumerate's Owner). */
  readonly owner: string;
  /** Commands created over the shell's life (the operations quota). */
  commandsRun: number;
  /** When it became Disconnected, and how long it is kept so (Disconnect's IdleTimeOut). */
  disconnectedAt?: number;
  keepDisconnectedMs?: number;
}

class Fault extends Error {
  constructor(readonly spec: FaultSpec, readonly status = 500) {
    super(spec.reason);
  }
}

export async function startEndpoint(options: EndpointOptions = {}): Promise<LocalEndpoint> {
  const shells = new Map<string, Shell>();
  const requests: Record<string, number> = {};
  const log: { operation: string; shellId?: string | undefined; commandId?: string | undefined; status: number; user?: string | undefined; reason?: string }[] = [];
  const sockets = new Set<Socket>();
  const maxOpMs = options.maxOperationTimeoutMs ?? 60_000;
  const maxEnvelope = (options.maxEnvelopeSizeKb ?? 500) * 1024;
  const maxReceive = options.maxReceiveBytes ?? 96 * 1024;
  const fallback = options.handler ?? demoHandler;
  const named = new Map(Object.entries(options.psCommands ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const handler: ScriptHandler = named.size
    ? (ctx) => (named.get(/^\s*([^\s;|]+)/.exec(ctx.commandText)?.[1]?.toLowerCase() ?? '') ?? fallback)(ctx)
    : fallback;
  let url = '';
  let closed = false;
  let idleDisconnects = 0;
  let expired = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  const faults = new FaultInjector();
  const recorder = options.recordPath ? new RecordingFile(options.recordPath, 'psremote serve') : undefined;
  const maxShellsPerUser = options.quotas?.maxShellsPerUser ?? 30;
  const maxCommandsPerShell = options.quotas?.maxCommandsPerShell ?? 1500;
  const idleMs = options.idleDisconnectMs ?? 0;
  const drop = (s: Shell) => {
    shells.delete(s.id);
    s.engine?.close();
    for (const c of s.commands.values()) {
      c.child?.kill('SIGKILL');
      c.abort?.abort();
      wake(c.out);
    }
    wake(s.poolOut);
  };
  // Windows disconnects a PowerShell shell whose client stopped receiving (it
  // can be reconnected; a cmd shell cannot, so it is dropped), and removes a
  // disconnected shell once its idle timeout has run out.
  const sweep = () => {
    const now = Date.now();
    for (const s of shells.values()) {
      if (idleMs > 0 && s.state === 'Connected' && s.pendingReceives === 0 && now - s.lastActivity > idleMs) {
        idleDisconnects++;
        if (s.kind === 'cmd') drop(s);
        else {
          s.state = 'Disconnected';
          s.disconnectedAt = now;
          s.keepDisconnectedMs ??= s.idleTimeoutMs;
        }
      } else if (s.state === 'Disconnected' && now - (s.disconnectedAt ?? now) > (s.keepDisconnectedMs ?? s.idleTimeoutMs)) {
        expired++;
        drop(s);
      }
    }
  };
  const sweepTimer = setInterval(sweep, idleMs > 0 ? Math.max(10, Math.floor(idleMs / 4)) : 1_000);
  sweepTimer.unref();

  const shellOf = (info: RequestInfo): Shell => {
    const s = info.shellId ? shells.get(info.shellId.toUpperCase()) : undefined;
    if (!s) throw new Fault(FAULTS.shellNotFound);
    s.lastActivity = Date.now();
    return s;
  };
  const commandOf = (s: Shell, commandId: string | undefined): CommandState => {
    const c = commandId ? s.commands.get(commandId.toUpperCase()) : undefined;
    if (!c) throw new Fault(FAULTS.shellNotFound);
    return c;
  };

  function describe(s: Shell, listing = false) {
    const now = Date.now();
    return {
      ...(s.kind === 'cmd' ? { environment: s.env, workingDirectory: s.cwd } : {}),
      ...(listing ? { memoryUsedMB: Math.round(process.memoryUsage().rss / 1048576), childProcesses: [...s.commands.values()].filter((c) => c.child && !c.out.done).length } : {}),
      shellId: s.id,
      resourceUri: s.resourceUri,
      owner: s.owner,
      clientIP: '127.0.0.1',
      processId: process.pid,
      idleTimeoutMs: s.idleTimeoutMs,
      maxIdleTimeoutMs: 2_147_483_647,
      inputStreams: s.inputStreams,
      outputStreams: s.outputStreams,
      state: s.state,
      runTimeMs: now - s.created,
      inactivityMs: now - s.lastActivity,
    };
  }

  function create(env: ParsedEnvelope, info: RequestInfo, user: string): string {
    const held = [...shells.values()].filter((s) => s.owner === user).length;
    if (held >= maxShellsPerUser) throw new Fault(quotaFault('shells', maxShellsPerUser));
    const shellEl = childElement(env.body, NS.shell, 'Shell');
    if (!shellEl || !info.resourceUri) throw new Fault(FAULTS.invalidParameter);
    const isPs = info.resourceUri.startsWith(POWERSHELL_RESOURCE_PREFIX);
    if (!isPs && info.resourceUri.toLowerCase() !== RESOURCE.cmdShell.toLowerCase()) throw new Fault(FAULTS.actionNotSupported);
    const id = (attribute(shellEl, 'ShellId') ?? randomUUID()).toUpperCase();
    const idle = childElement(shellEl, NS.shell, 'IdleTimeOut');
    const vars: Record<string, string> = {};
    const envEl = childElement(shellEl, NS.shell, 'Environment');
    for (const v of envEl ? childElements(envEl, NS.shell, 'Variable') : []) vars[attribute(v, 'Name') ?? ''] = textContent(v);
    const wd = childElement(shellEl, NS.shell, 'WorkingDirectory');
    const shell: Shell = {
      id,
      resourceUri: info.resourceUri,
      kind: isPs ? 'powershell' : 'cmd',
      created: Date.now(),
      lastActivity: Date.now(),
      idleTimeoutMs: (idle && parseDuration(textContent(idle))) || 7_200_000,
      poolOut: newOutbox(),
      commands: new Map(),
      ...(isPs ? { engine: options.realEngine ? new RealEngine(options.realEngine) : new ScriptedEngine({ handler }) } : {}),
      cwd: wd ? textContent(wd).trim() : undefined,
      env: vars,
      pendingReceives: 0,
      state: 'Connected',
      owner: user,
      commandsRun: 0,
      inputStreams: textContent(childElement(shellEl, NS.shell, 'InputStreams') ?? shellEl).trim() || 'stdin',
      outputStreams: textContent(childElement(shellEl, NS.shell, 'OutputStreams') ?? shellEl).trim() || 'stdout stderr',
    };
    if (shell.engine) {
      const engine = shell.engine;
      engine.onPayload = (p) => {
        const target = p.pipelineId ? shell.commands.get(p.pipelineId.toUpperCase())?.out : shell.poolOut;
        if (!target) return;
        target.chunks.push({ name: 'stdout', ...(p.pipelineId ? { commandId: p.pipelineId.toUpperCase() } : {}), data: p.data });
        wake(target);
      };
      engine.onFailure = (reason) => {
        log.push({ operation: 'engine', shellId: shell.id, status: 500, reason });
        drop(shell);
      };
      engine.onPipelineDone = (pid) => {
        const c = shell.commands.get(pid.toUpperCase());
        if (c) {
          c.out.done = true;
          wake(c.out);
        }
      };
      const cx = childElement(shellEl, NS.powershell, 'creationXml');
      if (!cx) throw new Fault(FAULTS.invalidParameter);
      engine.receive(Buffer.from(textContent(cx).trim(), 'base64'));
    }
    shells.set(id, shell);
    return createResponseBody(url, describe(shell), shell.kind);
  }

  function command(env: ParsedEnvelope, info: RequestInfo): string {
    const shell = shellOf(info);
    const cl = childElement(env.body, NS.shell, 'CommandLine');
    if (!cl) throw new Fault(FAULTS.invalidParameter);
    if (shell.commandsRun >= maxCommandsPerShell) throw new Fault(quotaFault('operations', maxCommandsPerShell));
    shell.commandsRun++;
    const id = (attribute(cl, 'CommandId') ?? randomUUID()).toUpperCase();
    const cmd: CommandState = { id, out: newOutbox() };
    shell.commands.set(id, cmd);
    const args = childElements(cl, NS.shell, 'Arguments').map((a) => textContent(a));
    if (shell.engine) {
      for (const [i, a] of args.entries()) shell.engine.receive(Buffer.from(a.trim(), 'base64'), { pipelineId: id.toLowerCase(), create: i === 0 });
    } else {
      const text = textContent(childElement(cl, NS.shell, 'Command') ?? cl).trim();
      const own = options.cmdCommands && Object.entries(options.cmdCommands).find(([n]) => n.toLowerCase() === text.toLowerCase());
      if (own) runHandler(cmd, own[1], text, args);
      else runProcess(cmd, [text, ...args].join(' '), shell.cwd, shell.env);
    }
    return commandResponseBody(id);
  }

  function send(env: ParsedEnvelope, info: RequestInfo): string {
    const shell = shellOf(info);
    const sendEl = childElement(env.body, NS.shell, 'Send');
    for (const st of sendEl ? childElements(sendEl, NS.shell, 'Stream') : []) {
      const data = Buffer.from(textContent(st).trim(), 'base64');
      const cid = attribute(st, 'CommandId');
      if (shell.engine) {
        if (data.length > 0) shell.engine.receive(data, { pipelineId: cid?.toLowerCase(), prompt: attribute(st, 'Name') === 'pr' });
      }
      else {
        const c = commandOf(shell, cid);
        const end = /^true$/i.test(attribute(st, 'End') ?? '');
        if (c.stdin) {
          if (data.length > 0) c.stdin.push(data);
          if (end) c.stdin.end();
        } else {
          if (data.length > 0) c.child?.stdin?.write(data);
          if (end) c.child?.stdin?.end();
        }
      }
    }
    return '<rsp:SendResponse/>';
  }

  async function receive(env: ParsedEnvelope, info: RequestInfo, req: IncomingMessage): Promise<string | Fault> {
    const shell = shellOf(info);
    // The cmd plugin has no shell-level output (test_winrs_fail_poll_process).
    if (shell.kind === 'cmd' && !info.commandId) throw new Fault({ ...FAULTS.invalidParameter, detail: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue' });
    const out = info.commandId ? commandOf(shell, info.commandId).out : shell.poolOut;
    const header = env.header;
    const opEl = header && childElement(header, NS.wsman, 'OperationTimeout');
    const opMs = Math.min((opEl && parseDuration(textContent(opEl))) || 60_000, maxOpMs);
    if (out.chunks.length === 0 && !out.done) {
      shell.pendingReceives++;
      await new Promise<void>((resolve) => {
        // Every way out removes the others: a keep-alive socket carries many long polls,
        // and a 'close' listener left behind per poll would pile up on it.
        const done = () => {
          clearTimeout(timer);
          req.socket.off('close', done);
          resolve();
        };
        const timer = setTimeout(done, opMs);
        out.waiters.push(done);
        req.socket.once('close', done);
      });
      shell.pendingReceives--;
      shell.lastActivity = Date.now();
      // A little more output often follows at once: let it join this answer.
      if (out.chunks.length > 0) await new Promise((r) => setImmediate(r));
    }
    if (req.socket.destroyed || closed) return new Fault(FAULTS.timedOut);
    if (out.chunks.length === 0 && !out.done) return new Fault(FAULTS.timedOut);
    const taken: OutStream[] = [];
    let bytes = 0;
    while (out.chunks.length > 0 && (taken.length === 0 || bytes + out.chunks[0]!.data.length <= maxReceive)) {
      const c = out.chunks.shift()!;
      taken.push(c);
      bytes += c.data.length;
    }
    shell.lastActivity = Date.now();
    if (!info.commandId) return receiveResponseBody(taken);
    const finished = out.done && out.chunks.length === 0;
    if (finished && shell.kind === 'cmd') {
      taken.push({ name: 'stdout', commandId: info.commandId.toUpperCase(), data: new Uint8Array(), end: true });
      taken.push({ name: 'stderr', commandId: info.commandId.toUpperCase(), data: new Uint8Array(), end: true });
    }
    return receiveResponseBody(taken, {
      commandId: info.commandId.toUpperCase(),
      state: finished ? 'Done' : 'Running',
      // Windows reports ExitCode 0 for a finished PowerShell command too.
      ...(finished ? { exitCode: shell.kind === 'cmd' ? (out.exitCode ?? 0) : 0 } : {}),
    });
  }

  function signal(info: RequestInfo): string {
    const shell = shellOf(info);
    const cmd = commandOf(shell, info.commandId);
    const code = (info.signalCode ?? '').toLowerCase();
    if (shell.engine) {
      if (code === SIGNAL.psCtrlC) shell.engine.stop(cmd.id.toLowerCase());
      else {
        shell.engine.release?.(cmd.id.toLowerCase());
        shell.commands.delete(cmd.id);
      }
    } else if (code === SIGNAL.terminate || code === SIGNAL.ctrlC || code === SIGNAL.ctrlBreak) {
      if (!cmd.out.done) cmd.child?.kill(code === SIGNAL.terminate ? 'SIGKILL' : 'SIGINT');
      if (!cmd.out.done) cmd.abort?.abort();
      if (code === SIGNAL.terminate) shell.commands.delete(cmd.id);
    }
    return '<rsp:SignalResponse/>';
  }

  // Disconnect-PSSession: the shell and its commands live on, output is buffered.
  function disconnect(env: ParsedEnvelope, info: RequestInfo): string {
    const shell = shellOf(info);
    const el = childElement(env.body, NS.shell, 'Disconnect');
    const idle = el && childElement(el, NS.shell, 'IdleTimeOut');
    const keep = idle ? parseDuration(textContent(idle)) : undefined;
    if (keep !== undefined) shell.keepDisconnectedMs = keep;
    shell.state = 'Disconnected';
    shell.disconnectedAt = Date.now();
    wake(shell.poolOut); // the old client's pool Receive ends
    for (const c of shell.commands.values()) wake(c.out);
    return ''; // Windows answers with an empty body
  }

  function reconnect(info: RequestInfo): string {
    const shell = shellOf(info);
    shell.state = 'Connected';
    delete shell.disconnectedAt;
    return ''; // Windows answers with an empty body
  }

  // Connect from another client: SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL in,
  // SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA back in connectResponseXml. The
  // real engine answers through its ExecuteConnect (real-engine.ts), then sends
  // APPLICATION_PRIVATE_DATA on the pool stream for the new client's Receive.
  async function connect(env: ParsedEnvelope, info: RequestInfo): Promise<string> {
    const shell = shellOf(info);
    // A shell answers only under its own resource URI (a cmd shell, or another configuration, is not found).
    if (info.resourceUri?.toLowerCase() !== shell.resourceUri.toLowerCase()) throw new Fault(FAULTS.shellNotFound);
    if (!shell.engine) throw new Fault(FAULTS.actionNotSupported);
    const el = childElement(env.body, NS.shell, 'Connect');
    if (!el) throw new Fault(FAULTS.invalidParameter);
    const cid = attribute(el, 'CommandId') ?? attribute(el, 'CommandId', NS.shell);
    if (cid) {
      commandOf(shell, cid);
      return '<rsp:ConnectResponse/>';
    }
    const cx = childElement(el, NS.powershell, 'connectXml');
    if (!cx) throw new Fault(FAULTS.invalidParameter);
    if (shell.state === 'Connected') throw new Fault(IN_USE_FAULT);
    const connectXml = Buffer.from(textContent(cx).trim(), 'base64');
    shell.poolOut.chunks.length = 0; // what was queued belonged to the previous client
    let answer: Buffer;
    if (shell.engine instanceof RealEngine) {
      const reply = await shell.engine.connect(connectXml).catch((e: unknown) => {
        const reason = `psremote serve: ${(e as Error).message}`;
        throw new Fault(e instanceof UsageError ? { ...FAULTS.actionNotSupported, reason } : { ...FAULTS.invalidParameter, reason, message: reason });
      });
      if (!shells.has(shell.id)) throw new Fault(FAULTS.shellNotFound);
      answer = Buffer.from(reply);
    } else {
      shell.engine.receive(connectXml);
      answer = Buffer.concat(shell.poolOut.chunks.splice(0).map((c) => Buffer.from(c.data)));
    }
    shell.state = 'Connected';
    delete shell.disconnectedAt;
    return (
      `<rsp:ConnectResponse><rsp:InputStreams>${shell.inputStreams}</rsp:InputStreams><rsp:OutputStreams>${shell.outputStreams}</rsp:OutputStreams>` +
      `<connectResponseXml xmlns="${NS.powershell}">${answer.toString('base64')}</connectResponseXml></rsp:ConnectResponse>`
    );
  }

  // Get-PSSession -ComputerName: shells, or one shell's commands with a ShellId selector filter.
  function enumerate(env: ParsedEnvelope, info: RequestInfo): string {
    let items = '';
    if (info.resourceUri === RESOURCE.shell) {
      for (const s of shells.values()) items += shellXml(describe(s, true), s.kind);
    } else if (info.resourceUri === RESOURCE.shellCommand) {
      const en = childElement(env.body, NS.enumeration, 'Enumerate');
      const filter = en && childElement(en, NS.wsman, 'Filter');
      const set = filter && childElement(filter, NS.wsman, 'SelectorSet');
      const sel = set && childElements(set, NS.wsman, 'Selector').find((x) => attribute(x, 'Name') === 'ShellId');
      const shell = sel ? shells.get(textContent(sel).trim().toUpperCase()) : undefined;
      for (const c of shell ? shell.commands.values() : []) {
        items += `<rsp:Command xmlns:rsp="${NS.shell}"><rsp:CommandId>${c.id}</rsp:CommandId></rsp:Command>`;
      }
    } else throw new Fault(FAULTS.actionNotSupported);
    // Windows leaves out Items when there are none.
    return `<n:EnumerateResponse xmlns:n="${NS.enumeration}"><n:EnumerationContext></n:EnumerationContext>${items ? `<w:Items>${items}</w:Items>` : ''}<w:EndOfSequence/></n:EnumerateResponse>`;
  }

  // WS-Transfer Get: the service configuration, or one shell (pypsrp's is_alive).
  function get(info: RequestInfo): string {
    if (info.resourceUri === 'http://schemas.microsoft.com/wbem/wsman/1/config') return configBody(maxEnvelope / 1024, maxOpMs);
    if (info.shellId) {
      const s = shellOf(info);
      return shellXml(describe(s, true), s.kind);
    }
    throw new Fault(FAULTS.actionNotSupported);
  }

  function remove(info: RequestInfo): string {
    drop(shellOf(info));
    return '';
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      chunks.push(c as Buffer);
    }
    bytesIn += size;
    const gated = gate.inbound(req, Buffer.concat(chunks));
    if (gated.kind === 'reply') {
      log.push({ operation: 'auth', status: gated.status, reason: gated.reason });
      res.writeHead(gated.status, gated.headers).end(gated.body);
      return;
    }
    if (gated.body.length === 0 && gated.user !== undefined) {
      // The empty POST clients send to authenticate before sealing (pywinrm, pypsrp).
      log.push({ operation: 'auth', status: 200 });
      res.writeHead(200, { 'content-length': 0 }).end();
      return;
    }
    const user = gated.user ?? '';
    const owner = user || userInfo().username;
    const messageId = randomUUID();
    // Recorded as plain SOAP, after message encryption was removed.
    const requestText = gated.body.toString('utf8');
    let env: ParsedEnvelope;
    let info: RequestInfo;
    try {
      env = parseEnvelope(gated.body, { operation: 'request' });
      info = describeRequest(env.root);
    } catch {
      log.push({ operation: 'invalid', status: 400 });
      res.writeHead(400, { 'content-type': 'text/plain' }).end('not a SOAP envelope');
      return;
    }
    const isIdentify = info.action === undefined && childElement(env.body, NS.identity, 'Identify') !== undefined;
    const op = isIdentify ? 'Identify' : info.operation;
    requests[op] = (requests[op] ?? 0) + 1;
    const injected = faults.match(op, info.shellId, info.commandId);
    if (injected?.type === 'drop') {
      log.push({ operation: op, shellId: info.shellId, commandId: info.commandId, status: 0, user });
      req.socket.destroy();
      return;
    }
    if (injected?.type === 'status') {
      const text = injected.body ?? `<html><body>HTTP Error ${injected.status}</body></html>`;
      log.push({ operation: op, shellId: info.shellId, commandId: info.commandId, status: injected.status, user });
      res.writeHead(injected.status, { 'content-type': injected.contentType ?? 'text/html', 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    if (injected?.type === 'delay') await new Promise((r) => setTimeout(r, injected.ms));
    let status = 200;
    let body: string;
    try {
      if (size > maxEnvelope) throw new Fault(FAULTS.maxEnvelopeSize);
      let answer: string | Fault;
      switch (op) {
        case 'Identify':
          answer = identifyResponse();
          break;
        case 'Create':
          answer = envelope(ACTION.CreateResponse, info.messageId, create(env, info, owner), messageId);
          break;
        case 'Command':
          answer = envelope(ACTION.CommandResponse, info.messageId, command(env, info), messageId);
          break;
        case 'Send':
          answer = envelope(ACTION.SendResponse, info.messageId, send(env, info), messageId);
          break;
        case 'Receive': {
          const r = await receive(env, info, req);
          answer = typeof r === 'string' ? envelope(ACTION.ReceiveResponse, info.messageId, r, messageId) : r;
          break;
        }
        case 'Signal':
          answer = envelope(ACTION.SignalResponse, info.messageId, signal(info), messageId);
          break;
        case 'Delete':
          answer = envelope(ACTION.DeleteResponse, info.messageId, remove(info), messageId);
          break;
        case 'Disconnect':
          answer = envelope(ACTION.DisconnectResponse, info.messageId, disconnect(env, info), messageId);
          break;
        case 'Reconnect':
          answer = envelope(ACTION.ReconnectResponse, info.messageId, reconnect(info), messageId);
          break;
        case 'Connect':
          answer = envelope(ACTION.ConnectResponse, info.messageId, await connect(env, info), messageId);
          break;
        case 'Enumerate':
          answer = envelope(ACTION.EnumerateResponse, info.messageId, enumerate(env, info), messageId);
          break;
        case 'Get':
          answer = envelope(ACTION.GetResponse, info.messageId, get(info), messageId);
          break;
        default:
          answer = new Fault(FAULTS.actionNotSupported);
      }
      if (answer instanceof Fault) throw answer;
      body = answer;
    } catch (e) {
      const f = e instanceof Fault ? e : new Fault({ ...FAULTS.invalidParameter, reason: (e as Error).message });
      status = f.status;
      body = faultEnvelope(f.spec, info.messageId, messageId);
    }
    log.push({ operation: op, shellId: info.shellId, commandId: info.commandId, status, user });
    if (injected?.type === 'dropAfter') {
      req.socket.destroy();
      return;
    }
    if (req.socket.destroyed) return;
    recorder?.append({ operation: op, request: requestText, response: { status, body } });
    bytesOut += Buffer.byteLength(body);
    const out = gated.seal(status, body);
    res.writeHead(out.status, { ...out.headers, 'content-length': out.body.length }).end(out.body);
  }

  const gate = new AuthGate({
    users: options.users,
    schemes: options.auth ?? ['basic'],
    secure: options.tls !== undefined,
    certificate: options.tls?.cert,
    ...(options.channelBindingPolicy ? { channelBindingPolicy: options.channelBindingPolicy } : {}),
    ...(options.allowUnencrypted !== undefined ? { allowUnencrypted: options.allowUnencrypted } : {}),
  });
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String((e as Error)?.message ?? e));
    });
  };
  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener) : createServer(listener);
  server.keepAliveTimeout = 120_000;
  server.on('connection', (s: Socket) => {
    // Replies are written in one piece, but keep Nagle out of loopback latency anyway.
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  url = `${options.tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/wsman`;
  return {
    url,
    stats: {
      requests,
      get openShells() {
        return shells.size;
      },
      get idleDisconnects() {
        return idleDisconnects;
      },
      get expired() {
        return expired;
      },
      get bytesIn() {
        return bytesIn;
      },
      get bytesOut() {
        return bytesOut;
      },
    },
    log,
    faults,
    shells: () =>
      [...shells.values()].map((s) => ({ shellId: s.id, kind: s.kind, state: s.state, owner: s.owner, commands: [...s.commands.keys()] })),
    killShell: (shellId) => {
      const s = shells.get(shellId.toUpperCase());
      if (!s) return false;
      drop(s);
      return true;
    },
    close: async () => {
      closed = true;
      clearInterval(sweepTimer);
      for (const s of [...shells.values()]) drop(s);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      recorder?.close();
    },
  };
}
