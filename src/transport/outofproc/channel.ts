// The client side of the OutOfProc flow control (sans-I/O): what PowerShell's own
// client keeps (OutOfProcTransportManager.cs, ClientSessionTransportManagerBase
// and OutOfProcessClientCommandTransportManager). The server handles every line
// on its own thread-pool item, so order comes only from acknowledgements:
//  - per PSGuid, one <Data> in flight; the next goes after that GUID's <DataAck>;
//  - a pipeline's <Command> goes first, and its Data waits for the <CommandAck>;
//  - PromptResponse data goes before Default data of the same GUID;
//  - never send an Ack, a <Signal> for the pool, or a second <Close> for a GUID
//    (the server counts Closes; an extra one corrupts the count);
//  - a <Signal> or <Close> waits for the CommandAck and for the Data in flight:
//    overtaking the CREATE_PIPELINE data would stop or close a command that does
//    not exist yet, and the pipeline would then never report a state.
// Every request gets a ticket; the event for its acknowledgement names it.

import { RemoteProtocolError, UsageError } from '../../errors.js';
import { LineSplitter } from './lines.js';
import { decodePacket, encodeDataLine, encodePacket, POOL_GUID, SERVER_KINDS, type OutOfProcStream } from './packets.js';

export type ChannelEvent =
  /** PSRP fragments from the server for the pool or a pipeline. */
  | { readonly type: 'data'; readonly psGuid: string; readonly payload: Uint8Array }
  /** The request with this ticket was acknowledged. */
  | { readonly type: 'acked'; readonly ticket: number; readonly kind: 'Data' | 'Command' | 'Signal' | 'Close'; readonly psGuid: string }
  /** Data queued behind a Close was never sent. */
  | { readonly type: 'dropped'; readonly ticket: number; readonly psGuid: string }
  /** The server wrote a transport error in-band (ssh and socket modes). */
  | { readonly type: 'serverError'; readonly message: string };

interface Pending {
  readonly ticket: number;
  readonly stream: OutOfProcStream;
  readonly payload: Uint8Array;
}

interface GuidState {
  /** Pipelines: Command sent, not yet acknowledged. The pool needs no Command. */
  commandTicket: number | undefined;
  commandAcked: boolean;
  inFlight: number | undefined;
  readonly queue: Pending[];
  /** Signal/Close tickets waiting for the CommandAck and the Data in flight. */
  readonly control: { readonly kind: 'Signal' | 'Close'; readonly ticket: number }[];
  signalTickets: number[];
  closeTicket: number | undefined;
  /** CloseAck received; kept only while a SignalAck is still due (acks overtake each other). */
  closed: boolean;
}

export interface OutOfProcChannelOptions {
  readonly maxLine?: number;
}

export class OutOfProcChannel {
  readonly #lines: LineSplitter;
  readonly #guids = new Map<string, GuidState>();
  readonly #events: ChannelEvent[] = [];
  /** Lines to write: control lines as text, Data lines as bytes (encodeDataLine). */
  #out: (string | Buffer)[] = [];
  #ticket = 0;

  constructor(options: OutOfProcChannelOptions = {}) {
    this.#lines = new LineSplitter(options.maxLine);
    this.#guids.set(POOL_GUID, newState(true));
  }

  /** Queues PSRP data for the pool (POOL_GUID) or a pipeline whose Command was queued. */
  sendData(psGuid: string, stream: OutOfProcStream, payload: Uint8Array): number {
    const g = this.#state(psGuid, 'send data');
    if (g.closeTicket !== undefined) throw new UsageError(`OutOfProc: data for ${psGuid} after its Close`);
    if (payload.length === 0) throw new UsageError('OutOfProc: empty Data payload');
    const ticket = ++this.#ticket;
    const item = { ticket, stream, payload };
    // PromptResponse overtakes queued Default data, as in PowerShell's PriorityCollection.
    if (stream === 'PromptResponse') {
      const i = g.queue.findIndex((p) => p.stream !== 'PromptResponse');
      g.queue.splice(i < 0 ? g.queue.length : i, 0, item);
    } else g.queue.push(item);
    this.#pump(psGuid, g);
    return ticket;
  }

  /** A new pipeline: <Command PSGuid=pid/>; its data waits for the CommandAck. */
  command(psGuid: string): number {
    const id = psGuid.toLowerCase();
    if (id === POOL_GUID) throw new UsageError('OutOfProc: the runspace pool takes no Command');
    if (this.#guids.has(id)) throw new UsageError(`OutOfProc: a Command for ${id} was already sent`);
    const g = newState(false);
    g.commandTicket = ++this.#ticket;
    this.#guids.set(id, g);
    this.#write({ kind: 'Command', psGuid: id });
    return g.commandTicket;
  }

  /** Stops a pipeline. Never for the pool: the server ends the session on that. */
  signal(psGuid: string): number {
    const id = psGuid.toLowerCase();
    if (id === POOL_GUID) throw new UsageError('OutOfProc: the runspace pool cannot be signalled');
    const g = this.#state(id, 'signal');
    if (g.closeTicket !== undefined) throw new UsageError(`OutOfProc: signal for ${id} after its Close`);
    const ticket = ++this.#ticket;
    g.control.push({ kind: 'Signal', ticket });
    this.#pump(id, g);
    return ticket;
  }

  /** Closes a pipeline or (last) the pool; once per GUID. */
  close(psGuid: string): number {
    const id = psGuid.toLowerCase();
    const g = this.#state(id, 'close');
    if (g.closeTicket !== undefined) return g.closeTicket;
    g.closeTicket = ++this.#ticket;
    for (const dropped of g.queue.splice(0)) this.#events.push({ type: 'dropped', ticket: dropped.ticket, psGuid: id });
    g.control.push({ kind: 'Close', ticket: g.closeTicket });
    this.#pump(id, g);
    return g.closeTicket;
  }

  /** Whether a Close was queued for this GUID. */
  isClosing(psGuid: string): boolean {
    return this.#guids.get(psGuid.toLowerCase())?.closeTicket !== undefined;
  }

  /** Lines ready to write, each ending in LF. */
  takeOutput(): string {
    return this.takeOutputBytes()?.toString('latin1') ?? '';
  }

  /** takeOutput as bytes (what a writer of large Data lines should take), or undefined when there is none. */
  takeOutputBytes(): Buffer | undefined {
    if (this.#out.length === 0) return undefined;
    const parts = this.#out.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p));
    this.#out = [];
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  nextEvent(): ChannelEvent | undefined {
    return this.#events.shift();
  }

  /** Bytes from the server. Throws on a line that breaks the framing. */
  receive(chunk: Uint8Array): void {
    for (const line of this.#lines.push(chunk)) this.receiveLine(line);
  }

  /**
   * One line from the server (its LF removed), for a caller that splits the
   * stream itself to take out lines of its own first (src/server/harness-connect.ts).
   * Do not mix with receive() on one channel: receive() may hold part of a line.
   */
  receiveLine(line: string): void {
    const p = decodePacket(line);
    if (!SERVER_KINDS.has(p.kind)) {
      throw new RemoteProtocolError('PSR_OUTOFPROC_INVALID', `the server sent <${p.kind}>, which only a client sends`);
    }
    if (p.kind === 'TransportError') {
      this.#events.push({ type: 'serverError', message: p.message });
      return;
    }
    if (p.kind === 'Data') {
      this.#events.push({ type: 'data', psGuid: p.psGuid, payload: p.payload });
      return;
    }
    const g = this.#guids.get(p.psGuid);
    const unexpected = () => new RemoteProtocolError('PSR_OUTOFPROC_INVALID', `unexpected <${p.kind}> for ${p.psGuid}`);
    if (!g) throw unexpected();
    switch (p.kind) {
      case 'DataAck': {
        if (g.inFlight === undefined) throw unexpected();
        const ticket = g.inFlight;
        g.inFlight = undefined;
        this.#events.push({ type: 'acked', ticket, kind: 'Data', psGuid: p.psGuid });
        this.#pump(p.psGuid, g);
        return;
      }
      case 'CommandAck':
        if (g.commandAcked || g.commandTicket === undefined) throw unexpected();
        g.commandAcked = true;
        this.#events.push({ type: 'acked', ticket: g.commandTicket, kind: 'Command', psGuid: p.psGuid });
        this.#pump(p.psGuid, g);
        return;
      case 'SignalAck': {
        const ticket = g.signalTickets.shift();
        if (ticket === undefined) throw unexpected();
        this.#events.push({ type: 'acked', ticket, kind: 'Signal', psGuid: p.psGuid });
        if (g.closed && g.signalTickets.length === 0) this.#guids.delete(p.psGuid);
        return;
      }
      case 'CloseAck':
        if (g.closeTicket === undefined || g.closed) throw unexpected();
        g.closed = true;
        this.#events.push({ type: 'acked', ticket: g.closeTicket, kind: 'Close', psGuid: p.psGuid });
        // The server handles each line on its own thread: a SignalAck may still follow.
        if (p.psGuid !== POOL_GUID && g.signalTickets.length === 0) this.#guids.delete(p.psGuid);
        return;
      default:
        throw unexpected();
    }
  }

  #state(psGuid: string, action: string): GuidState {
    const g = this.#guids.get(psGuid.toLowerCase());
    if (!g) throw new UsageError(`OutOfProc: cannot ${action} for ${psGuid}: no Command was sent for it`);
    return g;
  }

  #pump(psGuid: string, g: GuidState): void {
    if (g.inFlight !== undefined || !g.commandAcked) return;
    // Control goes once the data queued before it was sent and acknowledged.
    const oldestData = g.queue.reduce((m, q) => Math.min(m, q.ticket), Infinity);
    if (g.control.length > 0 && g.control[0]!.ticket < oldestData) {
      for (const c of g.control.splice(0)) {
        if (c.kind === 'Signal') g.signalTickets.push(c.ticket);
        this.#write({ kind: c.kind, psGuid });
      }
      if (g.closeTicket !== undefined) return;
    }
    const next = g.queue.shift();
    if (!next) return;
    g.inFlight = next.ticket;
    this.#write({ kind: 'Data', stream: next.stream, psGuid, payload: next.payload });
  }

  #write(p: Parameters<typeof encodePacket>[0]): void {
    this.#out.push(p.kind === 'Data' ? encodeDataLine(p) : `${encodePacket(p)}\n`);
  }
}

function newState(commandAcked: boolean): GuidState {
  return { commandTicket: undefined, commandAcked, inFlight: undefined, queue: [], control: [], signalTickets: [], closeTicket: undefined, closed: false };
}
