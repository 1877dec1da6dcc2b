// The WS-Management operations of the local endpoint on its shells: Create,
// Command, Send, Receive, Signal, Disconnect, Reconnect, Connect, Enumerate,
// Get and Delete. Each takes the parsed request and returns the body of its
// answer, or throws a Fault. WinRS shells run their commands through the local
// shell (commands.ts); PowerShell shells run on a PowerShellEngine (scripted, or
// PowerShell's own in real-engine.ts). Receive is a real long-poll: it waits for
// output until the request's OperationTimeout, then answers with the timeout
// fault, as Windows does.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { attribute, childElement, childElements, escapeXmlText, textContent } from '../util/xml.js';
import { NS, POWERSHELL_RESOURCE_PREFIX, RESOURCE, SIGNAL } from '../wsman/namespaces.js';
import { parseDuration } from '../wsman/envelope.js';
import type { ParsedEnvelope } from '../wsman/response.js';
import { ScriptedEngine, type ScriptHandler } from './scripted-engine.js';
import { UsageError } from '../errors.js';
import { RealEngine } from './real-engine.js';
import type { RequestInfo } from './recording.js';
import { FAULTS, IN_USE_FAULT, alreadyExistsFault, commandResponseBody, configBody, createResponseBody, receiveResponseBody, shellXml, type OutStream, type ServiceConfigSettings } from './responses.js';
import { CONFIGURATION_NOT_FOUND_FAULT } from './service-config.js';
import { DEFAULT_OUTPUT_BUFFER_BYTES, clearOut, newOutbox, pushOut, runHandler, runProcess, takeOut, wake, type CmdHandler, type CommandState, type Outbox } from './commands.js';
import { Fault, type Shell, type ShellTable } from './shell-table.js';

/** The environment variable of a WinRS shell that names CredSSP's delegated user. */
export const DELEGATED_USER_VARIABLE = 'PSREMOTE_DELEGATED_USER';

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

/** The last ReceiveResponse body of a command (or a shell's own stream), and the SequenceId it answered. */
interface LastAnswer {
  readonly sequenceId: string;
  readonly body: string;
}

export class ShellOperations {
  /**
   * Robust connections (MS-WSMV 3.1.4.1.39, 3.1.4.14): the last answer per
   * output, so that a Receive sent again with the same SequenceId after its
   * answer was lost in flight gets that answer again instead of the output
   * being gone. Keyed by the outbox, so it goes when the command or shell does.
   */
  readonly #lastAnswer = new WeakMap<Outbox, LastAnswer>();

  constructor(
    readonly table: ShellTable,
    readonly options: ShellOperationsOptions,
  ) {}

  /** The engine of a configuration; a name the endpoint does not serve is not found, as on Windows. */
  #engineFor(name: string): string | readonly string[] | undefined {
    const extra = this.options.configurations;
    if (!extra || name.toLowerCase() === 'microsoft.powershell') return this.options.realEngine;
    const key = Object.keys(extra).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) throw new Fault(CONFIGURATION_NOT_FOUND_FAULT(name));
    return extra[key];
  }

  /** `delegatedUser`: CredSSP's delegated user, told to the shell (never the password). */
  create(env: ParsedEnvelope, info: RequestInfo, user: string, delegatedUser?: string): string {
    const { table, options } = this;
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
      ...(isPs ? { engine: realEngine ? new RealEngine(realEngine) : new ScriptedEngine({ handler: options.handler, senderInfo: { userName: user, ...(delegatedUser !== undefined ? { delegatedUser } : {}) } }) } : {}),
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
    return createResponseBody(options.url(), table.describe(shell), shell.kind);
  }

  command(env: ParsedEnvelope, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const cl = childElement(env.body, NS.shell, 'CommandLine');
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
    return commandResponseBody(id);
  }

  send(env: ParsedEnvelope, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const sendEl = childElement(env.body, NS.shell, 'Send');
    for (const st of sendEl ? childElements(sendEl, NS.shell, 'Stream') : []) {
      const data = Buffer.from(textContent(st).trim(), 'base64');
      const cid = attribute(st, 'CommandId');
      if (shell.engine) {
        if (data.length > 0) shell.engine.receive(data, { pipelineId: cid?.toLowerCase(), prompt: attribute(st, 'Name') === 'pr' });
      } else {
        const c = this.table.commandOf(shell, cid);
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

  /**
   * Holds a Send while what it feeds is backed up: the command's output is at its
   * limit (nobody receives) or its input is not being read (the child or the engine
   * is itself paused), so that input cannot pile up without bound either. True once
   * there is room; false when the Send's OperationTimeout passed first.
   */
  async roomToSend(env: ParsedEnvelope, info: RequestInfo, req: IncomingMessage): Promise<boolean> {
    const shell = this.table.shellOf(info);
    const limit = this.options.maxBufferedOutputBytes ?? DEFAULT_OUTPUT_BUFFER_BYTES;
    const sendEl = childElement(env.body, NS.shell, 'Send');
    const cids = (sendEl ? childElements(sendEl, NS.shell, 'Stream') : []).map((st) => attribute(st, 'CommandId')?.toUpperCase());
    const backed = () =>
      cids.some((cid) => {
        const c = cid ? shell.commands.get(cid) : undefined;
        const out = c?.out ?? shell.poolOut;
        const input = shell.engine ? (shell.engine.inputBacklog?.() ?? 0) : (c?.child?.stdin?.writableLength ?? 0);
        return out.bytes >= out.limit || input >= limit;
      });
    const opEl = env.header && childElement(env.header, NS.wsman, 'OperationTimeout');
    const until = Date.now() + Math.min((opEl && parseDuration(textContent(opEl))) || 60_000, this.options.maxOperationTimeoutMs);
    while (backed()) {
      if (Date.now() >= until || req.socket.destroyed || !this.table.has(shell.id)) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  async receive(env: ParsedEnvelope, info: RequestInfo, req: IncomingMessage): Promise<string | Fault> {
    const { table, options } = this;
    const shell = table.shellOf(info);
    // The cmd plugin has no shell-level output (test_winrs_fail_poll_process).
    if (shell.kind === 'cmd' && !info.commandId) throw new Fault({ ...FAULTS.invalidParameter, detail: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue' });
    // A PowerShell command released after its Done answer (issue 24): its emptied
    // outbox is kept among the shell's last few, so its last answer can be replayed.
    const released = info.commandId && shell.kind === 'powershell' ? shell.recentlyDone.get(info.commandId.toUpperCase()) : undefined;
    const cmd = info.commandId && !released ? table.commandOf(shell, info.commandId) : undefined;
    const out = released ?? cmd?.out ?? shell.poolOut;
    const receiveEl = childElement(env.body, NS.shell, 'Receive');
    const sequenceId = receiveEl ? attribute(receiveEl, 'SequenceId')?.trim() : undefined;
    const last = this.#lastAnswer.get(out);
    if (sequenceId !== undefined && last?.sequenceId === sequenceId) return last.body;
    if (released) return receiveResponseBody([], { commandId: info.commandId!.toUpperCase(), state: 'Done', exitCode: 0 });
    const answer = await this.#receiveOutput(shell, out, env, info, req);
    if (sequenceId !== undefined && typeof answer === 'string') this.#lastAnswer.set(out, { sequenceId, body: answer });
    // Windows releases a PowerShell command once its Done was received (clients
    // send no Signal after it); the endpoint forgets it as that answer goes out.
    if (cmd && shell.kind === 'powershell' && typeof answer === 'string' && out.done && out.chunks.length === 0) table.release(shell, cmd);
    return answer;
  }

  async #receiveOutput(shell: Shell, out: Outbox, env: ParsedEnvelope, info: RequestInfo, req: IncomingMessage): Promise<string | Fault> {
    const { table, options } = this;
    const header = env.header;
    const opEl = header && childElement(header, NS.wsman, 'OperationTimeout');
    const opMs = Math.min((opEl && parseDuration(textContent(opEl))) || 60_000, options.maxOperationTimeoutMs);
    if (out.chunks.length === 0 && !out.done) {
      shell.pendingReceives++;
      await new Promise<void>((resolve) => {
        // Every way out removes the others: a keep-alive socket carries many long polls,
        // and a 'close' listener left behind per poll would pile up on it.
        const done = () => {
          table.clock.clearTimeout(timer);
          req.socket.off('close', done);
          resolve();
        };
        const timer = table.clock.setTimeout(done, opMs);
        out.waiters.push(done);
        req.socket.once('close', done);
      });
      shell.pendingReceives--;
      shell.lastActivity = table.now();
      // A little more output often follows at once: let it join this answer.
      if (out.chunks.length > 0) await new Promise((r) => setImmediate(r));
    }
    if (req.socket.destroyed || table.closed) return new Fault(FAULTS.timedOut);
    if (out.chunks.length === 0 && !out.done) return new Fault(FAULTS.timedOut);
    const taken: OutStream[] = [];
    let bytes = 0;
    while (out.chunks.length > 0 && (taken.length === 0 || bytes + out.chunks[0]!.data.length <= options.maxReceiveBytes)) {
      const c = takeOut(out);
      taken.push(c);
      bytes += c.data.length;
    }
    shell.lastActivity = table.now();
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

  signal(info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    // Already released after its Done: nothing is left to stop or release.
    if (info.commandId && shell.recentlyDone.has(info.commandId.toUpperCase())) return '<rsp:SignalResponse/>';
    const cmd = this.table.commandOf(shell, info.commandId);
    const code = (info.signalCode ?? '').toLowerCase();
    if (shell.engine) {
      if (code === SIGNAL.psCtrlC) shell.engine.stop(cmd.id.toLowerCase());
      else {
        shell.engine.release?.(cmd.id.toLowerCase());
        this.table.release(shell, cmd); // its outbox is cleared: a full one no longer holds the engine
      }
    } else if (code === SIGNAL.terminate || code === SIGNAL.ctrlC || code === SIGNAL.ctrlBreak) {
      const finished = cmd.out.done && cmd.out.chunks.length === 0;
      if (!cmd.out.done) cmd.child?.kill(code === SIGNAL.terminate ? 'SIGKILL' : 'SIGINT');
      if (!cmd.out.done) cmd.abort?.abort();
      // terminate releases the command; so does ctrl_c after Done (pywinrm and pypsrp clean up that way).
      if (code === SIGNAL.terminate || finished) this.table.release(shell, cmd);
    }
    return '<rsp:SignalResponse/>';
  }

  // Disconnect-PSSession: the shell and its commands live on, output is buffered.
  disconnect(env: ParsedEnvelope, info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    const el = childElement(env.body, NS.shell, 'Disconnect');
    const idle = el && childElement(el, NS.shell, 'IdleTimeOut');
    const keep = idle ? parseDuration(textContent(idle)) : undefined;
    if (keep !== undefined) shell.keepDisconnectedMs = keep;
    shell.state = 'Disconnected';
    shell.disconnectedAt = this.table.now();
    wake(shell.poolOut); // the old client's pool Receive ends
    for (const c of shell.commands.values()) wake(c.out);
    return ''; // Windows answers with an empty body
  }

  reconnect(info: RequestInfo): string {
    const shell = this.table.shellOf(info);
    shell.state = 'Connected';
    delete shell.disconnectedAt;
    return ''; // Windows answers with an empty body
  }

  // Connect from another client: SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL in,
  // SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA back in connectResponseXml. The
  // real engine answers through its ExecuteConnect (real-engine.ts), then sends
  // APPLICATION_PRIVATE_DATA on the pool stream for the new client's Receive.
  async connect(env: ParsedEnvelope, info: RequestInfo): Promise<string> {
    const shell = this.table.shellOf(info);
    // A shell answers only under its own resource URI (a cmd shell, or another configuration, is not found).
    if (info.resourceUri?.toLowerCase() !== shell.resourceUri.toLowerCase()) throw new Fault(FAULTS.shellNotFound);
    if (!shell.engine) throw new Fault(FAULTS.actionNotSupported);
    const el = childElement(env.body, NS.shell, 'Connect');
    if (!el) throw new Fault(FAULTS.invalidParameter);
    const cid = attribute(el, 'CommandId') ?? attribute(el, 'CommandId', NS.shell);
    if (cid) {
      // A new client numbers its Receives afresh: an answer kept for the old one must not be replayed to it.
      this.#lastAnswer.delete(this.table.commandOf(shell, cid).out);
      return '<rsp:ConnectResponse/>';
    }
    const cx = childElement(el, NS.powershell, 'connectXml');
    if (!cx) throw new Fault(FAULTS.invalidParameter);
    if (shell.state === 'Connected') throw new Fault(IN_USE_FAULT);
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
    shell.state = 'Connected';
    delete shell.disconnectedAt;
    return (
      `<rsp:ConnectResponse><rsp:InputStreams>${escapeXmlText(shell.inputStreams)}</rsp:InputStreams><rsp:OutputStreams>${escapeXmlText(shell.outputStreams)}</rsp:OutputStreams>` +
      `<connectResponseXml xmlns="${NS.powershell}">${answer.toString('base64')}</connectResponseXml></rsp:ConnectResponse>`
    );
  }

  // Get-PSSession -ComputerName: shells, or one shell's commands with a ShellId selector filter.
  // `visible` says which shells the user may see (their own; an administrator's, all).
  enumerate(env: ParsedEnvelope, info: RequestInfo, visible: (s: Shell) => boolean = () => true): string {
    let items = '';
    if (info.resourceUri === RESOURCE.shell) {
      for (const s of [...this.table.all()].filter(visible)) items += shellXml(this.table.describe(s, true), s.kind);
    } else if (info.resourceUri === RESOURCE.shellCommand) {
      const en = childElement(env.body, NS.enumeration, 'Enumerate');
      const filter = en && childElement(en, NS.wsman, 'Filter');
      const set = filter && childElement(filter, NS.wsman, 'SelectorSet');
      const sel = set && childElements(set, NS.wsman, 'Selector').find((x) => attribute(x, 'Name') === 'ShellId');
      const found = sel ? this.table.find(textContent(sel).trim()) : undefined;
      const shell = found && visible(found) ? found : undefined;
      for (const c of shell ? shell.commands.values() : []) {
        items += `<rsp:Command xmlns:rsp="${NS.shell}"><rsp:CommandId>${escapeXmlText(c.id)}</rsp:CommandId></rsp:Command>`;
      }
    } else throw new Fault(FAULTS.actionNotSupported);
    // Windows leaves out Items when there are none.
    return `<n:EnumerateResponse xmlns:n="${NS.enumeration}"><n:EnumerationContext></n:EnumerationContext>${items ? `<w:Items>${items}</w:Items>` : ''}<w:EndOfSequence/></n:EnumerateResponse>`;
  }

  // WS-Transfer Get: the service configuration, or one shell (pypsrp's is_alive).
  get(info: RequestInfo): string {
    if (info.resourceUri === 'http://schemas.microsoft.com/wbem/wsman/1/config') return configBody(this.options.serviceConfig());
    if (info.shellId) {
      const s = this.table.shellOf(info);
      return shellXml(this.table.describe(s, true), s.kind);
    }
    throw new Fault(FAULTS.actionNotSupported);
  }

  delete(info: RequestInfo): string {
    this.table.drop(this.table.shellOf(info));
    return '';
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
