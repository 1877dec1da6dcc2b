// The states of a WS-Management shell and of its commands (MS-WSMV 3.1.4.1.x
// for Create, Command, Send, Receive, Signal, Delete; 3.1.4.1.39-41 for
// Disconnect, Reconnect, Connect; WS-Enumeration for Enumerate and Pull), and
// the tables saying which action may start in which state. Both shell cores
// (client-shell.ts, server-shell.ts) look every action up here, so the rules
// live in one place, as psrp/states.ts does for pools (h11's _state.py habit);
// docs/wsman.md lists them. A refused action is an InvalidStateError naming the
// action, the state and the states that would have allowed it.

import { InvalidStateError } from '../errors.js';

/** A shell as one side sees it. The in-between states are the client's: its request is on the wire. */
export type ShellState =
  | 'BeforeCreate'
  | 'Creating'
  | 'Connected'
  | 'Disconnecting'
  | 'Disconnected'
  | 'Reconnecting'
  | 'Connecting'
  | 'Deleting'
  | 'Deleted';

export type ShellAction = 'Create' | 'Command' | 'Send' | 'Receive' | 'Signal' | 'Delete' | 'Disconnect' | 'Reconnect' | 'Connect';

interface ShellTransition {
  readonly from: readonly ShellState[];
  /** The client's state while its request is on the wire. */
  readonly during?: ShellState;
  /** The state once it was answered. */
  readonly to?: ShellState;
}

/**
 * Which shell state lets an action start. Commands, input and Receives need a
 * connected shell; a Signal and a Delete also reach a disconnected one (a
 * client may clean up without reconnecting); Connect is how a second client
 * takes over a disconnected shell it did not create, so it starts before any
 * Create of its own.
 */
export const SHELL_TRANSITIONS: { readonly [A in ShellAction]: ShellTransition } = {
  Create: { from: ['BeforeCreate'], during: 'Creating', to: 'Connected' },
  Command: { from: ['Connected'] },
  Send: { from: ['Connected'] },
  Receive: { from: ['Connected'] },
  Signal: { from: ['Connected', 'Disconnected'] },
  Delete: { from: ['Connected', 'Disconnected'], during: 'Deleting', to: 'Deleted' },
  Disconnect: { from: ['Connected'], during: 'Disconnecting', to: 'Disconnected' },
  Reconnect: { from: ['Disconnected'], during: 'Reconnecting', to: 'Connected' },
  Connect: { from: ['BeforeCreate', 'Disconnected'], during: 'Connecting', to: 'Connected' },
};

/**
 * Not a request: the client stopped receiving because the network stayed down
 * (its quiet-retry window ran out). A server disconnects a shell nobody
 * receives from (MS-PSRP 3.1.5.3.18, keep-alive), so the client counts it
 * Disconnected and takes it up again with Reconnect.
 */
export const SHELL_LOST: ShellTransition = { from: ['Connected'], to: 'Disconnected' };

/**
 * A command: Running from its CommandResponse until a Receive brings
 * CommandState Done; Released once a Signal terminate was answered (the
 * server forgets it). Its stdin is open until a Send with End, and at most one
 * Receive per command is outstanding (a second would race the first for output).
 */
export type CommandPhase = 'Running' | 'Done' | 'Released';
export type CommandInput = 'Open' | 'Ended';
export type CommandReceive = 'Idle' | 'Outstanding';

export interface CommandStatus {
  readonly phase: CommandPhase;
  readonly input: CommandInput;
  readonly receive: CommandReceive;
}

/** A command the server has just started (or one taken up by Connect): running, stdin open, no Receive out. */
export const COMMAND_STARTED: CommandStatus = Object.freeze({ phase: 'Running', input: 'Open', receive: 'Idle' });

export type CommandAction = 'Send' | 'Receive' | 'Signal' | 'Reconnect' | 'Connect';

interface CommandTransition {
  readonly phase: readonly CommandPhase[];
  readonly input?: CommandInput;
  readonly receive?: CommandReceive;
  /**
   * The shell states the command action needs, when they are not those of the
   * shell action of the same name: a command's Reconnect and Connect go to a
   * shell that its own Reconnect or Connect made Connected again.
   */
  readonly shell?: readonly ShellState[];
  /** The command may be one this client never started: Connect takes it over. */
  readonly unknown?: true;
}

/** Which command state lets an action start. */
export const COMMAND_TRANSITIONS: { readonly [A in CommandAction]: CommandTransition } = {
  Send: { phase: ['Running'], input: 'Open' },
  Receive: { phase: ['Running'], receive: 'Idle' },
  // terminate after Done releases the command (WinRS clients do so); ctrl_c may come at any time.
  Signal: { phase: ['Running', 'Done'] },
  // After the shell's Reconnect, each command still running is reconnected before it is received from (MS-PSRP 3.1.5.3.18).
  Reconnect: { phase: ['Running'], receive: 'Idle', shell: ['Connected'] },
  // Receive-PSSession: a command left running (by this client or another) is connected, then received from.
  Connect: { phase: ['Running'], receive: 'Idle', shell: ['Connected'], unknown: true },
};

/** An enumeration: Enumerate opens it; Pull goes on while the server reports more. */
export type EnumerationState = 'Idle' | 'Enumerating' | 'More' | 'Pulling' | 'Ended';
export type EnumerationAction = 'Enumerate' | 'Pull';

export const ENUMERATION_TRANSITIONS: { readonly [A in EnumerationAction]: { readonly from: readonly EnumerationState[] } } = {
  Enumerate: { from: ['Idle', 'Ended'] },
  Pull: { from: ['More'] },
};

export function commandStateName(c: CommandStatus): string {
  return `${c.phase} (input ${c.input}, Receive ${c.receive})`;
}

/** Throws unless `action` may start on a shell in `state`. */
export function guardShell(action: ShellAction, state: ShellState, what = 'the shell'): ShellTransition {
  const t = SHELL_TRANSITIONS[action];
  if (!t.from.includes(state)) throw new InvalidStateError(`${action} ${what}`, state, t.from);
  return t;
}

/** Throws unless `action` may start on a command in state `c` (undefined: a command this side does not know). */
export function guardCommand(action: CommandAction, commandId: string, c: CommandStatus | undefined): void {
  const t = COMMAND_TRANSITIONS[action];
  const expected = t.phase.map((p) => `${p}${t.input ? ` (input ${t.input})` : ''}${t.receive ? ` (Receive ${t.receive})` : ''}`);
  if (t.unknown) expected.push('unknown');
  const what = `${action} command ${commandId}`;
  if (!c) {
    if (t.unknown) return;
    throw new InvalidStateError(what, 'unknown', expected);
  }
  if (!t.phase.includes(c.phase) || (t.input !== undefined && c.input !== t.input) || (t.receive !== undefined && c.receive !== t.receive)) {
    throw new InvalidStateError(what, commandStateName(c), expected);
  }
}

/** Throws unless a command's Reconnect or Connect may go to a shell in `state`. */
export function guardCommandShell(action: 'Reconnect' | 'Connect', state: ShellState, what: string): void {
  const from = COMMAND_TRANSITIONS[action].shell!;
  if (!from.includes(state)) throw new InvalidStateError(`${action} a command of ${what}`, state, from);
}

export function guardEnumeration(action: EnumerationAction, state: EnumerationState): void {
  const t = ENUMERATION_TRANSITIONS[action];
  if (!t.from.includes(state)) throw new InvalidStateError(`${action} the enumeration`, state, t.from);
}
