// The two kinds of client pipeline (MS-PSRP 3.1.4.3-3.1.4.5): ClientPowerShell
// builds and starts a CREATE_PIPELINE, streams input and answers host calls;
// ClientGetCommandMetadata sends GET_COMMAND_METADATA. What they share (state,
// received events, host calls) is ClientPipelineBase in client-pipeline.ts.

import { UsageError } from '../errors.js';
import { ClientPipelineBase } from './client-pipeline.js';
import type { ClientRunspacePool } from './client-pool.js';
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
import { featureSupported } from './states.js';

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
