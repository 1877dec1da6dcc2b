// The server side of a RunspacePool (MS-PSRP 3.2): the mirror of
// client-pool.ts, used by the in-memory tests and by `psremote serve`. It
// never runs anything: the layer above sees CreatePipeline events and writes
// output through ServerPipeline.
//
// Responses psrpcore also leaves to the layer above: open() after
// INIT_RUNSPACEPOOL, acceptConnect() after CONNECT_RUNSPACEPOOL, the answer to
// GET_AVAILABLE_RUNSPACES and RESET_RUNSPACE_STATE. SET_MAX/SET_MIN_RUNSPACES
// are answered here (true when the counts stay consistent).

import { LimitError, UsageError } from '../errors.js';

const MAX_PENDING_CALLS = 4096;
import { assertNever, type PsrpEvent } from './events.js';
import { SessionKeyCipher, encryptSessionKeyBlob, importPublicKeyBlob } from './key-exchange.js';
import type { HostInfo, MessageBodies, PSInput, PSValue } from './message-types.js';
import type { MessageTypeName } from './message.js';
import { PoolCore, type PoolCoreOptions } from './pool-core.js';
import {
  PS_VERSION,
  RunspacePoolState,
  SERVER_POOL_ACTIONS,
  featureSupported,
  guardPool,
  parseVersion,
  runspacePoolStateName,
  type FeatureName,
} from './states.js';
import { ServerPipeline } from './server-pipeline.js';
import { NO_RESPONSE_CALL_ID, hostMethodReturnsValue } from './messages.js';

export interface ServerRunspacePoolOptions extends PoolCoreOptions {
  /** APPLICATION_PRIVATE_DATA sent on open (primitive dictionary or null). */
  applicationPrivateData?: PSValue;
  /**
   * Session key to hand out when the client sends PUBLIC_KEY (32 bytes,
   * injected for determinism). Without it the layer above answers with
   * sendSessionKey().
   */
  sessionKey?: Uint8Array;
  /** Most pipelines alive at once before CREATE_PIPELINE is refused with LimitError (default 1024). */
  maxPipelines?: number;
}

export class ServerRunspacePool extends PoolCore {
  readonly role = 'server' as const;
  #hostInfo: HostInfo | undefined;
  readonly #applicationPrivateData: PSValue;
  readonly #sessionKey: Uint8Array | undefined;
  #clientPublicKey: string | undefined;
  #nextCallId = 1n;
  readonly #hostCalls = new Map<bigint, { methodId: number; methodName: string }>();
  readonly #pipelines = new Map<string, ServerPipeline>();
  readonly #pendingAvailability = new Map<bigint, 'GetAvailableRunspaces' | 'ResetRunspaceState'>();
  readonly #maxPipelines: number;

  constructor(options: ServerRunspacePoolOptions = {}) {
    super(options);
    this.#applicationPrivateData = options.applicationPrivateData ?? null;
    this.#sessionKey = options.sessionKey;
    this.#maxPipelines = options.maxPipelines ?? 1024;
  }

  /** The client's HostInfo from INIT_RUNSPACEPOOL. */
  get hostInfo(): HostInfo | undefined {
    return this.#hostInfo;
  }
  get pipelines(): ReadonlyMap<string, ServerPipeline> {
    return this.#pipelines;
  }
  /** Host calls sent and not answered yet. */
  get pendingHostCalls(): ReadonlyMap<bigint, { methodId: number; methodName: string }> {
    return this.#hostCalls;
  }

  #guard(action: keyof typeof SERVER_POOL_ACTIONS): void {
    guardPool(SERVER_POOL_ACTIONS, action, this._state);
  }

  #changeState(state: RunspacePoolState, error?: PSValue): void {
    this._state = state;
    this.queue('RunspacePoolState', { state, error });
  }

  // -------------------------------------------------------------------------
  // actions

  /** Accept INIT_RUNSPACEPOOL: queue APPLICATION_PRIVATE_DATA and RUNSPACEPOOL_STATE Opened. */
  open(): void {
    this.#guard('open');
    if (this.#hostInfo === undefined) throw new UsageError('open() needs INIT_RUNSPACEPOOL from the client first');
    this.queue('ApplicationPrivateData', { data: this.#applicationPrivateData });
    this.#changeState(RunspacePoolState.Opened);
  }

  /** Accept CONNECT_RUNSPACEPOOL: queue RUNSPACEPOOL_INIT_DATA (3.2.5.4.30). */
  acceptConnect(): void {
    this.#guard('acceptConnect');
    this.queue('RunspacePoolInitData', { minRunspaces: this._minRunspaces, maxRunspaces: this._maxRunspaces });
    this._state = RunspacePoolState.Opened;
  }

  /** Report the pool closed (RUNSPACEPOOL_STATE Closed). */
  close(): void {
    if (this._state === RunspacePoolState.Closed) return;
    this.#guard('close');
    for (const p of this.#pipelines.values()) p._poolGone();
    this.#changeState(RunspacePoolState.Closed);
  }

  /** Report the pool broken, with an optional ErrorRecord. */
  setBroken(error?: PSValue): void {
    this.#guard('setBroken');
    for (const p of this.#pipelines.values()) p._poolGone();
    this.#changeState(RunspacePoolState.Broken, error);
  }

  /** The shell was disconnected by the transport. */
  markDisconnected(): void {
    this._state = RunspacePoolState.Disconnected;
  }

  /** Ask the client for its public key (PUBLIC_KEY_REQUEST, protocol < 2.4). */
  requestPublicKey(): void {
    this.#guard('requestPublicKey');
    this.requireFeature('request the public key', 'SessionKeyExchange');
    this.queue('PublicKeyRequest', {});
  }

  /** Answer PUBLIC_KEY with ENCRYPTED_SESSION_KEY using this session key (32 bytes). */
  sendSessionKey(sessionKey: Uint8Array): void {
    this.#guard('sendSessionKey');
    if (this.#clientPublicKey === undefined) throw new UsageError('no PUBLIC_KEY has been received');
    const publicKey = importPublicKeyBlob(new Uint8Array(Buffer.from(this.#clientPublicKey, 'base64')));
    const blob = encryptSessionKeyBlob(publicKey, sessionKey);
    // The message is serialized before the cipher is set: it carries no SecureString.
    this.queue('EncryptedSessionKey', { encryptedSessionKey: Buffer.from(blob).toString('base64') });
    this._cipher = new SessionKeyCipher(sessionKey);
  }

  /** Call a method on the client's pool host (RUNSPACEPOOL_HOST_CALL); returns the call id. */
  hostCall(methodId: number, methodName: string, parameters: readonly PSValue[] = []): bigint {
    this.#guard('hostCall');
    // Void methods carry ci -100 and get no response, as on Windows.
    const ci = hostMethodReturnsValue(methodId) ? this.#nextCallId++ : NO_RESPONSE_CALL_ID;
    if (ci !== NO_RESPONSE_CALL_ID) this.#hostCalls.set(ci, { methodId, methodName });
    this.queue('RunspacePoolHostCall', { ci, methodId, methodName, parameters });
    return ci;
  }

  /** Send a USER_EVENT. */
  userEvent(event: MessageBodies['UserEvent']): void {
    this.#guard('userEvent');
    this.queue('UserEvent', event);
  }

  /** Answer GET_AVAILABLE_RUNSPACES (a count) or RESET_RUNSPACE_STATE (success). */
  runspaceAvailability(ci: bigint, response: boolean | bigint): void {
    this.#guard('runspaceAvailability');
    const kind = this.#pendingAvailability.get(ci);
    if (kind === undefined) throw new UsageError(`no request with ci ${ci} is waiting for an answer`);
    if ((kind === 'GetAvailableRunspaces') !== (typeof response === 'bigint')) {
      throw new UsageError(`${kind} is answered with ${kind === 'GetAvailableRunspaces' ? 'a bigint count' : 'a boolean'}`);
    }
    this.#pendingAvailability.delete(ci);
    this.queue('RunspaceAvailability', { ci, response });
  }

  // -------------------------------------------------------------------------
  // pipeline plumbing (server-pipeline.ts)

  /** @internal */
  _queue<K extends MessageTypeName>(type: K, body: MessageBodies[K], pipelineId: string): void {
    this.#guard('writeForPipeline');
    this.queue(type, body, pipelineId);
  }

  /** @internal */
  _featureSupported(feature: FeatureName): boolean {
    return featureSupported(feature, this.protocolVersion);
  }

  /** @internal */
  _unregister(p: ServerPipeline): void {
    if (this.#pipelines.get(p.pipelineId) === p) this.#pipelines.delete(p.pipelineId);
  }

  // -------------------------------------------------------------------------
  // receiving

  #expectOpened(what: string): void {
    if (this._state !== RunspacePoolState.Opened) {
      throw this.protocolError(`${what} in state ${runspacePoolStateName(this._state)}; expected Opened`);
    }
  }

  #limitPending(): void {
    if (this.#pendingAvailability.size >= MAX_PENDING_CALLS) {
      throw new LimitError('unanswered runspace requests', MAX_PENDING_CALLS, this.#pendingAvailability.size + 1, 'server RunspacePool');
    }
  }

  protected processEvent(event: PsrpEvent): void {
    switch (event.type) {
      case 'SessionCapability': {
        if (
          this._state !== RunspacePoolState.BeforeOpen &&
          this._state !== RunspacePoolState.Opened &&
          this._state !== RunspacePoolState.Disconnected
        ) {
          throw this.protocolError(`SESSION_CAPABILITY in state ${runspacePoolStateName(this._state)}`);
        }
        const v = parseVersion(event.protocolVersion);
        if (v === undefined || v[0] !== 2 || event.psVersion !== PS_VERSION) {
          this._state = RunspacePoolState.Broken;
          throw this.protocolError(
            `client capability not supported: protocol ${event.protocolVersion}, PSVersion ${event.psVersion}`,
          );
        }
        this._theirCapability = event;
        this.queue('SessionCapability', this.ourCapability);
        if (this._state === RunspacePoolState.BeforeOpen) this._state = RunspacePoolState.NegotiationSucceeded;
        return;
      }
      case 'InitRunspacePool':
        if (this._state !== RunspacePoolState.NegotiationSucceeded) {
          throw this.protocolError(`INIT_RUNSPACEPOOL in state ${runspacePoolStateName(this._state)}`);
        }
        this._minRunspaces = event.minRunspaces;
        this._maxRunspaces = event.maxRunspaces;
        this._threadOptions = event.threadOptions;
        this._apartmentState = event.apartmentState;
        this.#hostInfo = event.hostInfo;
        this._applicationArguments = event.applicationArguments;
        return;
      case 'ConnectRunspacePool': {
        if (this._theirCapability === undefined) throw this.protocolError('CONNECT_RUNSPACEPOOL before SESSION_CAPABILITY');
        const v = parseVersion(this._theirCapability.protocolVersion)!;
        if (v[1]! < 2) throw this.protocolError(`CONNECT_RUNSPACEPOOL at protocol ${this._theirCapability.protocolVersion}`);
        if (event.minRunspaces !== undefined) this._minRunspaces = event.minRunspaces;
        if (event.maxRunspaces !== undefined) this._maxRunspaces = event.maxRunspaces;
        return;
      }
      case 'PublicKey':
        this.#expectOpened('PUBLIC_KEY');
        if (!featureSupported('SessionKeyExchange', this.protocolVersion)) {
          throw this.protocolError(`PUBLIC_KEY at protocol ${this.protocolVersion}, which has no key exchange`);
        }
        this.#clientPublicKey = event.publicKey;
        if (this.#sessionKey !== undefined) this.sendSessionKey(this.#sessionKey);
        return;
      case 'SetMaxRunspaces': {
        this.#expectOpened('SET_MAX_RUNSPACES');
        const ok = Number.isInteger(event.maxRunspaces) && event.maxRunspaces >= this._minRunspaces;
        if (ok) this._maxRunspaces = event.maxRunspaces;
        this.queue('RunspaceAvailability', { ci: event.ci, response: ok });
        return;
      }
      case 'SetMinRunspaces': {
        this.#expectOpened('SET_MIN_RUNSPACES');
        const ok = Number.isInteger(event.minRunspaces) && event.minRunspaces >= 1 && event.minRunspaces <= this._maxRunspaces;
        if (ok) this._minRunspaces = event.minRunspaces;
        this.queue('RunspaceAvailability', { ci: event.ci, response: ok });
        return;
      }
      case 'GetAvailableRunspaces':
        this.#expectOpened('GET_AVAILABLE_RUNSPACES');
        this.#limitPending();
        this.#pendingAvailability.set(event.ci, 'GetAvailableRunspaces');
        return;
      case 'ResetRunspaceState':
        this.#expectOpened('RESET_RUNSPACE_STATE');
        if (!featureSupported('ResetRunspaceState', this.protocolVersion)) {
          throw this.protocolError(`RESET_RUNSPACE_STATE at protocol ${this.protocolVersion}`);
        }
        this.#limitPending();
        this.#pendingAvailability.set(event.ci, 'ResetRunspaceState');
        return;
      case 'CreatePipeline':
      case 'GetCommandMetadata': {
        this.#expectOpened(event.type);
        if (event.pipelineId === undefined) throw this.protocolError(`${event.type} without a pipeline id`);
        if (this.#pipelines.has(event.pipelineId)) throw this.protocolError(`pipeline ${event.pipelineId} already exists`);
        if (this.#pipelines.size >= this.#maxPipelines) {
          throw new LimitError('pipelines per RunspacePool', this.#maxPipelines, this.#pipelines.size + 1, 'server RunspacePool');
        }
        this.#pipelines.set(event.pipelineId, new ServerPipeline(this, event.pipelineId, event));
        return;
      }
      case 'RunspacePoolHostResponse':
        if (!this.#hostCalls.delete(event.ci)) throw this.protocolError(`host response for unknown ci ${event.ci}`);
        return;
      case 'PipelineInput':
      case 'EndOfPipelineInput':
      case 'PipelineHostResponse': {
        if (event.pipelineId === undefined) throw this.protocolError(`${event.type} without a pipeline id`);
        const p = this.#pipelines.get(event.pipelineId);
        // Input racing a pipeline that already finished is dropped, not fatal.
        if (p !== undefined) p._process(event);
        return;
      }
      case 'UnknownMessage':
        return;
      case 'EncryptedSessionKey':
      case 'PublicKeyRequest':
      case 'RunspacePoolInitData':
      case 'RunspaceAvailability':
      case 'RunspacePoolState':
      case 'UserEvent':
      case 'ApplicationPrivateData':
      case 'RunspacePoolHostCall':
      case 'PipelineOutput':
      case 'ErrorRecord':
      case 'PipelineState':
      case 'DebugRecord':
      case 'VerboseRecord':
      case 'WarningRecord':
      case 'ProgressRecord':
      case 'InformationRecord':
      case 'PipelineHostCall':
        throw this.protocolError(`the client sent ${event.type}, a server-to-client message`);
      default:
        assertNever(event, 'event');
    }
  }
}
