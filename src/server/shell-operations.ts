// The WS-Management operations of the local endpoint on its shells: Create,
// Command, Send, Receive, Signal, Disconnect, Reconnect, Connect, Enumerate,
// Get and Delete. Each takes the request as wsman/reader.ts read it, checks it
// against the shell's protocol state (the server shell core, wsman/server-shell.ts,
// which also builds the answer), and returns its answer, or throws a Fault. WinRS shells run their commands through the local
// shell (commands.ts); PowerShell shells run on a PowerShellEngine (scripted, or
// PowerShell's own in real-engine.ts). Receive is a real long-poll (long-poll.ts).

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { attribute, childElement, childElements, escapeXmlText, textContent } from '../util/xml.js';
import { NS, POWERSHELL_RESOURCE_PREFIX, RESOURCE, SIGNAL } from '../wsman/namespaces.js';
import { parseDuration } from '../wsman/envelope.js';
import type { ParsedEnvelope } from '../wsman/response.js';
import type { WSManMessage } from '../wsman/reader.js';
import { ServerEnumeration, ServerShell, type ServerRequest } from '../wsman/server-shell.js';
import type { OutStream as WireOut } from '../wsman/server-envelopes.js';
import { ScriptedEngine, type ScriptHandler } from './scripted-engine.js';
import { InvalidStateError, UsageError } from '../errors.js';
import { RealEngine } from './real-engine.js';
import type { DelegatedCredential } from '../auth/credssp/delegated.js';
import type { RequestInfo } from './recording.js';
import { FAULTS, IN_USE_FAULT, alreadyExistsFault, createResponseBody, type ServiceConfigSettings } from './responses.js';
import { CONFIGURATION_NOT_FOUND_FAULT } from './service-config.js';
import { DEFAULT_OUTPUT_BUFFER_BYTES, DELEGATED_USER_VARIABLE, shellProcessEnv, clearOut, newOutbox, pushOut, runHandler, runProcess, wake, type CmdHandler, type CommandState, type Outbox } from './commands.js';
import { Fault, sendStreamBytes, type Shell, type ShellTable } from './shell-table.js';
import { takeOutput, waitForRoom } from './long-poll.js';
import { enumerateShells, getResource } from './shell-listing.js';

/** The environment variable of a WinRS shell that names CredSSP's delegated user. */
export { DELEGATED_USER_VARIABLE };

export interface ShellOperationsOptions {
  /** The endpoint's URL (Create's ResourceCreated address); known once the server listens. */
  readonly url: () => string;
  /** Runs PowerShell pipelines on the scripted engine. */
  readonly handler: ScriptHandler;
  /** Command line of a PSRP server over OutOfProc: PowerShell shells run there instead. */
  readonly realEngine?: string | readonly string[] | undefined;
  /**
   * Session configurations besides the default one, by name (case-insensitive):
   * each the command line of its PSRP server. When given, other names are not found.
   */
  readonly configurations?: Readonly<Record<string, string | readonly string[]>> | undefined;
  /** The settings the WSMan config resource reports (Get of `…/wsman/1/config`). */
  readonly serviceConfig: () => ServiceConfigSettings;
  /** WinRS commands by name, run instead of the local shell. */
  readonly cmdCommands?: Readonly<Record<string, CmdHandler>> | undefined;
  /** Longest a Receive is held, whatever its OperationTimeout. */
  readonly maxOperationTimeoutMs: number;
  /** MaxEnvelopeSizekb, in bytes (reported by Get of the configuration). */
  readonly maxEnvelopeBytes: number;
  /** Largest raw output bytes in one ReceiveResponse. */
  readonly maxReceiveBytes: number;
  /** Output held per command (and per shell's own stream) before its producer is paused. */
  readonly maxBufferedOutputBytes?: number | undefined;
  /** A shell's engine failed; the shell is dropped right after. */
  readonly onEngineFailure: (shellId: string, reason: string) => void;
}

/** The last ReceiveResponse of a command (or a shell's own stream), and the SequenceId it answered. */
interface LastAnswer {
  readonly sequenceId: string;
  readonly streams: readonly WireOut[];
  readonly done: { readonly exitCode: number } | undefined;
}

export class ShellOperations {
  /**
   * Robust connections (MS-WSMV 3.1.4.1.39, 3.1.4.14): the last answer per
   * output, so that a Receive sent again with the same SequenceId after its
   * answer was lost in flight gets that answer again instead of the output
   * being gone. Keyed by the outbox, so it goes when the command or shell does.
   */
  readonly #lastAnswer = new WeakMap<Outbox, LastAnswer>();
  /** The protocol state of each shell (wsman/server-shell.ts): which request it takes now. */
  readonly #cores = new WeakMap<Shell, ServerShell>();
  readonly #enumeration = new ServerEnumeration({ newMessageId: randomUUID });

  constructor(
    readonly table: ShellTable,
    readonly options: ShellOperationsOptions,
  ) {}

  #core(shell: Shell): ServerShell {
    let core = this.#cores.get(shell);
    if (!core) {
      core = new ServerShell(shell.id, { newMessageId: randomUUID, state: { get: () => shell.state, set: (st) => void (st !== 'Deleted' && (shell.state = st)) } });
      this.#cores.set(shell, core);
    }
    return core;
  }

  /** The request checked against the shell's state; a refusal is answered as Windows would: an unknown command is not found. */
  #accept(shell: Shell, m: WSManMessage): ServerRequest {
    try {
      return this.#core(shell).accept(m);
    } catch (e) {
      if (!(e instanceof InvalidStateError)) throw e;
      if (e.currentState === 'unknown') throw new Fault(FAULTS.shellNotFound);
      throw new Fault({ ...FAULTS.invalidParameter, reason: `${e.message}. ` });
    }
  }

  #release(shell: Shell, cmd: CommandState): void {
    this.table.release(shell, cmd);
    this.#core(shell).release(cmd.id);
  }

  /** The engine of a configuration; a name the endpoint does not serve is not found, as on Windows. */
  #engineFor(name: string): string | readonly string[] | undefined {
    const extra = this.options.configurations;
    if (!extra || name.toLowerCase() === 'microsoft.powershell') return this.options.realEngine;
    const key = Object.keys(extra).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) throw new Fault(CONFIGURATION_NOT_FOUND_FAULT(name));
    return extra[key];
  }

  /** CredSSP: `delegatedUser` is told to every shell; `delegated` (with the password) to the scripted engine's handler only (docs/auth.md). */
  create(m: WSManMessage, info: RequestInfo, user: string, delegatedUser?: string, delegated?: DelegatedCredential): string {
    const { table, options } = this;
    const env = m.envelope;
    table.admitShell(user);
    const shellEl = childElement(env.body, NS.shell, 'Shell');
    if (!shellEl || !info.resourceUri) throw new Fault(FAULTS.invalidParameter);
    const isPs = info.resourceUri.startsWith(POWERSHELL_RESOURCE_PREFIX);
    if (!isPs && info.resourceUri.toLowerCase() !== RESOURCE.cmdShell.toLowerCase()) throw new Fault(FAULTS.actionNotSupported);
    const realEngine = isPs ? this.#engineFor(info.resourceUri.slice(POWERSHELL_RESOURCE_PREFIX.length)) : undefined;
    const id = clientId(attribute(shellEl, 'ShellId'), 'ShellId');
    if (table.has(id)) throw new Fault(alreadyExistsFault('ShellId'));
    const idle = childElement(shellEl, NS.shell, 'IdleTimeOut');
    const vars: Record<string, string> = Object.create(null) as Record<string, string>;
    const envEl = childElement(shellEl, NS.shell, 'Environment');
    for (const v of envEl ? childElements(envEl, NS.shell, 'Variable') : []) vars[attribute(v, 'Name') ?? ''] = textContent(v);
    // Set by the endpoint only: a client's own Environment cannot claim a delegation.
    delete vars[DELEGATED_USER_VARIABLE];
    if (delegatedUser !== undefined) vars[DELEGATED_USER_VARIABLE] = delegatedUser;
    const wd = childElement(shellEl, NS.shell, 'WorkingDirectory');
    // Checked before an engine starts: a refused Create must not leave a process behind.
    const cx = isPs ? childElement(shellEl, NS.powershell, 'creationXml') : undefined;
    if (isPs && !cx) throw new Fault(FAULTS.invalidParameter);
    const shell: Shell = {
      id,
      resourceUri: info.resourceUri,
      kind: isPs ? 'powershell' : 'cmd',
      created: table.now(),
      lastActivity: table.now(),
      idleTimeoutMs: (idle && parseDuration(textContent(idle))) || 7_200_000,
      poolOut: newOutbox(options.maxBufferedOutputBytes),
      commands: new Map(),
      ...(isPs ? { engine: realEngine ? new RealEngine(realEngine, { env: shellProcessEnv(delegatedUser !== undefined ? { [DELEGATED_USER_VARIABLE]: delegatedUser } : {}) }) : new ScriptedEngine({ handler: options.handler, senderInfo: { userName: user, ...(delegatedUser !== undefined ? { delegatedUser } : {}), ...(delegated ? { delegatedCredential: delegated } : {}) } }) } : {}),
      cwd: wd ? textContent(wd).trim() : undefined,
      env: vars,
      pendingReceives: 0,
      state: 'Connected',
      owner: user,
      commandsRun: 0,
      recentlyDone: new Map(),
      inputStreams: textContent(childElement(shellEl, NS.shell, 'InputStreams') ?? shellEl).trim() || 'stdin',
      outputStreams: textContent(childElement(shellEl, NS.shell, 'OutputStreams') ?? shellEl).trim() || 'stdout stderr',
    };
    if (shell.engine) {
      const engine = shell.engine;
      engineFlow(shell, shell.poolOut);
      engine.onPayload = (p) => {
        const target = p.pipelineId ? shell.commands.get(p.pipelineId.toUpperCase())?.out : shell.poolOut;
        if (!target) return;
        pushOut(target, { name: 'stdout', ...(p.pipelineId ? { commandId: p.pipelineId.toUpperCase() } : {}), data: p.data });
      };
      engine.onFailure = (reason) => {
        options.onEngineFailure(shell.id, reason);
        table.drop(shell);
      };
      engine.onPipelineDone = (pid) => {
        const c = shell.commands.get(pid.toUpperCase());
        if (c) {
          c.out.done = true;
          wake(c.out);
        }
      };
      engine.receive(Buffer.from(textContent(cx!).trim(), 'base64'));
    }
    table.add(shell);
    this.#core(shell);
    return createResponseBody(options.url(), table.describe(shell), shell.kind);
  }

  command(m: WSManMessage, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const req = this.#accept(shell, m) as ServerRequest & { operation: 'Command' };
    const cl = childElement(m.envelope.body, NS.shell, 'CommandLine');
    if (!cl) throw new Fault(FAULTS.invalidParameter);
    const id = clientId(attribute(cl, 'CommandId'), 'CommandId');
    if (shell.commands.has(id)) throw new Fault(alreadyExistsFault('CommandId'));
    this.table.admitCommand(shell);
    const cmd: CommandState = { id, out: newOutbox(this.options.maxBufferedOutputBytes) };
    if (shell.engine) engineFlow(shell, cmd.out);
    shell.commands.set(id, cmd);
    shell.recentlyDone.delete(id); // the id names this new command now
    const args = childElements(cl, NS.shell, 'Arguments').map((a) => textContent(a));
    if (shell.engine) {
      for (const [i, a] of args.entries()) shell.engine.receive(Buffer.from(a.trim(), 'base64'), { pipelineId: id.toLowerCase(), create: i === 0 });
    } else {
      const text = textContent(childElement(cl, NS.shell, 'Command') ?? cl).trim();
      const cmdCommands = this.options.cmdCommands;
      const own = cmdCommands && Object.entries(cmdCommands).find(([n]) => n.toLowerCase() === text.toLowerCase());
      if (own) runHandler(cmd, own[1], text, args);
      else runProcess(cmd, [text, ...args].join(' '), shell.cwd, shell.env);
    }
    return this.#core(shell).commandStarted(req, id);
  }

  send(m: WSManMessage, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const req = this.#accept(shell, m) as ServerRequest & { operation: 'Send' };
    // All decoded before any is delivered, so a bad stream faults the whole Send.
    const decoded = req.streams.map((st) => ({ st, data: sendStreamBytes(st) }));
    for (const { st, data } of decoded) {
      const cid = st.commandId;
      if (shell.engine) {
        if (data.length > 0) shell.engine.receive(data, { pipelineId: cid?.toLowerCase(), prompt: st.name === 'pr' });
      } else {
        const c = this.table.commandOf(shell, cid);
        const end = st.end;
        if (c.stdin) {
          if (data.length > 0) c.stdin.push(data);
          if (end) c.stdin.end();
        } else {
          if (data.length > 0) c.child?.stdin?.write(data);
          if (end) c.child?.stdin?.end();
        }
      }
    }
    return this.#core(shell).answer(req);
  }

  /** Holds a Send while what it feeds is backed up (long-poll.ts); false when its OperationTimeout passed first. */
  roomToSend(env: ParsedEnvelope, info: RequestInfo, req: IncomingMessage): Promise<boolean> {
    const { maxBufferedOutputBytes, maxOperationTimeoutMs } = this.options;
    return waitForRoom(this.table, this.table.shellOf(info), env, req, { limit: maxBufferedOutputBytes ?? DEFAULT_OUTPUT_BUFFER_BYTES, maxOperationTimeoutMs });
  }

  async receive(m: WSManMessage, info: RequestInfo, req: IncomingMessage): Promise<string | Fault> {
    const { table } = this;
    const env = m.envelope;
    const shell = table.shellOf(info);
    // The cmd plugin has no shell-level output (test_winrs_fail_poll_process).
    if (shell.kind === 'cmd' && !info.commandId) throw new Fault({ ...FAULTS.invalidParameter, detail: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue' });
    // A PowerShell command released after its Done answer (issue 24): its emptied
    // outbox is kept among the shell's last few, so its last answer can be replayed.
    const released = info.commandId && shell.kind === 'powershell' ? shell.recentlyDone.get(info.commandId.toUpperCase()) : undefined;
    const core = this.#core(shell);
    // Released already: answered Done again without a state check, as Windows does.
    const r: ServerRequest & { operation: 'Receive' } = released ? { operation: 'Receive', message: m, commandId: m.commandId, sequenceId: m.sequenceId } : (this.#accept(shell, m) as ServerRequest & { operation: 'Receive' });
    const cmd = info.commandId && !released ? table.commandOf(shell, info.commandId) : undefined;
    const out = released ?? cmd?.out ?? shell.poolOut;
    const sequenceId = r.sequenceId;
    const last = this.#lastAnswer.get(out);
    if (sequenceId !== undefined && last?.sequenceId === sequenceId) return core.received(r, last.streams, last.done);
    if (released) return core.received(r, [], { exitCode: 0 });
    const answer = await takeOutput(table, shell, out, env, info.commandId, req, this.options);
    if (answer instanceof Fault) return answer;
    if (sequenceId !== undefined) this.#lastAnswer.set(out, { sequenceId, ...answer });
    const xml = core.received(r, answer.streams, answer.done);
    // Windows releases a PowerShell command once its Done was received (clients
    // send no Signal after it); the endpoint forgets it as that answer goes out.
    if (cmd && shell.kind === 'powershell' && out.done && out.chunks.length === 0) this.#release(shell, cmd);
    return xml;
  }

  signal(m: WSManMessage, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const core = this.#core(shell);
    // Already released after its Done: nothing is left to stop or release.
    if (info.commandId && shell.recentlyDone.has(info.commandId.toUpperCase())) return core.answer({ operation: 'Signal', message: m, commandId: info.commandId, code: info.signalCode ?? '' });
    const req = this.#accept(shell, m) as ServerRequest & { operation: 'Signal' };
    const cmd = this.table.commandOf(shell, info.commandId);
    const code = (info.signalCode ?? '').toLowerCase();
    if (shell.engine) {
      if (code === SIGNAL.psCtrlC) shell.engine.stop(cmd.id.toLowerCase());
      else {
        shell.engine.release?.(cmd.id.toLowerCase());
        this.#release(shell, cmd); // its outbox is cleared: a full one no longer holds the engine
      }
    } else if (code === SIGNAL.terminate || code === SIGNAL.ctrlC || code === SIGNAL.ctrlBreak) {
      const finished = cmd.out.done && cmd.out.chunks.length === 0;
      if (!cmd.out.done) cmd.child?.kill(code === SIGNAL.terminate ? 'SIGKILL' : 'SIGINT');
      if (!cmd.out.done) cmd.abort?.abort();
      // terminate releases the command; so does ctrl_c after Done (pywinrm and pypsrp clean up that way).
      if (code === SIGNAL.terminate || finished) this.#release(shell, cmd);
    }
    return core.answer(req);
  }

  // Disconnect-PSSession: the shell and its commands live on, output is buffered.
  disconnect(m: WSManMessage, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const req = this.#accept(shell, m) as ServerRequest & { operation: 'Disconnect' };
    const el = childElement(m.envelope.body, NS.shell, 'Disconnect');
    const idle = el && childElement(el, NS.shell, 'IdleTimeOut');
    const keep = idle ? parseDuration(textContent(idle)) : undefined;
    if (keep !== undefined) shell.keepDisconnectedMs = keep;
    const answer = this.#core(shell).answer(req); // Windows answers with an empty body
    shell.disconnectedAt = this.table.now();
    wake(shell.poolOut); // the old client's pool Receive ends
    for (const c of shell.commands.values()) wake(c.out);
    return answer;
  }

  reconnect(m: WSManMessage, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const req = this.#accept(shell, m) as ServerRequest & { operation: 'Reconnect' };
    delete shell.disconnectedAt;
    return this.#core(shell).answer(req); // Windows answers with an empty body
  }

  // Connect from another client: SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL in,
  // SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA back in connectResponseXml. The
  // real engine answers through its ExecuteConnect (real-engine.ts), then sends
  // APPLICATION_PRIVATE_DATA on the pool stream for the new client's Receive.
  async connect(m: WSManMessage, info: RequestInfo): Promise<string> {
    const env = m.envelope;
    const shell = this.table.peek(info);
    // A shell answers only under its own resource URI (a cmd shell, or another configuration, is not found).
    if (info.resourceUri?.toLowerCase() !== shell.resourceUri.toLowerCase()) throw new Fault(FAULTS.shellNotFound);
    if (!shell.engine) throw new Fault(FAULTS.actionNotSupported);
    const el = childElement(env.body, NS.shell, 'Connect');
    if (!el) throw new Fault(FAULTS.invalidParameter);
    const cid = attribute(el, 'CommandId') ?? attribute(el, 'CommandId', NS.shell);
    // Refused, not activity: counted, a successor's retries would keep a vanished client's shell Connected for ever.
    if (!cid && shell.state === 'Connected') throw new Fault(IN_USE_FAULT);
    this.table.shellOf(info);
    if (cid) {
      // A new client numbers its Receives afresh: an answer kept for the old one must not be replayed to it.
      this.#lastAnswer.delete(this.table.commandOf(shell, cid).out);
      return this.#core(shell).answer(this.#accept(shell, m) as ServerRequest & { operation: 'Connect' }, '<rsp:ConnectResponse/>');
    }
    const cx = childElement(el, NS.powershell, 'connectXml');
    if (!cx) throw new Fault(FAULTS.invalidParameter);
    const connectXml = Buffer.from(textContent(cx).trim(), 'base64');
    clearOut(shell.poolOut); // what was queued belonged to the previous client
    this.#lastAnswer.delete(shell.poolOut);
    let answer: Buffer;
    if (shell.engine instanceof RealEngine) {
      const reply = await shell.engine.connect(connectXml).catch((e: unknown) => {
        const reason = `psremote serve: ${(e as Error).message}`;
        throw new Fault(e instanceof UsageError ? { ...FAULTS.actionNotSupported, reason } : { ...FAULTS.invalidParameter, reason, message: reason });
      });
      if (!this.table.has(shell.id)) throw new Fault(FAULTS.shellNotFound);
      answer = Buffer.from(reply);
    } else {
      shell.engine.receive(connectXml);
      answer = Buffer.concat(clearOut(shell.poolOut).map((c) => Buffer.from(c.data)));
    }
    delete shell.disconnectedAt;
    return this.#core(shell).answer(
      this.#accept(shell, m) as ServerRequest & { operation: 'Connect' },
      `<rsp:ConnectResponse><rsp:InputStreams>${escapeXmlText(shell.inputStreams)}</rsp:InputStreams><rsp:OutputStreams>${escapeXmlText(shell.outputStreams)}</rsp:OutputStreams>` +
      `<connectResponseXml xmlns="${NS.powershell}">${answer.toString('base64')}</connectResponseXml></rsp:ConnectResponse>`
    );
  }

  // Get-PSSession -ComputerName (shell-listing.ts); `visible` says which shells the user may see.
  // All at once, with EndOfSequence, as Windows answers (ServerEnumeration leaves out Items when there are none, as Windows does).
  enumerate(m: WSManMessage, info: RequestInfo, visible: (s: Shell) => boolean = () => true): string {
    return this.#enumeration.enumerate(m, enumerateShells(this.table, m.envelope, info, visible));
  }

  // WS-Transfer Get: the service configuration, or one shell (pypsrp's is_alive).
  get(info: RequestInfo): string {
    return getResource(this.table, info, this.options.serviceConfig);
  }

  delete(m: WSManMessage, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const req = this.#accept(shell, m) as ServerRequest & { operation: 'Delete' };
    this.table.drop(shell);
    return this.#core(shell).answer(req);
  }
}

// One engine feeds all of a shell's outboxes: it is paused while any is full.
function engineFlow(shell: Shell, out: Outbox): void {
  const engine = shell.engine!;
  out.onFull = () => engine.pause?.();
  out.onRoom = () => {
    const full = (o: Outbox) => o.bytes >= o.limit;
    if (!full(shell.poolOut) && ![...shell.commands.values()].some((c) => full(c.out))) engine.resume?.();
  };
}

// Ids a client may choose (PSRP's runspace pool and pipeline ids, pypsrp's
// CommandId): GUIDs only, so that nothing else is ever stored or echoed.
const GUID = /^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$/;
function clientId(given: string | undefined, what: 'ShellId' | 'CommandId'): string {
  if (given === undefined) return randomUUID().toUpperCase();
  const m = GUID.exec(given.trim());
  if (!m) throw new Fault({ ...FAULTS.invalidParameter, reason: `The parameter is incorrect. The ${what} must be a GUID. ` });
  return m[1]!.toUpperCase();
}
