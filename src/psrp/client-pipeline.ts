// Client pipelines (MS-PSRP 3.1.4.3-3.1.4.5): ClientPowerShell builds and
// starts a CREATE_PIPELINE, streams input and answers host calls;
// ClientGetCommandMetadata sends GET_COMMAND_METADATA. Both only queue
// messages on their pool; stopping is a state change here and a signal the
// transport sends (WSMan Signal crtl_c, OutOfProc <Signal>).

import { LimitError, RemoteProtocolError, UsageError } from '../errors.js';

const MAX_PENDING_HOST_CALLS = 4096;
import { normalizeGuid } from '../util/guid.js';
import type { ClientRunspacePool } from './client-pool.js';
import { NO_RESPONSE_CALL_ID, hostMethodReturnsValue } from './messages.js';
import type { PsrpEvent } from './events.js';
import {
  CommandTypes,
  PipelineResultTypes,
  RemoteStreamOptions,
  type CommandParameter,
  type CommandSpec,
  type HostInfo,
  type PipelineSpec,
  type PSInput,
  type PSValue,
} from './message-types.js';
import {
  CLIENT_PIPELINE_ACTIONS,
  PSInvocationState,
  featureSupported,
  guardPipeline,
  isTerminalPipelineState,
} from './states.js';

interface PendingHostCall {
  readonly methodId: number;
  readonly methodName: string;
}

export abstract class ClientPipelineBase {
  readonly pool: ClientRunspacePool;
  /** Lower-case GUID (WSMan CommandId is its upper-case form). */
  readonly pipelineId: string;
  protected _state: PSInvocationState = PSInvocationState.NotStarted;
  /** ErrorRecord from the final PIPELINE_STATE, if any. */
  protected _error: PSValue | undefined = undefined;
  readonly #hostCalls = new Map<bigint, PendingHostCall>();

  constructor(pool: ClientRunspacePool, pipelineId: string) {
    this.pool = pool;
    this.pipelineId = normalizeGuid(pipelineId);
    pool._register(this);
  }

  get state(): PSInvocationState {
    return this._state;
  }

  /** The ErrorRecord that came with a Failed/Stopped state. */
  get error(): PSValue | undefined {
    return this._error;
  }

  /** Host calls received and not answered yet. */
  get pendingHostCalls(): ReadonlyMap<bigint, PendingHostCall> {
    return this.#hostCalls;
  }

  protected guard(action: keyof typeof CLIENT_PIPELINE_ACTIONS): void {
    guardPipeline(CLIENT_PIPELINE_ACTIONS, action, this._state);
  }

  /** Queue the creating message (CREATE_PIPELINE or GET_COMMAND_METADATA). */
  start(): void {
    this.guard('start');
    this.pool._guardCreatePipeline();
    this.queueCreate();
    this._state = PSInvocationState.Running;
    this._error = undefined;
  }

  protected abstract queueCreate(): void;

  /**
   * Attach to a pipeline that already runs on the server (after the pool's
   * connect(): Receive-PSSession, C5 3d). Nothing is sent; the transport
   * connects the command and receives its output.
   */
  connect(): void {
    this.guard('connect');
    this.pool._guardCreatePipeline();
    this._state = PSInvocationState.Running;
  }

  /**
   * Mark the pipeline Stopping (3.1.4.4). The transport sends the stop signal;
   * the server answers with PIPELINE_STATE Stopped.
   */
  beginStop(): void {
    this.guard('beginStop');
    this._state = PSInvocationState.Stopping;
  }

  /** Answer a PIPELINE_HOST_CALL (3.1.5.4.28) on the prompt-response stream. */
  hostResponse(ci: bigint, answer: { result?: PSInput; error?: PSInput }): void {
    this.guard('hostResponse');
    const call = this.#hostCalls.get(ci);
    if (call === undefined) {
      throw new UsageError(`no pipeline host call with ci ${ci} is waiting for a response (void methods take none)`);
    }
    this.#hostCalls.delete(ci);
    this.pool._queue(
      'PipelineHostResponse',
      { ci, methodId: call.methodId, methodName: call.methodName, result: answer.result, error: answer.error },
      this.pipelineId,
      'promptResponse',
    );
  }

  /** Forget the pipeline (after it finished, or before it started). */
  close(): void {
    this.guard('close');
    this.pool._unregister(this);
  }

  /** @internal */
  _process(event: PsrpEvent): void {
    if (this._state === PSInvocationState.NotStarted) {
      throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `${event.type} for pipeline ${this.pipelineId}, which was not started`, {
        where: 'client pipeline',
      });
    }
    switch (event.type) {
      case 'PipelineState':
        if (!Number.isInteger(event.state) || event.state < 0 || event.state > 6) {
          throw new RemoteProtocolError('PSR_PSRP_PROTOCOL', `PIPELINE_STATE with unknown state ${event.state}`, {
            where: `client pipeline ${this.pipelineId}`,
          });
        }
        if (isTerminalPipelineState(this._state)) return; // 3.1.5.4.21: ignored unless running
        this._state = event.state as PSInvocationState;
        if (event.error !== undefined) this._error = event.error;
        return;
      case 'PipelineHostCall':
        // Void methods (ci -100 on Windows) must not be answered (2.2.3.17).
        if (hostMethodReturnsValue(event.methodId) && event.ci !== NO_RESPONSE_CALL_ID) {
          if (this.#hostCalls.size >= MAX_PENDING_HOST_CALLS) {
            throw new LimitError('unanswered host calls', MAX_PENDING_HOST_CALLS, this.#hostCalls.size + 1, 'client host calls');
          }
          this.#hostCalls.set(event.ci, { methodId: event.methodId, methodName: event.methodName });
        }
        return;
      default:
        return;
    }
  }

  /** @internal */
  _poolGone(): void {
    if (!isTerminalPipelineState(this._state) && this._state !== PSInvocationState.NotStarted) {
      this._state = PSInvocationState.Stopped;
    }
  }

  /** @internal */
  _disconnected(): void {
    if (this._state === PSInvocationState.Running || this._state === PSInvocationState.Stopping) {
      this._state = PSInvocationState.Disconnected;
    }
  }

  /** @internal */
  _reconnected(): void {
    if (this._state === PSInvocationState.Disconnected) this._state = PSInvocationState.Running;
  }
}

export interface ClientPowerShellOptions {
  pipelineId: string;
  /** False when input will be streamed with sendInput() (default true). */
  noInput?: boolean;
  addToHistory?: boolean;
  isNested?: boolean;
  apartmentState?: number;
  remoteStreamOptions?: number;
  /** Default: the pool's HostInfo. */
  hostInfo?: HostInfo;
  history?: string | null;
  redirectShellErrorOutputPipe?: boolean;
}

type MergeStream = 'Error' | 'Warning' | 'Verbose' | 'Debug' | 'Information' | 'All';

function newCommand(command: string, isScript: boolean, useLocalScope: boolean | null): CommandSpec {
  return {
    command,
    isScript,
    useLocalScope,
    parameters: [],
    mergeMyResult: PipelineResultTypes.None,
    mergeToResult: PipelineResultTypes.None,
    mergePreviousResults: PipelineResultTypes.None,
    mergeError: PipelineResultTypes.None,
    mergeWarning: PipelineResultTypes.None,
    mergeVerbose: PipelineResultTypes.None,
    mergeDebug: PipelineResultTypes.None,
    mergeInformation: PipelineResultTypes.None,
  };
}

/** A PowerShell pipeline: commands, scripts, parameters and statements. */
export class ClientPowerShell extends ClientPipelineBase {
  readonly #options: Required<Omit<ClientPowerShellOptions, 'hostInfo' | 'pipelineId'>> & { hostInfo: HostInfo };
  #statements: CommandSpec[][] = [[]];

  constructor(pool: ClientRunspacePool, options: ClientPowerShellOptions) {
    super(pool, options.pipelineId);
    this.#options = {
      noInput: options.noInput ?? true,
      addToHistory: options.addToHistory ?? false,
      isNested: options.isNested ?? false,
      apartmentState: options.apartmentState ?? 2,
      remoteStreamOptions: options.remoteStreamOptions ?? RemoteStreamOptions.AddInvocationInfo,
      hostInfo: options.hostInfo ?? pool.hostInfo,
      history: options.history ?? null,
      redirectShellErrorOutputPipe: options.redirectShellErrorOutputPipe ?? false,
    };
  }

  get noInput(): boolean {
    return this.#options.noInput;
  }

  /** The pipeline as it will be (or was) sent. */
  get pipelineSpec(): PipelineSpec {
    return {
      isNested: this.#options.isNested,
      statements: this.#statements.filter((s) => s.length > 0),
      history: this.#options.history,
      redirectShellErrorOutputPipe: this.#options.redirectShellErrorOutputPipe,
    };
  }

  #current(): CommandSpec[] {
    return this.#statements[this.#statements.length - 1]!;
  }

  #last(action: string): CommandSpec {
    const cmds = this.#current();
    const c = cmds[cmds.length - 1];
    if (c === undefined) throw new UsageError(`${action} needs a command first (addCommand or addScript)`);
    return c;
  }

  #replaceLast(c: CommandSpec): void {
    const cmds = this.#current();
    cmds[cmds.length - 1] = c;
  }

  /** Add a command (cmdlet, function, alias, application) to the current statement. */
  addCommand(name: string, options: { useLocalScope?: boolean } = {}): this {
    this.guard('modify');
    if (name.length === 0) throw new UsageError('command name is empty');
    this.#current().push(newCommand(name, false, options.useLocalScope ?? null));
    return this;
  }

  /** Add a script block text as a command. */
  addScript(script: string, options: { useLocalScope?: boolean } = {}): this {
    this.guard('modify');
    this.#current().push(newCommand(script, true, options.useLocalScope ?? null));
    return this;
  }

  /** Add a whole command spec (e.g. one decoded from a recording). */
  addCommandSpec(spec: CommandSpec): this {
    this.guard('modify');
    this.#current().push({ ...spec, parameters: [...spec.parameters] });
    return this;
  }

  /** Add a named parameter to the last command. Pass `true` for a switch. */
  addParameter(name: string, value: PSInput = true): this {
    this.guard('modify');
    const c = this.#last('addParameter');
    const p: CommandParameter = { name, value };
    this.#replaceLast({ ...c, parameters: [...c.parameters, p] });
    return this;
  }

  addParameters(parameters: Readonly<Record<string, PSInput>>): this {
    for (const [k, v] of Object.entries(parameters)) this.addParameter(k, v);
    return this;
  }

  /** Add a positional argument to the last command. */
  addArgument(value: PSInput): this {
    this.guard('modify');
    const c = this.#last('addArgument');
    this.#replaceLast({ ...c, parameters: [...c.parameters, { name: null, value }] });
    return this;
  }

  /** End the current statement; later commands form a new one (PowerShell.AddStatement). */
  addStatement(): this {
    this.guard('modify');
    if (this.#current().length > 0) this.#statements.push([]);
    return this;
  }

  /**
   * Merge a stream of the last command into its output (2>&1 and friends).
   * 'Error' also sets the legacy MergeMyResult/MergeToResult pair.
   */
  mergeToOutput(stream: MergeStream): this {
    this.guard('modify');
    const c = this.#last('mergeToOutput');
    const out = PipelineResultTypes.Output;
    const all = stream === 'All';
    this.#replaceLast({
      ...c,
      mergeMyResult: stream === 'Error' || all ? PipelineResultTypes.Error : c.mergeMyResult,
      mergeToResult: stream === 'Error' || all ? out : c.mergeToResult,
      mergeError: stream === 'Error' || all ? out : c.mergeError,
      mergeWarning: stream === 'Warning' || all ? out : c.mergeWarning,
      mergeVerbose: stream === 'Verbose' || all ? out : c.mergeVerbose,
      mergeDebug: stream === 'Debug' || all ? out : c.mergeDebug,
      mergeInformation: stream === 'Information' || all ? out : c.mergeInformation,
    });
    return this;
  }

  /** Merge output and errors of the previous commands into this command's input. */
  mergePreviousResults(): this {
    this.guard('modify');
    const c = this.#last('mergePreviousResults');
    this.#replaceLast({ ...c, mergePreviousResults: PipelineResultTypes.Output | PipelineResultTypes.Error });
    return this;
  }

  protected queueCreate(): void {
    const spec = this.pipelineSpec;
    if (spec.statements.length === 0) throw new UsageError('the pipeline has no commands');
    const info = featureSupported('InformationStream', this.pool.protocolVersion);
    const statements = info
      ? spec.statements
      : spec.statements.map((s) => s.map((c) => ({ ...c, mergeInformation: undefined })));
    this.pool._queue(
      'CreatePipeline',
      {
        noInput: this.#options.noInput,
        apartmentState: this.#options.apartmentState,
        remoteStreamOptions: this.#options.remoteStreamOptions,
        addToHistory: this.#options.addToHistory,
        hostInfo: this.#options.hostInfo,
        pipeline: { ...spec, statements },
        isNested: this.#options.isNested,
      },
      this.pipelineId,
    );
  }

  /** Queue one PIPELINE_INPUT object (3.1.5.4.17). Needs noInput: false. */
  sendInput(value: PSInput): void {
    this.guard('sendInput');
    if (this.#options.noInput) throw new UsageError('the pipeline was created with noInput: true');
    this.pool._queue('PipelineInput', { value }, this.pipelineId);
  }

  /** Queue END_OF_PIPELINE_INPUT (3.1.5.4.18). */
  sendEnd(): void {
    this.guard('sendEnd');
    if (this.#options.noInput) throw new UsageError('the pipeline was created with noInput: true');
    this.pool._queue('EndOfPipelineInput', {}, this.pipelineId);
  }
}

export interface ClientGetCommandMetadataOptions {
  pipelineId: string;
  /** Wildcard patterns (default ['*']). */
  name?: readonly string[] | null;
  /** CommandTypes flags (default Alias|Function|Filter|Cmdlet = 15). */
  commandType?: number;
  namespace?: readonly string[] | null;
  argumentList?: readonly PSInput[] | null;
}

/**
 * GET_COMMAND_METADATA (3.1.4.5). The answers arrive as PipelineOutput events
 * (first a CommandMetadataCount, then one CommandMetadata each) and a final
 * PipelineState.
 */
export class ClientGetCommandMetadata extends ClientPipelineBase {
  readonly #options: Required<Omit<ClientGetCommandMetadataOptions, 'pipelineId'>>;

  constructor(pool: ClientRunspacePool, options: ClientGetCommandMetadataOptions) {
    super(pool, options.pipelineId);
    this.#options = {
      name: options.name ?? ['*'],
      commandType:
        options.commandType ?? CommandTypes.Alias | CommandTypes.Function | CommandTypes.Filter | CommandTypes.Cmdlet,
      namespace: options.namespace ?? null,
      argumentList: options.argumentList ?? null,
    };
  }

  protected queueCreate(): void {
    this.pool._queue('GetCommandMetadata', { ...this.#options }, this.pipelineId);
  }
}
