// The server side of a WS-Management shell, without I/O (the counterpart of
// client-shell.ts, built as psrp/pool-core.ts is): fed each request read by
// reader.ts, it checks it against the shell's and the command's state and
// returns it typed; asked for the answer, it moves the states on and builds the
// response envelope (server-envelopes.ts). What the server runs is the caller's
// business (the local endpoint runs cmd commands and PowerShell engines); the
// protocol rules are here:
//  - a request names this shell; Command, Send and Receive need it connected;
//  - a command takes input until a Send with End; a Receive answered with Done
//    ends its output; a Signal terminate (or a Delete of the shell) releases it;
//  - a shell is Disconnected by Disconnect, Connected again by Reconnect (its
//    client) or Connect (another client), and gone after Delete.
// The server may be asked again for a command already Done (a client that lost
// the answer repeats its Receive), so its Receive rule is wider than the client's.

import { InvalidStateError } from '../errors.js';
import { assertNever } from '../psrp/events.js';
import { ACTION, NS, SIGNAL } from './namespaces.js';
import type { WireStream, WSManMessage } from './reader.js';
import { commandResponseBody, envelope, faultEnvelope, receiveResponseBody, type FaultSpec, type OutStream } from './server-envelopes.js';
import { COMMAND_STARTED, type CommandPhase, commandStateName, type CommandStatus, type ShellAction, type ShellState } from './shell-states.js';

/** The server's view: no request of its own is ever on the wire. */
export type ServerShellState = Extract<ShellState, 'Connected' | 'Disconnected' | 'Deleted'>;

/** Which shell state lets a request in, as the server sees it. */
export const SERVER_SHELL_TRANSITIONS: { readonly [A in Exclude<ShellAction, 'Create'>]: { readonly from: readonly ServerShellState[]; readonly to?: ServerShellState } } = {
  Command: { from: ['Connected'] },
  Send: { from: ['Connected'] },
  Receive: { from: ['Connected', 'Disconnected'] },
  Signal: { from: ['Connected', 'Disconnected'] },
  Delete: { from: ['Connected', 'Disconnected'], to: 'Deleted' },
  Disconnect: { from: ['Connected', 'Disconnected'], to: 'Disconnected' },
  Reconnect: { from: ['Connected', 'Disconnected'], to: 'Connected' },
  Connect: { from: ['Connected', 'Disconnected'], to: 'Connected' },
};

/** Which command phase lets a request in, as the server sees it. */
export const SERVER_COMMAND_TRANSITIONS: {
  readonly [A in 'Send' | 'Receive' | 'Signal' | 'Reconnect' | 'Connect']: { readonly phase: readonly CommandPhase[]; readonly inputOpen?: true };
} = {
  Send: { phase: ['Running'], inputOpen: true },
  Receive: { phase: ['Running', 'Done'] },
  Signal: { phase: ['Running', 'Done'] },
  // A command's Reconnect or Connect names one the shell still has (its output may be over and not yet received).
  Reconnect: { phase: ['Running', 'Done'] },
  Connect: { phase: ['Running', 'Done'] },
};

export type ServerRequest =
  | { readonly operation: 'Command'; readonly message: WSManMessage; readonly commandId: string | undefined }
  | { readonly operation: 'Send'; readonly message: WSManMessage; readonly streams: readonly WireStream[] }
  | { readonly operation: 'Receive'; readonly message: WSManMessage; readonly commandId: string | undefined; readonly sequenceId: string | undefined }
  | { readonly operation: 'Signal'; readonly message: WSManMessage; readonly commandId: string; readonly code: string }
  | { readonly operation: 'Delete' | 'Disconnect'; readonly message: WSManMessage }
  /** With a commandId, a command's Reconnect or Connect (the shell's state does not change). */
  | { readonly operation: 'Reconnect' | 'Connect'; readonly message: WSManMessage; readonly commandId: string | undefined };

export interface ServerShellOptions {
  /** MessageIDs of the answers (injected: no randomness in the core). */
  readonly newMessageId: () => string;
  /**
   * Where the shell's state is kept, when the server keeps it elsewhere too (the
   * endpoint's shell table, whose idle timer disconnects shells): one value, not two.
   */
  readonly state?: { get(): ServerShellState; set(state: ServerShellState): void };
}

export class ServerShell {
  readonly shellId: string;
  #own: ServerShellState = 'Connected';
  readonly #commands = new Map<string, CommandStatus>();
  readonly #newId: () => string;
  readonly #store: { get(): ServerShellState; set(state: ServerShellState): void };

  /** A shell the server accepted a Create for (the caller chose or checked its id). */
  constructor(shellId: string, options: ServerShellOptions) {
    this.shellId = shellId.toUpperCase();
    this.#newId = options.newMessageId;
    this.#store = options.state ?? { get: () => this.#own, set: (s) => (this.#own = s) };
  }

  get #state(): ServerShellState {
    return this.#store.get();
  }
  set #state(s: ServerShellState) {
    this.#store.set(s);
  }

  get state(): ServerShellState {
    return this.#state;
  }
  command(commandId: string): CommandStatus | undefined {
    return this.#commands.get(commandId.toUpperCase());
  }
  get commands(): number {
    return this.#commands.size;
  }

  /** Checks a request for this shell; the typed request, or an InvalidStateError naming what was allowed. */
  accept(m: WSManMessage): ServerRequest {
    const op = m.operation;
    if (m.isResponse || op === undefined) throw new InvalidStateError('accept a response as a request', this.#state, ['a request']);
    if (m.shellId?.toUpperCase() !== this.shellId) throw new InvalidStateError(`${op} shell ${m.shellId ?? '(none)'}`, 'not this shell', [`shell ${this.shellId}`]);
    switch (op) {
      case 'Command':
        this.#guard(op);
        return { operation: op, message: m, commandId: m.commandId };
      case 'Send': {
        this.#guard(op);
        // A stream without CommandId feeds the shell itself (PowerShell: the runspace pool).
        for (const s of m.streams) if (s.commandId !== undefined) this.#guardCommand(op, s.commandId);
        return { operation: op, message: m, streams: m.streams };
      }
      case 'Receive':
        this.#guard(op);
        if (m.commandId !== undefined) this.#guardCommand(op, m.commandId);
        return { operation: op, message: m, commandId: m.commandId, sequenceId: m.sequenceId };
      case 'Signal':
        this.#guard(op);
        this.#guardCommand(op, m.commandId);
        return { operation: op, message: m, commandId: m.commandId!, code: m.signalCode ?? '' };
      case 'Delete':
      case 'Disconnect':
        this.#guard(op);
        return { operation: op, message: m };
      case 'Reconnect':
      case 'Connect':
        this.#guard(op);
        if (m.commandId !== undefined) this.#guardCommand(op, m.commandId);
        return { operation: op, message: m, commandId: m.commandId };
      case 'Create':
      case 'Identify':
      case 'Get':
      case 'Put':
      case 'Enumerate':
      case 'Pull':
      case 'Invoke':
        throw new InvalidStateError(`${op} on shell ${this.shellId}`, this.#state, ['Command', 'Send', 'Receive', 'Signal', 'Delete', 'Disconnect', 'Reconnect', 'Connect']);
      default:
        return assertNever(op, 'operation');
    }
  }

  #guard(action: keyof typeof SERVER_SHELL_TRANSITIONS): void {
    const t = SERVER_SHELL_TRANSITIONS[action];
    if (!t.from.includes(this.#state)) throw new InvalidStateError(`${action} shell ${this.shellId}`, this.#state, t.from);
  }

  #guardCommand(action: keyof typeof SERVER_COMMAND_TRANSITIONS, commandId: string | undefined): void {
    const t = SERVER_COMMAND_TRANSITIONS[action];
    const c = commandId === undefined ? undefined : this.#commands.get(commandId.toUpperCase());
    const expected = t.phase.map((p) => (t.inputOpen ? `${p} (input Open)` : p));
    const what = `${action} command ${commandId ?? '(none)'}`;
    if (!c) throw new InvalidStateError(what, 'unknown', expected);
    if (!t.phase.includes(c.phase) || (t.inputOpen && c.input !== 'Open')) throw new InvalidStateError(what, commandStateName(c), expected);
  }

  #reply(action: string, req: ServerRequest, body: string): string {
    return envelope(action, req.message.envelope.messageId, body, this.#newId());
  }

  /** The command of a Command request was started under `commandId`. */
  commandStarted(req: ServerRequest & { operation: 'Command' }, commandId: string): string {
    this.#commands.set(commandId.toUpperCase(), COMMAND_STARTED);
    return this.#reply(ACTION.CommandResponse, req, commandResponseBody(commandId.toUpperCase()));
  }

  /**
   * Output for a Receive; `done` when the command's output is over (its
   * CommandState Done). A command's Receive always reports its CommandState.
   */
  received(req: ServerRequest & { operation: 'Receive' }, streams: readonly OutStream[], done?: { readonly exitCode: number }): string {
    const id = req.commandId?.toUpperCase();
    if (id === undefined) return this.#reply(ACTION.ReceiveResponse, req, receiveResponseBody(streams));
    const c = this.#commands.get(id);
    if (c && done) this.#commands.set(id, { ...c, phase: 'Done' });
    return this.#reply(ACTION.ReceiveResponse, req, receiveResponseBody(streams, { commandId: id, state: done ? 'Done' : 'Running', ...(done ? { exitCode: done.exitCode } : {}) }));
  }

  /** The answer to Send, Signal, Delete, Disconnect, Reconnect or Connect (its body, if any, given). */
  answer(req: Exclude<ServerRequest, { operation: 'Command' | 'Receive' }>, body = ''): string {
    switch (req.operation) {
      case 'Send':
        for (const s of req.streams) {
          const key = (s.commandId ?? req.message.commandId)?.toUpperCase();
          const c = key === undefined ? undefined : this.#commands.get(key);
          if (c && s.end) this.#commands.set(key!, { ...c, input: 'Ended' });
        }
        return this.#reply(ACTION.SendResponse, req, body || '<rsp:SendResponse/>');
      case 'Signal':
        if (req.code.toLowerCase() === SIGNAL.terminate) this.#commands.delete(req.commandId.toUpperCase());
        return this.#reply(ACTION.SignalResponse, req, body || '<rsp:SignalResponse/>');
      case 'Delete':
        this.#state = 'Deleted';
        this.#commands.clear();
        return this.#reply(ACTION.DeleteResponse, req, body);
      case 'Disconnect':
        this.#state = 'Disconnected';
        return this.#reply(ACTION.DisconnectResponse, req, body);
      case 'Reconnect':
        if (req.commandId === undefined) this.#state = 'Connected';
        return this.#reply(ACTION.ReconnectResponse, req, body);
      case 'Connect':
        if (req.commandId === undefined) this.#state = 'Connected';
        return this.#reply(ACTION.ConnectResponse, req, body);
      default:
        return assertNever(req, 'request');
    }
  }

  /** The server released a command of its own accord (PowerShell: after its Done was received). */
  release(commandId: string): void {
    this.#commands.delete(commandId.toUpperCase());
  }

  /** The shell changed state outside any request (the server's idle timer disconnected it). */
  set(state: ServerShellState): void {
    this.#state = state;
  }

  /** A fault answering `req`; no state changes. */
  fault(req: ServerRequest | WSManMessage, spec: FaultSpec): string {
    const m = 'message' in req ? req.message : req;
    return faultEnvelope(spec, m.envelope.messageId, this.#newId());
  }
}

/**
 * The server side of enumerations (WS-Enumeration over shells or commands): the
 * items of an Enumerate go out at most `maxElements` at a time, the rest on
 * Pulls naming the context. Everything at once is one answer with
 * EndOfSequence and an empty context, as Windows answers shell enumerations.
 */
export class ServerEnumeration {
  readonly #open = new Map<string, readonly string[]>();
  readonly #newId: () => string;
  #next = 0;

  constructor(options: ServerShellOptions) {
    this.#newId = options.newMessageId;
  }

  /** Contexts handed out and not pulled to their end. */
  get open(): number {
    return this.#open.size;
  }

  enumerate(m: WSManMessage, items: readonly string[], maxElements = Infinity): string {
    if (m.operation !== 'Enumerate') throw new InvalidStateError(`answer ${m.operation ?? 'a response'} as an Enumerate`, 'Enumerate expected', ['Enumerate']);
    return this.#batch(m, 'EnumerateResponse', ACTION.EnumerateResponse, items, maxElements);
  }

  pull(m: WSManMessage, context: string, maxElements = Infinity): string {
    const rest = this.#open.get(context);
    if (m.operation !== 'Pull' || rest === undefined) throw new InvalidStateError(`Pull enumeration context ${JSON.stringify(context)}`, rest === undefined ? 'unknown' : 'More', ['More']);
    this.#open.delete(context);
    return this.#batch(m, 'PullResponse', ACTION.PullResponse, rest, maxElements);
  }

  #batch(m: WSManMessage, element: string, action: string, items: readonly string[], maxElements: number): string {
    const now = items.slice(0, Math.max(1, maxElements));
    const rest = items.slice(now.length);
    let context = '';
    if (rest.length > 0) {
      context = `enumeration-${++this.#next}`;
      this.#open.set(context, rest);
    }
    const body =
      `<n:${element} xmlns:n="${NS.enumeration}"><n:EnumerationContext>${context}</n:EnumerationContext>` +
      (now.length > 0 ? `<w:Items>${now.join('')}</w:Items>` : '') +
      (rest.length === 0 ? '<w:EndOfSequence/>' : '') +
      `</n:${element}>`;
    return envelope(action, m.envelope.messageId, body, this.#newId());
  }
}
