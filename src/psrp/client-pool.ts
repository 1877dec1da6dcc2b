// The client side of a RunspacePool (MS-PSRP 3.1). Actions only queue
// messages; the transport pulls them with dataToSend() and feeds replies to
// receiveData(). Pipelines (client-pipeline.ts) register themselves here and
// receive the events addressed to them.

import { RemoteProtocolError, UsageError } from '../errors.js';
import { checkRunspaceCounts, type ClientRunspacePoolOptions, type PendingCall, type PoolCallKind, type RsaKeyPair } from './client-pool-options.js';
import { assertNever, type PsrpEvent } from './events.js';
import { HostCallTable, type PendingHostCall } from './host-call-table.js';
import {
  SessionKeyCipher,
  decryptSessionKeyBlob,
  exportPublicKeyBlob,
} from './key-exchange.js';
import type { MessageTypeName } from './message.js';
import { NULL_HOST_INFO, type HostInfo, type MessageBodies, type PSInput, type PSValue } from './message-types.js';
import { PoolCore, type StreamType } from './pool-core.js';
import {
  CLIENT_POOL_ACTIONS,
  InvalidProtocolVersionError,
  RunspacePoolState,
  featureSupported,
  guardPool,
  parseVersion,
  runspacePoolStateName,
  serverCapabilityProblem,
  type FeatureName,
} from './states.js';
import type { ClientPipelineBase } from './client-pipeline.js';
import { isPipelineEvent, type PipelineEvent } from './pipeline-link.js';

export type { ClientRunspacePoolOptions, PoolCallKind, RsaKeyPair } from './client-pool-options.js';

export class ClientRunspacePool extends PoolCore {
  readonly role = 'client' as const;
  readonly hostInfo: HostInfo;
  #keyPair: RsaKeyPair | undefined;
  #publicKeySent = false;
  #applicationPrivateData: PSValue = null;
  #nextCallId = 1n;
  readonly #calls = new Map<bigint, PendingCall>();
  readonly #hostCalls = new HostCallTable();
  readonly #pipelines = new Map<string, ClientPipelineBase>();

  constructor(options: ClientRunspacePoolOptions) {
    super(options);
    this._minRunspaces = options.minRunspaces ?? 1;
    this._maxRunspaces = options.maxRunspaces ?? 1;
    checkRunspaceCounts(this._minRunspaces, this._maxRunspaces);
    this._threadOptions = options.threadOptions ?? 0;
    this._apartmentState = options.apartmentState ?? 2;
    this.hostInfo = options.hostInfo ?? NULL_HOST_INFO;
    this._applicationArguments = options.applicationArguments ?? null;
    this.#keyPair = options.keyPair;
    this.#nextCallId = options.firstCallId ?? 1n;
  }

  /** APPLICATION_PRIVATE_DATA from the server (null until received). */
  get applicationPrivateData(): PSValue {
    return this.#applicationPrivateData;
  }
  /** Pipelines created on this pool and not closed yet, by lower-case id. */
  get pipelines(): ReadonlyMap<string, ClientPipelineBase> {
    return this.#pipelines;
  }
  /** Call ids sent and not answered yet. */
  get pendingCalls(): ReadonlyMap<bigint, PendingCall> {
    return this.#calls;
  }
  /** Host calls (pool level) received and not answered yet. */
  get pendingHostCalls(): ReadonlyMap<bigint, PendingHostCall> {
    return this.#hostCalls.pending;
  }

  #guard(action: keyof typeof CLIENT_POOL_ACTIONS): void {
    guardPool(CLIENT_POOL_ACTIONS, action, this._state);
  }

  // -------------------------------------------------------------------------
  // actions

  /** Queue SESSION_CAPABILITY + INIT_RUNSPACEPOOL (3.1.4.1). */
  open(): void {
    this.#guard('open');
    this.queue('SessionCapability', this.ourCapability);
    this.queue('InitRunspacePool', {
      minRunspaces: this._minRunspaces,
      maxRunspaces: this._maxRunspaces,
      threadOptions: this._threadOptions,
      apartmentState: this._apartmentState,
      hostInfo: this.hostInfo,
      applicationArguments: this._applicationArguments,
    });
    this._state = RunspacePoolState.NegotiationSent;
  }

  /**
   * Queue SESSION_CAPABILITY + CONNECT_RUNSPACEPOOL to attach to a pool that
   * exists on the server (3.1.4.10.3). Both must travel in one payload
   * (WSMan connectXml). Pass the counts only to change them.
   */
  connect(options: { minRunspaces?: number; maxRunspaces?: number } = {}): void {
    this.#guard('connect');
    const parsed = parseVersion(this.ourCapability.protocolVersion)!;
    if (parsed[1]! < 2) throw new InvalidProtocolVersionError('connect', 'Connect', this.ourCapability.protocolVersion);
    if (options.minRunspaces !== undefined || options.maxRunspaces !== undefined) {
      checkRunspaceCounts(options.minRunspaces ?? this._minRunspaces, options.maxRunspaces ?? this._maxRunspaces);
    }
    this._theirCapability = undefined;
    this.queue('SessionCapability', this.ourCapability);
    this.queue('ConnectRunspacePool', {
      minRunspaces: options.minRunspaces,
      maxRunspaces: options.maxRunspaces,
    });
    this._state = RunspacePoolState.Connecting;
  }

  /**
   * Start closing (3.1.4.2). Nothing is queued: the transport closes the shell
   * (WSMan Delete, OutOfProc Close) and then calls markClosed().
   */
  close(): void {
    if (this._state === RunspacePoolState.Closed || this._state === RunspacePoolState.BeforeOpen) {
      this._state = RunspacePoolState.Closed;
      return;
    }
    this.#guard('close');
    this._state = RunspacePoolState.Closing;
  }

  /** The transport confirmed the close. */
  markClosed(): void {
    this._state = RunspacePoolState.Closed;
    for (const p of this.#pipelines.values()) p._poolGone();
  }

  /** The transport lost the pool (or the layer above gave up on it). */
  markBroken(): void {
    this._state = RunspacePoolState.Broken;
    for (const p of this.#pipelines.values()) p._poolGone();
  }

  /** The transport disconnected the shell (WSMan Disconnect, 3.1.4.9). */
  markDisconnected(): void {
    this.#guard('disconnect');
    this._state = RunspacePoolState.Disconnected;
    for (const p of this.#pipelines.values()) p._disconnected();
  }

  /** The transport reconnected the shell (WSMan Reconnect, 3.1.4.10.2). */
  markReconnected(): void {
    this.#guard('reconnect');
    this._state = RunspacePoolState.Opened;
    for (const p of this.#pipelines.values()) p._reconnected();
  }

  #callId(kind: PoolCallKind, value?: number): bigint {
    const ci = this.#nextCallId++;
    this.#calls.set(ci, { kind, value });
    return ci;
  }

  /**
   * Change MaxRunspaces. Before open() only the local value changes (and
   * undefined is returned); once opened SET_MAX_RUNSPACES is queued and its
   * call id returned. The server answers with RUNSPACE_AVAILABILITY.
   */
  setMaxRunspaces(value: number): bigint | undefined {
    this.#guard('setMaxRunspaces');
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`MaxRunspaces must be a positive integer, got ${value}`);
    if (this._state === RunspacePoolState.BeforeOpen) {
      if (value < this._minRunspaces) throw new UsageError(`MaxRunspaces ${value} is below MinRunspaces ${this._minRunspaces}`);
      this._maxRunspaces = value;
      return undefined;
    }
    const ci = this.#callId('SetMaxRunspaces', value);
    this.queue('SetMaxRunspaces', { ci, maxRunspaces: value });
    return ci;
  }

  /** Change MinRunspaces; see setMaxRunspaces. */
  setMinRunspaces(value: number): bigint | undefined {
    this.#guard('setMinRunspaces');
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`MinRunspaces must be a positive integer, got ${value}`);
    if (this._state === RunspacePoolState.BeforeOpen) {
      if (value > this._maxRunspaces) throw new UsageError(`MinRunspaces ${value} is above MaxRunspaces ${this._maxRunspaces}`);
      this._minRunspaces = value;
      return undefined;
    }
    const ci = this.#callId('SetMinRunspaces', value);
    this.queue('SetMinRunspaces', { ci, minRunspaces: value });
    return ci;
  }

  /** Queue GET_AVAILABLE_RUNSPACES; the answer is a RunspaceAvailability event with a bigint. */
  getAvailableRunspaces(): bigint {
    this.#guard('getAvailableRunspaces');
    const ci = this.#callId('GetAvailableRunspaces');
    this.queue('GetAvailableRunspaces', { ci });
    return ci;
  }

  /** Queue RESET_RUNSPACE_STATE (protocol 2.3+). */
  resetRunspaceState(): bigint {
    this.#guard('resetRunspaceState');
    this.requireFeature('reset the runspace state', 'ResetRunspaceState');
    const ci = this.#callId('ResetRunspaceState');
    this.queue('ResetRunspaceState', { ci });
    return ci;
  }

  /**
   * Start the session key exchange (3.1.4.8): queue PUBLIC_KEY. Needed before
   * sending a SecureString at protocol 2.2/2.3; refused at 2.4, which has no
   * exchange. Does nothing if a key is already in place or requested.
   */
  exchangeKey(keyPair?: RsaKeyPair): void {
    this.#guard('exchangeKey');
    this.requireFeature('exchange a session key', 'SessionKeyExchange');
    if (keyPair !== undefined) this.#keyPair = keyPair;
    if (this._cipher !== undefined || this.#publicKeySent) return;
    if (this.#keyPair === undefined) throw new UsageError('exchangeKey needs an RSA key pair (option keyPair)');
    this.#sendPublicKey();
  }

  #sendPublicKey(): void {
    const blob = exportPublicKeyBlob(this.#keyPair!.publicKey);
    this.queue('PublicKey', { publicKey: Buffer.from(blob).toString('base64') });
    this.#publicKeySent = true;
  }

  /** True after PUBLIC_KEY was queued and before ENCRYPTED_SESSION_KEY arrived. */
  get keyExchangePending(): boolean {
    return this.#publicKeySent && this._cipher === undefined;
  }

  /**
   * Answer a RUNSPACEPOOL_HOST_CALL (3.1.5.4.16). Give `result` for a method
   * with a return value or `error` (an ErrorRecord) when the host failed.
   * Travels on the prompt-response stream ("pr").
   */
  hostResponse(ci: bigint, answer: { result?: PSInput; error?: PSInput }): void {
    this.#guard('hostResponse');
    const call = this.#hostCalls.take(ci, 'pool');
    this.queue(
      'RunspacePoolHostResponse',
      { ci, methodId: call.methodId, methodName: call.methodName, result: answer.result, error: answer.error },
      undefined,
      'promptResponse',
    );
  }

  // -------------------------------------------------------------------------
  // pipeline plumbing (used by client-pipeline.ts)

  /** @internal */
  _register(p: ClientPipelineBase): void {
    if (this.#pipelines.has(p.pipelineId)) throw new UsageError(`pipeline ${p.pipelineId} already exists in this pool`);
    this.#pipelines.set(p.pipelineId, p);
  }

  /** @internal */
  _unregister(p: ClientPipelineBase): void {
    if (this.#pipelines.get(p.pipelineId) === p) this.#pipelines.delete(p.pipelineId);
  }

  /** @internal */
  _guardCreatePipeline(): void {
    this.#guard('createPipeline');
  }

  /** @internal */
  _requireFeature(action: string, feature: FeatureName): void {
    this.requireFeature(action, feature);
  }

  /** @internal */
  _queue<K extends MessageTypeName>(type: K, body: MessageBodies[K], pipelineId: string, stream: StreamType = 'default'): void {
    this.queue(type, body, pipelineId, stream);
  }

  // -------------------------------------------------------------------------
  // receiving

  protected processEvent(event: PsrpEvent): void {
    if (isPipelineEvent(event)) {
      // 3.1.5.4.21: PIPELINE_STATE addressed to the pool is ignored.
      if (event.type !== 'PipelineState' || event.pipelineId !== undefined) this.#route(event);
      return;
    }
    switch (event.type) {
      case 'SessionCapability':
        this.#onSessionCapability(event);
        return;
      case 'ApplicationPrivateData':
        this.#applicationPrivateData = event.data;
        return;
      case 'RunspacePoolState':
        // Ignored once Closed or Broken (3.1.5.4.9).
        if (this._state === RunspacePoolState.Closed || this._state === RunspacePoolState.Broken) return;
        if (!Number.isInteger(event.state) || event.state < 0 || event.state > 9) {
          throw this.protocolError(`RUNSPACEPOOL_STATE with unknown state ${event.state}`);
        }
        if (event.state === RunspacePoolState.Opened && this._theirCapability === undefined) {
          throw this.protocolError('RUNSPACEPOOL_STATE Opened arrived before SESSION_CAPABILITY');
        }
        this._state = event.state as RunspacePoolState;
        if (event.state === RunspacePoolState.Closed || event.state === RunspacePoolState.Broken) {
          for (const p of this.#pipelines.values()) p._poolGone();
        }
        return;
      case 'RunspacePoolInitData':
        if (this._state !== RunspacePoolState.Connecting && this._state !== RunspacePoolState.Opened) {
          throw this.protocolError(`RUNSPACEPOOL_INIT_DATA in state ${runspacePoolStateName(this._state)}`);
        }
        if (this._theirCapability === undefined) throw this.protocolError('RUNSPACEPOOL_INIT_DATA before SESSION_CAPABILITY');
        this._minRunspaces = event.minRunspaces;
        this._maxRunspaces = event.maxRunspaces;
        this._state = RunspacePoolState.Opened;
        return;
      case 'RunspaceAvailability': {
        const call = this.#calls.get(event.ci);
        if (call === undefined) throw this.protocolError(`RUNSPACE_AVAILABILITY for unknown ci ${event.ci}`);
        this.#calls.delete(event.ci);
        if (event.response === true && call.value !== undefined) {
          if (call.kind === 'SetMaxRunspaces') this._maxRunspaces = call.value;
          if (call.kind === 'SetMinRunspaces') this._minRunspaces = call.value;
        }
        return;
      }
      case 'EncryptedSessionKey': {
        if (!this.#publicKeySent || this.#keyPair === undefined) {
          throw this.protocolError('ENCRYPTED_SESSION_KEY arrived without a PUBLIC_KEY having been sent');
        }
        const blob = new Uint8Array(Buffer.from(event.encryptedSessionKey, 'base64'));
        this._cipher = new SessionKeyCipher(decryptSessionKeyBlob(this.#keyPair.privateKey, blob));
        return;
      }
      case 'PublicKeyRequest':
        // 3.1.5.4.5: answer with PUBLIC_KEY; without a key pair the layer above must call exchangeKey(pair).
        if (!featureSupported('SessionKeyExchange', this.protocolVersion)) {
          throw this.protocolError(`PUBLIC_KEY_REQUEST at protocol ${this.protocolVersion}, which has no key exchange`);
        }
        if (this.#keyPair !== undefined && !this.#publicKeySent && this._cipher === undefined) this.#sendPublicKey();
        return;
      case 'RunspacePoolHostCall':
        this.#hostCalls.received(event);
        return;
      case 'UserEvent':
      case 'UnknownMessage':
        return;
      case 'InitRunspacePool':
      case 'PublicKey':
      case 'ConnectRunspacePool':
      case 'ResetRunspaceState':
      case 'SetMaxRunspaces':
      case 'SetMinRunspaces':
      case 'CreatePipeline':
      case 'GetAvailableRunspaces':
      case 'GetCommandMetadata':
      case 'RunspacePoolHostResponse':
      case 'PipelineInput':
      case 'EndOfPipelineInput':
      case 'PipelineHostResponse':
        throw this.protocolError(`the server sent ${event.type}, a client-to-server message`);
      default:
        assertNever(event, 'event');
    }
  }

  /** Each pipeline event goes to its pipeline once; that pipeline applies it and hands it to its sink. */
  #route(event: PipelineEvent): void {
    if (event.pipelineId === undefined) {
      throw this.protocolError(`${event.type} without a pipeline id`);
    }
    const p = this.#pipelines.get(event.pipelineId);
    // A pipeline closed locally may still get late messages; they are returned but change nothing.
    if (p !== undefined) p._deliver(event);
  }

  #onSessionCapability(event: MessageBodies['SessionCapability']): void {
    if (this._state !== RunspacePoolState.NegotiationSent && this._state !== RunspacePoolState.Connecting) {
      throw this.protocolError(`SESSION_CAPABILITY in state ${runspacePoolStateName(this._state)}`);
    }
    if (this._theirCapability !== undefined) throw this.protocolError('a second SESSION_CAPABILITY arrived');
    const problem = serverCapabilityProblem(event);
    if (problem !== undefined) {
      this._state = RunspacePoolState.Broken;
      throw new RemoteProtocolError('PSR_PSRP_NEGOTIATION', `server capability not supported: ${problem}`, {
        where: 'SESSION_CAPABILITY',
      });
    }
    this._theirCapability = event;
    if (this._state === RunspacePoolState.NegotiationSent) this._state = RunspacePoolState.NegotiationSucceeded;
  }
}
