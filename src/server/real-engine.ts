// PowerShell shells of the local endpoint on PowerShell's own engine: each shell
// is a PSRP server process (the test peer's host, or `pwsh -s`) spoken to over
// OutOfProc, the way the WinRM service hands a shell to its plugin. The WSMan
// side stays the endpoint's: Disconnect/Reconnect are pure front-end state
// (the plugin is never told, see spec-notes/real-engine.md), output is buffered
// by the endpoint. Routing follows MS-PSRP 3.1.5.3 / the note's §5.4:
//   creationXml → <Data PSGuid=0>; Command arguments (CREATE_PIPELINE) →
//   <Command PSGuid=pid> then <Data>; Send on `pr` → Stream PromptResponse;
//   crtl_c → <Signal>; terminate and the pipeline's end → <Close>; Delete → <Close PSGuid=0>.
// Connect from another client (connectXml) goes to the engine's own
// ExecuteConnect through the test host's side channel (harness-connect.ts).

import { LineSplitter, OutOfProcChannel, OutOfProcTransportError, POOL_GUID, spawnServer, type OutOfProcConnection } from '../transport/outofproc/index.js';
import type { OutgoingPayload } from '../psrp/index.js';
import { RemoteProtocolError, TimeoutError, UsageError } from '../errors.js';
import { harnessConnectRequest, parseHarnessReply, type HarnessReply } from './harness-connect.js';
import { PipelineEndWatch } from './pipeline-end.js';

export interface DataTarget {
  /** The pipeline (lower-case id) the data belongs to; none for the pool. */
  readonly pipelineId?: string | undefined;
  /** The data creates the pipeline (WSMan Command arguments). */
  readonly create?: boolean;
  /** Host responses (WSMan stream `pr`). */
  readonly prompt?: boolean;
}

/** What the endpoint needs from a PowerShell engine (scripted or real). */
export interface PowerShellEngine {
  onPayload: (payload: OutgoingPayload) => void;
  onPipelineDone: (pipelineId: string) => void;
  receive(data: Uint8Array, target?: DataTarget): void;
  stop(pipelineId: string): void;
  /** The engine died or broke the protocol: the shell cannot go on. */
  onFailure?: (reason: string) => void;
  /** The client released the command (Signal terminate). */
  release?(pipelineId: string): void;
  /** Stop producing output until resume() (an outbox of the shell is full); engines that cannot pause leave these out. */
  pause?(): void;
  resume?(): void;
  /** Bytes written to the engine that it has not read yet. */
  inputBacklog?(): number;
  /** Pipelines the engine tracks now and the bytes it buffers for them (the endpoint's stats). */
  held?(): { readonly pipelines: number; readonly bufferedBytes: number };
  close(): void;
}

/**
 * The .NET garbage collector's setting for the engines the endpoint starts,
 * unless the endpoint's own environment names one. With the default (0) a pwsh
 * engine moving a file grew 110–220 MiB above idle whatever was sent: every
 * 1–2 MB `<Data>` line, its bytes and its CLIXML are large-object-heap
 * allocations, which .NET frees only in gen-2 collections, and it keeps the heap
 * it grew. 9 (compact that heap when it is fragmented) held the same copies to
 * +77–108 MiB (BENCHMARKS.md, "engine memory"). An endpoint serving many users'
 * engines on one machine wants that; set DOTNET_GCConserveMemory=0 to opt out.
 */
export const ENGINE_GC_CONSERVE_MEMORY = '9';

/** `env` with the engine's GC setting added where the caller did not choose one (either spelling .NET reads). */
export function engineProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const chosen = Object.keys(env).some((k) => /^(DOTNET|COMPlus)_GCConserveMemory$/i.test(k));
  return chosen ? env : { ...env, DOTNET_GCConserveMemory: ENGINE_GC_CONSERVE_MEMORY };
}

/** How long a Connect waits for the engine's answer (ExecuteConnect itself takes milliseconds). */
export const CONNECT_TIMEOUT_MS = 30_000;

interface PendingConnect {
  readonly resolve: (reply: HarnessReply) => void;
  readonly reject: (e: Error) => void;
}

export class RealEngine implements PowerShellEngine {
  onPayload: PowerShellEngine['onPayload'] = () => undefined;
  onPipelineDone: PowerShellEngine['onPipelineDone'] = () => undefined;
  onFailure: (reason: string) => void = () => undefined;
  readonly #conn: OutOfProcConnection;
  readonly #channel = new OutOfProcChannel();
  readonly #lines = new LineSplitter();
  readonly #watches = new Map<string, PipelineEndWatch>();
  #closed = false;
  #connect: PendingConnect | undefined;
  /** Connect requests go one at a time: the replies carry no id. */
  #connectQueue: Promise<unknown> = Promise.resolve();
  /** Why the engine process ended, when it ended unasked. */
  failure: string | undefined;

  /** `env`: the engine process's environment (default the endpoint's own). */
  constructor(command: string | readonly string[], options: { readonly env?: NodeJS.ProcessEnv } = {}) {
    this.#conn = spawnServer(command, { env: engineProcessEnv(options.env ?? process.env) });
    this.#conn.input.on('data', (chunk: Buffer) => this.#fromServer(chunk));
    void this.#conn.ended.then((d) => {
      if (this.#closed) return;
      this.#fail(`the PowerShell engine ${d.peer} exited (${d.exitCode ?? d.signal}): ${d.stderr ?? ''}`.trim());
    });
  }

  receive(data: Uint8Array, target: DataTarget = {}): void {
    if (this.#closed) return;
    const guid = target.pipelineId?.toLowerCase() ?? POOL_GUID;
    if (target.create && guid !== POOL_GUID) this.#channel.command(guid);
    this.#channel.sendData(guid, target.prompt ? 'PromptResponse' : 'Default', data);
    this.#flush();
  }

  /**
   * Connect-PSSession from another client: connectXml (SESSION_CAPABILITY +
   * CONNECT_RUNSPACEPOOL) to the engine's ExecuteConnect; resolves with the
   * connectResponseXml (SESSION_CAPABILITY + RUNSPACEPOOL_INIT_DATA). The engine
   * then sends APPLICATION_PRIVATE_DATA on the pool's data, as after an open.
   * Rejects with a UsageError when the engine has no connect hook (`pwsh -s`),
   * a RemoteProtocolError with the engine's own message when it refuses, a
   * TimeoutError when it does not answer, an OutOfProcTransportError when it is gone.
   */
  connect(connectXml: Uint8Array, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Uint8Array> {
    const run = this.#connectQueue.then(() => this.#connectOnce(connectXml, timeoutMs));
    this.#connectQueue = run.catch(() => undefined);
    return run;
  }

  async #connectOnce(connectXml: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (this.#closed || this.failure !== undefined) {
      throw new OutOfProcTransportError('PSR_PEER_EXITED', `the PowerShell engine is gone${this.failure ? `: ${this.failure}` : ''}`, { peer: this.#conn.peer });
    }
    if (connectXml.length === 0) throw new UsageError('Connect: connectXml is empty');
    let timer: NodeJS.Timeout | undefined;
    const reply = await new Promise<HarnessReply>((resolve, reject) => {
      this.#connect = { resolve, reject };
      timer = setTimeout(() => reject(new TimeoutError(`the PowerShell engine did not answer Connect within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      this.#conn.output.write(`${harnessConnectRequest(connectXml)}\n`);
    }).finally(() => {
      clearTimeout(timer);
      this.#connect = undefined;
    });
    switch (reply.kind) {
      case 'response':
        return reply.data;
      case 'unsupported':
        throw new UsageError(
          `Connect from another client is not supported by this engine (${this.#conn.peer}): PowerShell's OutOfProc server has no connect path; ` +
            'run the test peer host (its connect hook calls the engine\'s ExecuteConnect), or Reconnect from the client that disconnected',
        );
      case 'error':
        throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `the PowerShell engine refused Connect: ${reply.message}`);
    }
  }

  stop(pipelineId: string): void {
    if (this.#closed || this.#channel.isClosing(pipelineId)) return;
    this.#channel.signal(pipelineId);
    this.#flush();
  }

  held(): { pipelines: number; bufferedBytes: number } {
    return { pipelines: this.#watches.size, bufferedBytes: 0 };
  }

  release(pipelineId: string): void {
    this.#closePipeline(pipelineId);
  }

  // Backpressure: stop reading the engine's stdout; its writes then block once the pipe is full.
  pause(): void {
    this.#conn.input.pause();
  }

  resume(): void {
    if (!this.#closed) this.#conn.input.resume();
  }

  inputBacklog(): number {
    return this.#conn.output.writableLength;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connect?.reject(new OutOfProcTransportError('PSR_PEER_EXITED', 'the shell was closed during Connect', { peer: this.#conn.peer }));
    try {
      this.#channel.close(POOL_GUID);
      this.#flush();
    } catch {
      // the process is gone already
    }
    void this.#conn.shutdown(2_000);
  }

  #closePipeline(pipelineId: string): void {
    if (this.#closed || this.#channel.isClosing(pipelineId)) return;
    try {
      this.#channel.close(pipelineId);
      this.#flush();
    } catch {
      // never created (no Command was sent): nothing to close
    }
  }

  #fromServer(chunk: Buffer): void {
    try {
      for (const line of this.#lines.push(chunk)) {
        const reply = parseHarnessReply(line);
        if (!reply) this.#channel.receiveLine(line);
        else if (this.#connect) this.#connect.resolve(reply);
        else throw new RemoteProtocolError('PSR_OUTOFPROC_INVALID', `a connect reply nobody asked for: ${line.slice(0, 80)}`);
      }
    } catch (e) {
      this.#fail(`the PowerShell engine broke the OutOfProc framing: ${(e as Error).message}`);
      this.close();
      return;
    }
    for (let ev = this.#channel.nextEvent(); ev; ev = this.#channel.nextEvent()) {
      if (ev.type === 'serverError') this.#fail(`the PowerShell engine reported: ${ev.message}`);
      if (ev.type !== 'data') continue;
      const pipelineId = ev.psGuid === POOL_GUID ? undefined : ev.psGuid;
      this.onPayload({ data: ev.payload, streamType: 'default', ...(pipelineId ? { pipelineId } : {}) });
      if (pipelineId && this.#finishes(pipelineId, ev.payload)) {
        this.onPipelineDone(pipelineId);
        this.#closePipeline(pipelineId);
      }
    }
    this.#flush();
  }

  /** Whether this pipeline data holds its final PIPELINE_STATE. */
  #finishes(pipelineId: string, payload: Uint8Array): boolean {
    let w = this.#watches.get(pipelineId);
    if (!w) this.#watches.set(pipelineId, (w = new PipelineEndWatch()));
    try {
      if (!w.feed(payload)) return false;
    } catch (e) {
      this.#fail(`the PowerShell engine sent malformed pipeline data: ${(e as Error).message}`);
      return false;
    }
    this.#watches.delete(pipelineId);
    return true;
  }

  #fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.#connect?.reject(new OutOfProcTransportError('PSR_PEER_EXITED', reason, { peer: this.#conn.peer }));
    this.onFailure(reason);
  }

  #flush(): void {
    const out = this.#channel.takeOutputBytes();
    if (out && !this.#conn.output.destroyed) this.#conn.output.write(out);
  }
}
