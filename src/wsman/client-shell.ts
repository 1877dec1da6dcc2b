// The client side of a WS-Management shell, without I/O (as psrp/pool-core.ts
// and transport/outofproc/channel.ts are built): asked for the next request, it
// checks the action against the shell and command states (shell-states.ts) and
// returns the envelope to post; fed the envelope that answered it (read by
// reader.ts), it moves the states on and returns typed events. The rules that
// were spread over the WinRS client and the carrier live here:
//  - Command, Send and Receive only on a connected shell; Signal and Delete also
//    on a disconnected one; Connect takes over a shell someone else created;
//  - stdin takes Sends until one with End; at most one Receive per command (and
//    one for the shell's own stream) is outstanding;
//  - a Receive answered with CommandState Done ends the command's output; a
//    Signal terminate releases it; a timed-out Receive is an event, not an error;
//  - after the shell's Reconnect, a command still running is reconnected by its
//    own Reconnect, and Connect with a CommandId takes up a command left running
//    (Receive-PSSession); both need the shell Connected again;
//  - AlreadyExists for a ShellId or CommandId the client chose means its own
//    earlier request got there (a retry after a lost answer): it is the answer;
//    ShellNotFound for a Delete means the shell is gone already: it is deleted;
//  - every answer must relate to the request it answers (RelatesTo), and a fault
//    puts the state back as it was before the request, then is thrown.
// The caller owns the wire, the clock and any retry policy.

import { InvalidStateError, RemoteProtocolError } from '../errors.js';
import { assertNever } from '../psrp/events.js';
import { build, type BufferMode, type CommandLineBody, type ShellBody, type ShellRequest, type StreamData, type WSManOption } from './envelope.js';
import { SIGNAL } from './namespaces.js';
import { checkRelatesTo, faultError, streamBytes, type WSManMessage } from './reader.js';
import { parseCommandResponse, parseConnectResponse, parseCreateResponse, type ShellInfo } from './response.js';
import { COMMAND_STARTED, type CommandStatus, guardCommand, guardCommandShell, guardShell, SHELL_LOST, type ShellAction, type ShellState } from './shell-states.js';

/** A request the core built: post `xml`, then feed its answer to `handle` with this object. */
export type OutgoingRequest =
  | { readonly operation: 'Delete' | 'Disconnect'; readonly messageId: string; readonly xml: string }
  /** `shellId`: the one the client chose, if it did. */
  | { readonly operation: 'Create'; readonly messageId: string; readonly xml: string; readonly shellId: string | undefined }
  /** `commandId`: the one the client chose, if it did. */
  | { readonly operation: 'Command'; readonly messageId: string; readonly xml: string; readonly commandId: string | undefined }
  /** With a `commandId`, a command's Reconnect or Connect; without, the shell's. */
  | { readonly operation: 'Reconnect' | 'Connect'; readonly messageId: string; readonly xml: string; readonly commandId: string | undefined }
  /** No `commandId`: input for the shell itself (PowerShell: the runspace pool). */
  /** `xml` as UTF-8 bytes: a Send's streams are written as base64 straight into them (no string of a 2 MB envelope). */
  | { readonly operation: 'Send'; readonly messageId: string; readonly xml: Uint8Array; readonly commandId: string | undefined; readonly end: boolean }
  | { readonly operation: 'Receive'; readonly messageId: string; readonly xml: string; readonly commandId: string | undefined }
  | { readonly operation: 'Signal'; readonly messageId: string; readonly xml: string; readonly commandId: string; readonly code: string };

export type ClientShellEvent =
  | { readonly type: 'Created'; readonly shell: ShellInfo }
  | { readonly type: 'CommandStarted'; readonly commandId: string }
  | { readonly type: 'InputAccepted'; readonly commandId: string | undefined; readonly end: boolean }
  | { readonly type: 'Output'; readonly commandId: string | undefined; readonly stream: string; readonly data: Buffer; readonly end: boolean }
  /** A CommandState other than Done (Running, Pending). */
  | { readonly type: 'CommandState'; readonly commandId: string; readonly state: string }
  | { readonly type: 'CommandDone'; readonly commandId: string; readonly exitCode: number }
  | { readonly type: 'ReceiveTimedOut'; readonly commandId: string | undefined }
  | { readonly type: 'Signalled'; readonly commandId: string; readonly code: string }
  | { readonly type: 'Disconnected' }
  | { readonly type: 'Reconnected' }
  | { readonly type: 'Connected'; readonly connectResponseXml: Buffer | undefined }
  | { readonly type: 'CommandReconnected'; readonly commandId: string }
  | { readonly type: 'CommandConnected'; readonly commandId: string }
  /** `gone`: the server no longer had the shell (ShellNotFound): deleted all the same. */
  | { readonly type: 'Deleted'; readonly gone?: true };

/** The event of this type among an answer's (the core returns exactly one for Create, Command and Connect). */
export function eventOf<T extends ClientShellEvent['type']>(events: readonly ClientShellEvent[], type: T): Extract<ClientShellEvent, { type: T }> {
  const e = events.find((x): x is Extract<ClientShellEvent, { type: T }> => x.type === type);
  if (!e) throw new RemoteProtocolError('PSR_WSMAN_INVALID', `no ${type} in the answer`);
  return e;
}

export interface ClientShellOptions {
  readonly resourceUri: string;
  /** Common headers of the next request (a fresh MessageID each time): the client's, injected. */
  readonly request: (operationTimeoutMs?: number) => ShellRequest;
  /** The shell to connect to (Connect), when this client did not create it. */
  readonly shellId?: string;
  /** The shell `shellId` was created already (by this client, earlier): Connected from the start. */
  readonly created?: boolean;
}

const SHELL_STREAM = '';

export class ClientShell {
  readonly resourceUri: string;
  readonly #request: ClientShellOptions['request'];
  #state: ShellState = 'BeforeCreate';
  #shellId: string | undefined;
  /** The state a request in flight moved the shell from: restored if it is refused. */
  #before: ShellState | undefined;
  readonly #commands = new Map<string, CommandStatus>();
  readonly #outstanding = new Map<string, OutgoingRequest>();
  /** Keys of commands (SHELL_STREAM for the shell's own stream) with a Receive on the wire. */
  readonly #receiving = new Set<string>();

  constructor(options: ClientShellOptions) {
    this.resourceUri = options.resourceUri;
    this.#request = options.request;
    this.#shellId = options.shellId;
    if (options.created && options.shellId !== undefined) this.#state = 'Connected';
  }

  get state(): ShellState {
    return this.#state;
  }
  get shellId(): string | undefined {
    return this.#shellId;
  }
  /** A command's state; undefined once released (or never known). */
  command(commandId: string): CommandStatus | undefined {
    return this.#commands.get(commandId.toUpperCase());
  }
  /** Requests on the wire, not yet answered. */
  get outstanding(): number {
    return this.#outstanding.size;
  }

  #shell(action: ShellAction): string {
    const t = guardShell(action, this.#state, this.#shellId ? `shell ${this.#shellId}` : 'the shell');
    if (this.#shellId === undefined && action !== 'Create') throw new InvalidStateError(`${action} the shell`, 'no ShellId', ['a ShellId from Create or given to Connect']);
    if (t.during) {
      this.#before = this.#state;
      this.#state = t.during;
    }
    return this.#shellId ?? '';
  }

  #out<R extends OutgoingRequest>(r: R): R {
    this.#outstanding.set(r.messageId.toUpperCase(), r);
    return r;
  }

  create(body: ShellBody = {}, options: readonly WSManOption[] = []): OutgoingRequest {
    this.#shell('Create');
    const r = this.#request();
    return this.#out({ operation: 'Create', messageId: r.messageId, xml: build.create({ ...r, resourceUri: this.resourceUri }, body, options), shellId: body.shellId });
  }

  startCommand(body: CommandLineBody, options: readonly WSManOption[] = []): OutgoingRequest {
    const id = this.#shell('Command');
    const r = this.#request();
    const xml = build.command({ ...r, resourceUri: this.resourceUri }, id, body, options);
    return this.#out({ operation: 'Command', messageId: r.messageId, xml, commandId: body.commandId });
  }

  /** Input for a command (or, no commandId, for the shell itself); `end` on the last stream closes the command's stdin. */
  send(commandId: string | undefined, streams: readonly Omit<StreamData, 'commandId'>[]): OutgoingRequest {
    const id = this.#shell('Send');
    const end = streams.some((s) => s.end === true);
    if (commandId !== undefined) {
      const key = commandId.toUpperCase();
      const c = this.#commands.get(key);
      guardCommand('Send', commandId, c);
      if (end) this.#commands.set(key, { ...c!, input: 'Ended' });
    }
    const r = this.#request();
    const xml = build.sendBytes({ ...r, resourceUri: this.resourceUri }, id, streams.map((s) => (commandId === undefined ? s : { ...s, commandId })));
    return this.#out({ operation: 'Send', messageId: r.messageId, xml, commandId, end });
  }

  /** A Receive long-poll for a command's output, or (no commandId) the shell's own stream. */
  receive(commandId: string | undefined, o: { streams?: string; keepAlive?: boolean; sequenceId?: number; operationTimeoutMs?: number } = {}): OutgoingRequest {
    const id = this.#shell('Receive');
    const key = commandId?.toUpperCase() ?? SHELL_STREAM;
    if (commandId !== undefined) {
      const c = this.#commands.get(key);
      guardCommand('Receive', commandId, c);
      this.#commands.set(key, { ...c!, receive: 'Outstanding' });
    } else if (this.#receiving.has(SHELL_STREAM)) {
      throw new InvalidStateError('Receive the shell stream', 'Receive Outstanding', ['Receive Idle']);
    }
    this.#receiving.add(key);
    const r = this.#request(o.operationTimeoutMs);
    const xml = build.receive({ ...r, resourceUri: this.resourceUri }, id, {
      ...(commandId !== undefined ? { commandId } : {}),
      ...(o.streams ? { streams: o.streams } : {}),
      ...(o.keepAlive !== undefined ? { keepAlive: o.keepAlive } : {}),
      ...(o.sequenceId !== undefined ? { sequenceId: o.sequenceId } : {}),
    });
    return this.#out({ operation: 'Receive', messageId: r.messageId, xml, commandId });
  }

  signal(commandId: string, code: string): OutgoingRequest {
    const id = this.#shell('Signal');
    guardCommand('Signal', commandId, this.#commands.get(commandId.toUpperCase()));
    const r = this.#request();
    return this.#out({ operation: 'Signal', messageId: r.messageId, xml: build.signal({ ...r, resourceUri: this.resourceUri }, id, code, commandId), commandId, code });
  }

  delete(): OutgoingRequest {
    const id = this.#shell('Delete');
    const r = this.#request();
    return this.#out({ operation: 'Delete', messageId: r.messageId, xml: build.delete({ ...r, resourceUri: this.resourceUri }, id) });
  }

  disconnect(o: { bufferMode?: BufferMode; idleTimeoutMs?: number } = {}): OutgoingRequest {
    const id = this.#shell('Disconnect');
    const r = this.#request();
    return this.#out({ operation: 'Disconnect', messageId: r.messageId, xml: build.disconnect({ ...r, resourceUri: this.resourceUri }, id, o) });
  }

  reconnect(): OutgoingRequest {
    const id = this.#shell('Reconnect');
    const r = this.#request();
    return this.#out({ operation: 'Reconnect', messageId: r.messageId, xml: build.reconnect({ ...r, resourceUri: this.resourceUri }, id), commandId: undefined });
  }

  connect(o: { connectXml?: Uint8Array; protocolVersion?: string } = {}): OutgoingRequest {
    const id = this.#shell('Connect');
    const r = this.#request();
    return this.#out({ operation: 'Connect', messageId: r.messageId, xml: build.connect({ ...r, resourceUri: this.resourceUri }, id, o), commandId: undefined });
  }

  /** A command's Reconnect, once its shell was reconnected: the command was running and is received from next. */
  reconnectCommand(commandId: string): OutgoingRequest {
    const id = this.#commandOfShell('Reconnect', commandId);
    const r = this.#request();
    return this.#out({ operation: 'Reconnect', messageId: r.messageId, xml: build.reconnect({ ...r, resourceUri: this.resourceUri }, id, commandId), commandId });
  }

  /** A command's Connect (Receive-PSSession): takes up a command left running, known here or not. */
  connectCommand(commandId: string): OutgoingRequest {
    const id = this.#commandOfShell('Connect', commandId);
    const r = this.#request();
    return this.#out({ operation: 'Connect', messageId: r.messageId, xml: build.connect({ ...r, resourceUri: this.resourceUri }, id, { commandId }), commandId });
  }

  #commandOfShell(action: 'Reconnect' | 'Connect', commandId: string): string {
    const what = this.#shellId ? `shell ${this.#shellId}` : 'the shell';
    guardCommandShell(action, this.#state, what);
    guardCommand(action, commandId, this.#commands.get(commandId.toUpperCase()));
    return this.#shellId!;
  }

  /**
   * The answer to `req`, read by reader.ts. Returns what it means; throws the
   * WSManFaultError of a fault (a timed-out Receive excepted) after putting the
   * states back, and a RemoteProtocolError for an answer to another request.
   */
  handle(req: OutgoingRequest, m: WSManMessage, context: { host?: string; httpStatus?: number } = {}): ClientShellEvent[] {
    const ctx = { operation: req.operation, ...context };
    if (!this.#outstanding.delete(req.messageId.toUpperCase())) {
      throw new RemoteProtocolError('PSR_WSMAN_INVALID', `an answer to ${req.operation} ${req.messageId}, which is not outstanding`);
    }
    checkRelatesTo(m.envelope, req.messageId, ctx);
    const fault = m.envelope.fault;
    if (fault) {
      if (req.operation === 'Receive' && fault.kind === 'OperationTimeout') {
        this.#receiveOver(req.commandId);
        return [{ type: 'ReceiveTimedOut', commandId: req.commandId }];
      }
      const ours = this.#oursAlready(req, fault.kind);
      if (ours) return ours;
      this.#refused(req);
      throw faultError(fault, ctx);
    }
    return this.#answered(req, m, ctx);
  }

  /** A fault that means the request had its effect already (see the rules above), as the events of its answer. */
  #oursAlready(req: OutgoingRequest, kind: string): ClientShellEvent[] | undefined {
    if (req.operation === 'Create' && req.shellId !== undefined && kind === 'AlreadyExists') return this.#created({ shellId: req.shellId });
    if (req.operation === 'Command' && req.commandId !== undefined && kind === 'AlreadyExists') return this.#commandStarted(req.commandId);
    if (req.operation === 'Delete' && (kind === 'ShellNotFound' || kind === 'InvalidSelectors')) {
      this.#deleted();
      return [{ type: 'Deleted', gone: true }];
    }
    return undefined;
  }

  #created(shell: ShellInfo): ClientShellEvent[] {
    this.#shellId = shell.shellId || this.#shellId;
    this.#state = 'Connected';
    this.#before = undefined;
    return [{ type: 'Created', shell }];
  }

  #commandStarted(commandId: string): ClientShellEvent[] {
    this.#commands.set(commandId.toUpperCase(), COMMAND_STARTED);
    return [{ type: 'CommandStarted', commandId }];
  }

  #deleted(): ClientShellEvent[] {
    this.#state = 'Deleted';
    this.#before = undefined;
    this.#commands.clear();
    return [{ type: 'Deleted' }];
  }

  #answered(req: OutgoingRequest, m: WSManMessage, ctx: { operation: string; host?: string }): ClientShellEvent[] {
    const env = m.envelope;
    switch (req.operation) {
      case 'Create':
        return this.#created(parseCreateResponse(env, ctx));
      case 'Command':
        return this.#commandStarted(parseCommandResponse(env, ctx));
      case 'Send':
        return [{ type: 'InputAccepted', commandId: req.commandId, end: req.end }];
      case 'Receive':
        return this.#received(req.commandId, m, ctx);
      case 'Signal': {
        const key = req.commandId.toUpperCase();
        if (req.code.toLowerCase() === SIGNAL.terminate) this.#commands.delete(key);
        return [{ type: 'Signalled', commandId: req.commandId, code: req.code }];
      }
      case 'Delete':
        return this.#deleted();
      case 'Disconnect':
        this.#state = 'Disconnected';
        return [{ type: 'Disconnected' }];
      case 'Reconnect':
        if (req.commandId !== undefined) return [{ type: 'CommandReconnected', commandId: req.commandId }];
        this.#state = 'Connected';
        return [{ type: 'Reconnected' }];
      case 'Connect': {
        if (req.commandId === undefined) {
          this.#state = 'Connected';
          return [{ type: 'Connected', connectResponseXml: parseConnectResponse(env, ctx) }];
        }
        parseConnectResponse(env, ctx);
        const key = req.commandId.toUpperCase();
        if (!this.#commands.has(key)) this.#commands.set(key, COMMAND_STARTED);
        return [{ type: 'CommandConnected', commandId: req.commandId }];
      }
      default:
        return assertNever(req, 'request');
    }
  }

  #received(commandId: string | undefined, m: WSManMessage, ctx: { operation: string; host?: string }): ClientShellEvent[] {
    this.#receiveOver(commandId);
    if (!m.envelope.body || m.operation !== 'Receive') throw new RemoteProtocolError('PSR_WSMAN_INVALID', `the answer to a Receive is ${m.operation ?? 'no known response'}`);
    const events: ClientShellEvent[] = [];
    for (const s of m.streams) {
      // Output of another command is not this Receive's (servers do not send it; ignored if one does).
      if (commandId !== undefined && s.commandId !== undefined && s.commandId.toUpperCase() !== commandId.toUpperCase()) continue;
      events.push({ type: 'Output', commandId: s.commandId ?? commandId, stream: s.name, data: streamBytes(s, ctx), end: s.end });
    }
    const cs = m.commandState;
    const id = cs?.commandId ?? commandId;
    if (cs && id !== undefined) {
      const key = id.toUpperCase();
      if (cs.state === 'Done') {
        const c = this.#commands.get(key);
        if (c) this.#commands.set(key, { ...c, phase: 'Done' });
        events.push({ type: 'CommandDone', commandId: id, exitCode: cs.exitCode ?? 0 });
      } else events.push({ type: 'CommandState', commandId: id, state: cs.state });
    }
    return events;
  }

  #receiveOver(commandId: string | undefined): void {
    const key = commandId?.toUpperCase() ?? SHELL_STREAM;
    this.#receiving.delete(key);
    const c = commandId !== undefined ? this.#commands.get(key) : undefined;
    if (c) this.#commands.set(key, { ...c, receive: 'Idle' });
  }

  /** A request was refused (a fault) or never answered (the caller gave up on it): states as before it. */
  #refused(req: OutgoingRequest): void {
    switch (req.operation) {
      case 'Reconnect':
      case 'Connect':
      case 'Create':
      case 'Delete':
      case 'Disconnect':
        // A command's Reconnect or Connect did not move the shell.
        if ('commandId' in req && req.commandId !== undefined) return;
        if (this.#before !== undefined) this.#state = this.#before;
        this.#before = undefined;
        return;
      case 'Send': {
        const c = req.commandId === undefined ? undefined : this.#commands.get(req.commandId.toUpperCase());
        if (c && req.end) this.#commands.set(req.commandId!.toUpperCase(), { ...c, input: 'Open' });
        return;
      }
      case 'Receive':
        this.#receiveOver(req.commandId);
        return;
      case 'Command':
      case 'Signal':
        return;
      default:
        assertNever(req, 'request');
    }
  }

  /** The network stayed down past the caller's retry window: the shell counts as Disconnected (SHELL_LOST). */
  lost(): void {
    if (!SHELL_LOST.from.includes(this.#state)) throw new InvalidStateError(`lose ${this.#shellId ? `shell ${this.#shellId}` : 'the shell'}`, this.#state, SHELL_LOST.from);
    this.#state = SHELL_LOST.to!;
  }

  /** The caller gave up on `req` (network failure, abort): it is no longer outstanding, and changed nothing. */
  abandon(req: OutgoingRequest): void {
    if (this.#outstanding.delete(req.messageId.toUpperCase())) this.#refused(req);
  }
}
