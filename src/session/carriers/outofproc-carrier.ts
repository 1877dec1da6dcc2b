// PSRP over the OutOfProc framing (`pwsh -s`, PowerShell's named-pipe server,
// an SSH subsystem), the way PowerShell's own client maps it: the pool's data
// goes on PSGuid 0; a pipeline is <Command PSGuid=pid/> then its CREATE_PIPELINE
// data; host responses go on Stream='PromptResponse'; stop is <Signal>; every
// pipeline gets exactly one <Close>, and the pool's <Close> comes last (the
// server waits for every command to be closed before it answers). No receive
// requests: the server writes output as it comes.

import { AbortError, TimeoutError } from '../../errors.js';
import type { OutgoingPayload } from '../../psrp/index.js';
import { OutOfProcChannel, OutOfProcTransportError, POOL_GUID, type OutOfProcConnection } from '../../transport/outofproc/index.js';
import type { CarrierSink, PsrpCarrier } from './carrier.js';

export interface OutOfProcCarrierOptions {
  /** How long to wait for a CloseAck (PowerShell's client waits 60 s). */
  readonly closeTimeoutMs?: number;
  /** Longest line accepted from the server. */
  readonly maxLine?: number;
  /** PSRP bytes per <Data>; PowerShell's client sends up to 32 KiB. */
  readonly payloadBudget?: number;
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

export class OutOfProcCarrier implements PsrpCarrier {
  readonly connection: OutOfProcConnection;
  readonly requestCounts: Record<string, number> = {};
  readonly #opts: OutOfProcCarrierOptions;
  readonly #channel: OutOfProcChannel;
  readonly #waiters = new Map<number, Waiter>();
  /** Pipelines with a Command sent and no Close yet. */
  readonly #commands = new Set<string>();
  readonly #closing = new Map<string, Promise<void>>();
  #sink: CarrierSink | undefined;
  #failure: Error | undefined;
  #started = false;
  #closed = false;

  constructor(connection: OutOfProcConnection, options: OutOfProcCarrierOptions = {}) {
    this.connection = connection;
    this.#opts = options;
    this.#channel = new OutOfProcChannel(options.maxLine !== undefined ? { maxLine: options.maxLine } : {});
  }

  payloadBudget(): number {
    return this.#opts.payloadBudget ?? 32_768;
  }

  #count(op: string): void {
    this.requestCounts[op] = (this.requestCounts[op] ?? 0) + 1;
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const conn = this.connection;
    conn.input.on('data', (chunk: Buffer) => this.#receive(chunk));
    conn.input.on('error', () => undefined); // the end is reported by `ended`
    void conn.ended.then((d) => {
      if (this.#closed) return;
      const how = d.exitCode != null ? `exited with code ${d.exitCode}` : d.signal ? `was killed by ${d.signal}` : 'closed the connection';
      this.#fail(new OutOfProcTransportError('PSR_PEER_EXITED', `the PSRP server ${how}`, d));
    });
  }

  #receive(chunk: Buffer): void {
    if (this.#failure) return;
    try {
      this.#channel.receive(chunk);
    } catch (e) {
      this.#fail(e as Error);
      void this.connection.shutdown(0);
      return;
    }
    for (let e = this.#channel.nextEvent(); e; e = this.#channel.nextEvent()) {
      switch (e.type) {
        case 'data':
          this.#sink?.payload(e.payload);
          break;
        case 'acked':
          this.#settle(e.ticket);
          break;
        case 'dropped':
          this.#settle(e.ticket);
          break;
        case 'serverError':
          this.#fail(
            new OutOfProcTransportError('PSR_OUTOFPROC_TRANSPORT', 'the PSRP server reported a transport error', {
              peer: this.connection.peer,
              stderr: e.message,
            }),
          );
          void this.connection.shutdown(0);
          return;
      }
    }
    // An acknowledgement may have released queued packets.
    this.#write();
  }

  #settle(ticket: number): void {
    const w = this.#waiters.get(ticket);
    this.#waiters.delete(ticket);
    w?.resolve();
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const w of this.#waiters.values()) w.reject(error);
    this.#waiters.clear();
    this.#sink?.error(error);
  }

  /** Writes what the channel queued and waits for the acknowledgement of `ticket`. */
  #await(ticket: number, signal?: AbortSignal, timeoutMs?: number, what = 'acknowledgement'): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const p = new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        this.#waiters.delete(ticket);
        done();
        reject(new AbortError(`${this.connection.peer}: waiting for the ${what} was aborted`, { cause: signal!.reason }));
      };
      this.#waiters.set(ticket, {
        resolve: () => (done(), resolve()),
        reject: (e) => (done(), reject(e)),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#waiters.delete(ticket);
          done();
          reject(new TimeoutError(`${this.connection.peer}: no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
    this.#write();
    return p;
  }

  #write(): void {
    const bytes = this.#channel.takeOutputBytes();
    if (bytes && !this.#failure) this.connection.output.write(bytes);
  }

  async openPool(first: OutgoingPayload, sink: CarrierSink, signal?: AbortSignal): Promise<void> {
    this.#sink = sink;
    this.#start();
    this.#count('Data');
    await this.#await(this.#channel.sendData(POOL_GUID, 'Default', first.data), signal);
  }

  async send(p: OutgoingPayload, signal?: AbortSignal): Promise<void> {
    if (this.#failure) throw this.#failure;
    const guid = p.pipelineId ?? POOL_GUID;
    if (p.pipelineId !== undefined && !this.#commands.has(guid) && !this.#channel.isClosing(guid)) {
      this.#commands.add(guid);
      this.#count('Command');
      // The data below waits in the channel for the CommandAck.
      void this.#await(this.#channel.command(guid), signal).catch(() => undefined);
    }
    this.#count('Data');
    await this.#await(this.#channel.sendData(guid, p.streamType === 'promptResponse' ? 'PromptResponse' : 'Default', p.data), signal);
  }

  async stopPipeline(pipelineId: string, signal?: AbortSignal): Promise<void> {
    const id = pipelineId.toLowerCase();
    if (!this.#commands.has(id)) return;
    this.#count('Signal');
    await this.#await(this.#channel.signal(id), signal, this.#opts.closeTimeoutMs ?? 60_000, 'SignalAck');
  }

  pipelineFinished(pipelineId: string): void {
    this.#closeCommand(pipelineId.toLowerCase());
  }

  #closeCommand(id: string): Promise<void> {
    const pending = this.#closing.get(id);
    if (pending) return pending;
    if (!this.#commands.delete(id) || this.#failure) return Promise.resolve();
    this.#count('Close');
    const p = this.#await(this.#channel.close(id), undefined, this.#opts.closeTimeoutMs ?? 60_000, `CloseAck for ${id}`)
      .catch(() => undefined)
      .finally(() => this.#closing.delete(id));
    this.#closing.set(id, p);
    return p;
  }

  async closePool(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return;
    const timeout = this.#opts.closeTimeoutMs ?? 60_000;
    let error: unknown;
    try {
      if (this.#started && !this.#failure) {
        // Every command needs its Close first, or the server never answers the pool's.
        await Promise.all([...this.#commands].map((id) => this.#closeCommand(id)));
        await Promise.all([...this.#closing.values()]);
        this.#count('Close');
        await this.#await(this.#channel.close(POOL_GUID), signal, timeout, 'CloseAck for the runspace pool');
      }
    } catch (e) {
      error = e;
    } finally {
      this.#closed = true;
      this.#sink = undefined;
      await this.connection.shutdown();
    }
    if (error !== undefined && error !== this.#failure) throw error;
  }
}
