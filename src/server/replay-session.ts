// One client's replay of a recording: its queues of recorded answers, which
// exchanges it has used and the ids it chose (replay-ids.ts). The replay
// server keeps one per client conversation, so several clients can replay the
// same recording at once without taking each other's answers.
//
// Answers come by operation and target, not by position: each (operation,
// shell, command) has its own queue, so a client that interleaves requests
// differently from the recording still gets the right ones. A shell's Receives
// are split into epochs at each pool Disconnect, Reconnect, Connect and
// pool-level Send: a Receive is answered only from the epoch the live
// conversation is in, as a server gives no pool output while disconnected, and
// what the pool answers to a request was recorded after it.

import type { Exchange, Recording, RequestInfo } from './recording.js';
import { ReplayIds } from './replay-ids.js';

export interface Slot {
  readonly index: number;
  readonly exchange: Exchange;
}

const upper = (s: string | undefined) => s?.toUpperCase();

function queueKey(op: string, shellId: string | undefined, commandId: string | undefined): string {
  switch (op) {
    case 'Create':
    case 'Identify':
    case 'Enumerate':
    case 'Pull':
    case 'Get':
    case 'Put':
    case 'Invoke':
      return `${op}|${op === 'Get' ? (upper(shellId) ?? '') : ''}`;
    case 'Command':
    case 'Delete':
    case 'Disconnect':
      return `${op}|${upper(shellId) ?? ''}`;
    default:
      return `${op}|${upper(shellId) ?? ''}|${upper(commandId) ?? ''}`;
  }
}

const isEpochChange = (op: string, commandId: string | undefined) =>
  (op === 'Disconnect' || op === 'Reconnect' || op === 'Connect' || op === 'Send') && !commandId;

const receiveKey = (shellId: string | undefined, commandId: string | undefined, epoch: number) => `${queueKey('Receive', shellId, commandId)}@${epoch}`;

export class ReplaySession {
  readonly ids = new ReplayIds();
  readonly used = new Set<number>();
  readonly #rec: Recording;
  readonly #queues = new Map<string, Slot[]>();
  readonly #liveEpochs = new Map<string, number>();

  /** `concurrent`: another session replays the same recording, so server-chosen ids are made fresh. */
  constructor(rec: Recording, concurrent: boolean) {
    this.#rec = rec;
    const recordedEpochs = new Map<string, number>();
    rec.exchanges.forEach((exchange, index) => {
      const shell = upper(exchange.shellId) ?? '';
      const key =
        exchange.operation === 'Receive'
          ? receiveKey(exchange.shellId, exchange.commandId, recordedEpochs.get(shell) ?? 0)
          : queueKey(exchange.operation, exchange.shellId, exchange.commandId);
      if (isEpochChange(exchange.operation, exchange.commandId)) recordedEpochs.set(shell, (recordedEpochs.get(shell) ?? 0) + 1);
      let q = this.#queues.get(key);
      if (!q) this.#queues.set(key, (q = []));
      q.push({ index, exchange });
    });
    if (concurrent) this.ids.freshenServerIds(rec.exchanges.flatMap((x) => [x.shellId, x.commandId]).filter((x): x is string => !!x));
  }

  /** Recorded Creates not yet used. */
  get createsLeft(): number {
    return this.#queues.get(queueKey('Create', undefined, undefined))?.length ?? 0;
  }

  /** Has a recorded request of this operation without a shell left (Identify, Enumerate, ...). */
  hasLeft(op: string): boolean {
    return (this.#queues.get(queueKey(op, undefined, undefined))?.length ?? 0) > 0;
  }

  /** The recorded exchange that answers this request, or why there is none. Learns ids from Create and Command. */
  take(info: RequestInfo, request: string): { slot?: Slot; reason?: string } {
    const op = info.operation;
    const ids = this.ids;
    if (op === 'Create') {
      const slot = this.#queues.get(queueKey('Create', undefined, undefined))?.shift();
      if (!slot) return { reason: 'no recorded Create left' };
      // PowerShell clients choose the ShellId; WinRS servers do (then it is echoed as recorded).
      if (info.shellId) ids.bind(info.shellId, slot.exchange.shellId);
      ids.bindPsrp(request, slot.exchange.request);
      return { slot };
    }
    const shellId = ids.toRecorded(info.shellId);
    let commandId = ids.toRecorded(info.commandId);
    if (op === 'Command') {
      const q = this.#queues.get(queueKey(op, shellId, undefined));
      const slot = q?.shift();
      if (!slot) return { reason: info.shellId && !q ? `unknown ShellId ${info.shellId}` : 'no recorded Command left for this shell' };
      if (info.commandId) ids.bind(info.commandId, slot.exchange.commandId);
      ids.bindPsrp(request, slot.exchange.request);
      return { slot };
    }
    let key = op === 'Receive' ? receiveKey(shellId, commandId, this.#liveEpochs.get(upper(shellId) ?? '') ?? 0) : queueKey(op, shellId, commandId);
    let q = this.#queues.get(key);
    // Clients differ on where a pipeline's host response goes: PowerShell names the
    // command, pypsrp sends it to the shell. A command's Send may take the shell's.
    if (!q?.length && op === 'Send' && commandId && this.#queues.get(queueKey(op, shellId, undefined))?.length) {
      key = queueKey(op, shellId, undefined);
      q = this.#queues.get(key);
      commandId = undefined;
    }
    // A Receive in an epoch the recording has no Receive for waits like an exhausted one.
    if (!q && op === 'Receive' && this.#queues.has(`${key.slice(0, key.lastIndexOf('@'))}@0`)) q = [];
    if (!q) {
      const knownShell = this.#rec.exchanges.some((x) => upper(x.shellId) === upper(shellId));
      if (shellId && !knownShell) return { reason: `unknown ShellId ${info.shellId}` };
      if (commandId && !this.#rec.exchanges.some((x) => upper(x.commandId) === upper(commandId))) return { reason: `unknown CommandId ${info.commandId}` };
      return { reason: `no recorded ${op} for this target` };
    }
    const slot = q.shift();
    if (!slot) return { reason: `recorded ${op} answers for this target are used up` };
    if (isEpochChange(op, commandId)) this.#liveEpochs.set(upper(shellId) ?? '', (this.#liveEpochs.get(upper(shellId) ?? '') ?? 0) + 1);
    // A PowerShell client may open a pipeline by Send (a long CREATE_PIPELINE) or reconnect: learn its ids here too.
    ids.bindPsrp(request, slot.exchange.request);
    return { slot };
  }
}
