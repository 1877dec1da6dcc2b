// The options and events of a RunspacePool and of one invocation on it, and
// the PSRP core's options they make.

import { randomUUID } from 'node:crypto';
import type { PSInput } from '../clixml/index.js';
import type { ClientRunspacePoolOptions, RsaKeyPair } from '../psrp/index.js';
import type { PSHost } from './host/host.js';
import { hostInfoFor } from './host/raw-ui.js';

export interface RunspacePoolOptions {
  /** RunspacePool id (default random); over WSMan the ShellId is its upper-case form. */
  readonly runspacePoolId?: string;
  readonly minRunspaces?: number;
  readonly maxRunspaces?: number;
  /** PSRP version we advertise (default 2.3, as PowerShell 5.1 and 7 clients do). */
  readonly protocolVersion?: string;
  readonly applicationArguments?: PSInput;
  /** First call id for runspace-pool calls (pypsrp starts at 0; replaying its recordings needs that). */
  readonly firstCallId?: bigint;
  /** Answers host calls (Read-Host, prompts); default: NonInteractiveHost. */
  readonly host?: PSHost;
  /**
   * RSA-2048 key pair for the SecureString key exchange (protocol 2.2/2.3);
   * default: one is generated when first needed.
   */
  readonly keyPair?: RsaKeyPair;
  /** How long to wait for the server's ENCRYPTED_SESSION_KEY (default 60 s). */
  readonly keyExchangeTimeoutMs?: number;
  /**
   * Close the pool on the server when the process exits normally and the pool is
   * still Opened (default true). Disconnected pools are always left on the server.
   */
  readonly closeOnExit?: boolean;
  readonly signal?: AbortSignal;
}

export interface InvokeOptions {
  /** Objects streamed into the pipeline's input ($input). */
  readonly input?: AsyncIterable<PSInput> | Iterable<PSInput>;
  /** Host for this pipeline's host calls (default: the pool's). */
  readonly host?: PSHost;
  /** Pipeline id (default random). */
  readonly pipelineId?: string;
  readonly addToHistory?: boolean;
  /**
   * A nested pipeline (IsNested): runs in the runspace while another pipeline is
   * busy there, as a host's nested prompt or a debugger does.
   */
  readonly nested?: boolean;
  /** Default true, as PowerShell's client: statement errors are written and the script goes on. */
  readonly redirectShellErrorOutputPipe?: boolean;
  readonly signal?: AbortSignal;
  /**
   * Leave the output on the server (Invoke-Command -InDisconnectedSession): no
   * Receive is made for this pipeline; disconnect, and collect it later with receive().
   */
  readonly inDisconnectedSession?: boolean;
  /**
   * Hand each output object to the one reader that iterates the invocation and
   * keep none (result().output is then empty): memory stays flat however long
   * the output is (file transfer streams gigabytes through one pipeline).
   */
  readonly streamOutput?: boolean;
}

export type ScriptOrCommand =
  | string
  | { readonly command: string; readonly parameters?: Readonly<Record<string, PSInput>>; readonly arguments?: readonly PSInput[] }
  /**
   * A script with a param() block, given its parameters as values (AddScript + AddParameter), not spliced into its text.
   * `useLocalScope`: run it in a scope of its own (AddScript(script, true)), so that its variables, typed parameters
   * included, do not stay in the runspace's global scope for the next pipeline.
   */
  | { readonly script: string; readonly parameters?: Readonly<Record<string, PSInput>>; readonly arguments?: readonly PSInput[]; readonly useLocalScope?: boolean };

/**
 * What a RunspacePool holds right now (RunspacePool.stats()). Every count is of
 * work in progress: once a pipeline has ended and its results were handed to
 * the invocation, nothing here counts it, however many pipelines the pool ran.
 */
export interface RunspacePoolStats {
  /** Pipelines started (or attached) and not finished. */
  readonly openPipelines: number;
  /** Pipelines the PSRP core still tracks (created and not closed). */
  readonly corePipelines: number;
  /** Runspace-pool calls (SET_MAX_RUNSPACES, GET_AVAILABLE_RUNSPACES, …) waiting for their answer. */
  readonly pendingCalls: number;
  /** Host calls received and not answered yet, of the pool and of its pipelines. */
  readonly pendingHostCalls: number;
  /** PSRP messages queued to send and not sent completely. */
  readonly pendingMessages: number;
  /** Messages received and not processed yet: reassembled and waiting, or half-reassembled. */
  readonly receivedMessages: number;
  /** Bytes of the messages above: queued to send, received and not processed, half-reassembled. */
  readonly bufferedBytes: number;
  /** Outgoing queues (one per pipeline and stream with something to send). */
  readonly outgoingQueues: number;
  /** Pipelines the carrier follows (WSMan: a Receive loop per command; -1 if the carrier does not tell). */
  readonly carrierPipelines: number;
  /** Waits that keep the Node process alive (opening, calls, pipelines). */
  readonly processHolds: number;
}

/** What a pool tells about its connection, as PowerShell's robust connections do. */
export interface RunspacePoolEvents {
  /** The network failed; Receives are retried quietly for the retry window. */
  networkInterrupted: [error: Error];
  /** The network came back within the window. */
  networkResumed: [];
  /**
   * The network stayed down for the whole window: the pool is Disconnected on
   * this side (pipelines too) and kept by the server; call reconnect() later.
   */
  disconnected: [error: Error];
}


/** The PSRP core's options for a pool opened with `options` and `host`. */
export function coreOptions(options: RunspacePoolOptions, host: PSHost): ClientRunspacePoolOptions {
  return {
    runspacePoolId: options.runspacePoolId ?? randomUUID(),
    ...(options.minRunspaces !== undefined ? { minRunspaces: options.minRunspaces } : {}),
    ...(options.maxRunspaces !== undefined ? { maxRunspaces: options.maxRunspaces } : {}),
    ...(options.protocolVersion !== undefined ? { protocolVersion: options.protocolVersion } : {}),
    ...(options.applicationArguments !== undefined ? { applicationArguments: options.applicationArguments } : {}),
    ...(options.firstCallId !== undefined ? { firstCallId: options.firstCallId } : {}),
    ...(options.keyPair ? { keyPair: options.keyPair } : {}),
    // Pipelines declare their own host (hostInfoFor), not the pool's, so
    // their calls come as PIPELINE_HOST_CALL and InvokeOptions.host can differ.
    hostInfo: hostInfoFor(host.rawUI),
  };
}
