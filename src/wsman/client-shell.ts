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
//  - every answer must relate to the request it answers (RelatesTo), and a fault
//    puts the state back as it was before the request, then is thrown.
// The caller owns the wire, the clock and any retry policy.

import { InvalidStateError, RemoteProtocolError } from '../errors.js';
import { assertNever } from '../psrp/events.js';
import { build, type BufferMode, type CommandLineBody, type EnumerateOptions, type ShellBody, type ShellRequest, type StreamData, type WSManOption } from './envelope.js';
import { SIGNAL } from './namespaces.js';
import { checkRelatesTo, streamBytes, type WSManMessage } from './reader.js';
import { WSManFaultError } from './fault.js';
import { parseCommandResponse, parseConnectResponse, parseCreateResponse, parseEnumeration, type ShellInfo } from './response.js';
import type { XmlElement } from '../util/xml.js';
import {
  guardCommand,
  guardEnumeration,
  guardShell,
  type CommandStatus,
  type EnumerationState,
  type ShellAction,
  type ShellState,
} from './shell-states.js';

/** A request the core built: post `xml`, then feed its answer to `handle` with this object. */
export type OutgoingRequest =
  | { readonly operation: 'Create' | 'Delete' | 'Disconnect' | 'Reconnect' | 'Connect'; readonly messageId: string; readonly xml: string }
  | { readonly operation: 'Command'; readonly messageId: string; readonly xml: string }
  | { readonly operation: 'Send'; readonly messageId: string; readonly xml: string; readonly commandId: string; readonly end: boolean }
  | { readonly operation: 'Receive'; readonly messageId: string; readonly xml: string; readonly commandId: string | undefined }
  | { readonly operation: 'Signal'; readonly messageId: string; readonly xml: string; readonly commandId: string; readonly code: string };

export type ClientShellEvent =
  | { readonly type: 'Created'; readonly shell: ShellInfo }
  | { readonly type: 'CommandStarted'; readonly commandId: string }
  | { readonly type: 'InputAccepted'; readonly commandId: string; readonly end: boolean }
  | { readonly type: 'Output'; readonly commandId: string | undefined; readonly stream: string; readonly data: Buffer; readonly end: boolean }
  /** A CommandState other than Done (Running, Pending). */
  | { readonly type: 'CommandState'; readonly commandId: string; readonly state: string }
  | { readonly type: 'CommandDone'; readonly commandId: string; readonly exitCode: number }
  | { readonly type: 'ReceiveTimedOut'; readonly commandId: string | undefined }
  | { readonly type: 'Signalled'; readonly commandId: string; readonly code: string }
  | { readonly type: 'Disconnected' }
  | { readonly type: 'Reconnected' }
  | { readonly type: 'Connected'; readonly connectResponseXml: Buffer | undefined }
  | { readonly type: 'Deleted' };

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
    return this.#out({ operation: 'Create', messageId: r.messageId, xml: build.create({ ...r, resourceUri: this.resourceUri }, body, options) });
  }

  startCommand(body: CommandLineBody, options: readonly WSManOption[] = []): OutgoingRequest {
    const id = this.#shell('Command');
    const r = this.#request();
    return this.#out({ operation: 'Command', messageId: r.messageId, xml: build.command({ ...r, resourceUri: this.resourceUri }, id, body, options) });
  }

  /** Input for a command; `end` on the last stream closes its stdin (no Send after it). */
  send(commandId: string, streams: readonly Omit<StreamData, 'commandId'>[]): OutgoingRequest {
    const id = this.#shell('Send');
    const key = commandId.toUpperCase();
    const c = this.#commands.get(key);
    guardCommand('Send', commandId, c);
    const end = streams.some((s) => s.end === true);
    if (end) this.#commands.set(key, { ...c!, input: 'Ended' });
    const r = this.#request();
    const xml = build.send({ ...r, resourceUri: this.resourceUri }, id, streams.map((s) => ({ ...s, commandId })));
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
    return this.#out({ operation: 'Reconnect', messageId: r.messageId, xml: build.reconnect({ ...r, resourceUri: this.resourceUri }, id) });
  }

  connect(o: { connectXml?: Uint8Array; protocolVersion?: string } = {}): OutgoingRequest {
    const id = this.#shell('Connect');
    const r = this.#request();
    return this.#out({ operation: 'Connect', messageId: r.messageId, xml: build.connect({ ...r, resourceUri: this.resourceUri }, id, o) });
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
      this.#refused(req);
      throw new WSManFaultError(fault, ctx);
    }
    return this.#answered(req, m, ctx);
  }

  #answered(req: OutgoingRequest, m: WSManMessage, ctx: { operation: string; host?: string }): ClientShellEvent[] {
    const env = m.envelope;
    switch (req.operation) {
      case 'Create': {
        const shell = parseCreateResponse(env, ctx);
        this.#shellId = shell.shellId;
        this.#state = 'Connected';
        return [{ type: 'Created', shell }];
      }
      case 'Command': {
        const commandId = parseCommandResponse(env, ctx);
        this.#commands.set(commandId.toUpperCase(), { phase: 'Running', input: 'Open', receive: 'Idle' });
        return [{ type: 'CommandStarted', commandId }];
      }
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
        this.#state = 'Deleted';
        this.#commands.clear();
        return [{ type: 'Deleted' }];
      case 'Disconnect':
        this.#state = 'Disconnected';
        return [{ type: 'Disconnected' }];
      case 'Reconnect':
        this.#state = 'Connected';
        return [{ type: 'Reconnected' }];
      case 'Connect':
        this.#state = 'Connected';
        return [{ type: 'Connected', connectResponseXml: parseConnectResponse(env, ctx) }];
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
      case 'Create':
      case 'Delete':
      case 'Disconnect':
      case 'Reconnect':
      case 'Connect':
        if (this.#before !== undefined) this.#state = this.#before;
        this.#before = undefined;
        return;
      case 'Send': {
        const c = this.#commands.get(req.commandId.toUpperCase());
        if (c && req.end) this.#commands.set(req.commandId.toUpperCase(), { ...c, input: 'Open' });
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

  /** The caller gave up on `req` (network failure, abort): it is no longer outstanding, and changed nothing. */
  abandon(req: OutgoingRequest): void {
    if (this.#outstanding.delete(req.messageId.toUpperCase())) this.#refused(req);
  }
}

/** The client side of an enumeration (Enumerate, then Pull while the server has more). */
export class ClientEnumeration {
  #state: EnumerationState = 'Idle';
  #context: string | undefined;
  #pending: string | undefined;

  constructor(
    readonly resourceUri: string,
    readonly request: () => ShellRequest,
  ) {}

  get state(): EnumerationState {
    return this.#state;
  }

  enumerate(o: EnumerateOptions = {}): { readonly messageId: string; readonly xml: string } {
    guardEnumeration('Enumerate', this.#state);
    this.#state = 'Enumerating';
    const r = this.request();
    this.#pending = r.messageId;
    return { messageId: r.messageId, xml: build.enumerate({ ...r, resourceUri: this.resourceUri }, o) };
  }

  pull(maxElements?: number): { readonly messageId: string; readonly xml: string } {
    guardEnumeration('Pull', this.#state);
    this.#state = 'Pulling';
    const r = this.request();
    this.#pending = r.messageId;
    return { messageId: r.messageId, xml: build.pull({ ...r, resourceUri: this.resourceUri }, this.#context!, maxElements) };
  }

  /** The answer to the Enumerate or Pull in flight: its items. */
  handle(m: WSManMessage): readonly XmlElement[] {
    const operation = this.#state === 'Pulling' ? 'Pull' : 'Enumerate';
    if (this.#pending === undefined) throw new InvalidStateError('take an enumeration answer', this.#state, ['Enumerating', 'Pulling']);
    checkRelatesTo(m.envelope, this.#pending, { operation });
    this.#pending = undefined;
    if (m.envelope.fault) {
      this.#state = 'Ended';
      throw new WSManFaultError(m.envelope.fault, { operation });
    }
    const r = parseEnumeration(m.envelope, { operation });
    this.#context = r.context;
    this.#state = r.endOfSequence || !r.context ? 'Ended' : 'More';
    return r.items;
  }
}
