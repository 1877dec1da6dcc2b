// Machinery shared by the client and server RunspacePool: outgoing queues per
// target and stream, ObjectIds, reassembly, message decoding and the
// receiveData / nextEvent / dataToSend verbs. Role-specific rules live in
// client-pool.ts and server-pool.ts (processEvent).
//
// Packing rule (psrpcore _base.py): one payload only carries messages for the
// same target (the pool, or one pipeline) and the same stream, because WSMan
// sends pool data, each pipeline's data and host responses ("pr") in
// different requests. Across targets, payloads come out in the order their
// first message was queued.

import { LimitError, PsRemoteError, RemoteProtocolError, UsageError } from '../errors.js';
import { ZERO_GUID, normalizeGuid } from '../util/guid.js';
import { Defragmenter, type DefragmentedMessage } from './fragment.js';
import { Fragmenter, ObjectIdCounter } from './fragmenter.js';
import {
  Destination,
  MessageType,
  decodeMessage,
  encodeMessage,
  messageText,
  messageTypeName,
  messageTypeSpecName,
  type MessageTypeName,
} from './message.js';
import type { MessageBodies, PSInput, SessionCapabilityBody } from './message-types.js';
import { bodyParts, byteArrayBody, decodeBody, encodeBody, type BodyCodecContext } from './messages.js';
import type { PsrpEvent } from './events.js';
import type { SessionKeyCipher } from './key-exchange.js';
import {
  DEFAULT_PROTOCOL_VERSION,
  InvalidProtocolVersionError,
  PS_VERSION,
  RunspacePoolState,
  SERIALIZATION_VERSION,
  compareVersions,
  parseVersion,
  featureSupported,
  type FeatureName,
} from './states.js';

export type StreamType = 'default' | 'promptResponse';

/** What dataToSend() hands the transport. */
export interface OutgoingPayload {
  /** One or more whole fragments. */
  readonly data: Uint8Array;
  /** WSMan: 'default' = stdin, 'promptResponse' = pr. OutOfProc: Stream='Default'/'PromptResponse'. */
  readonly streamType: StreamType;
  /** Lower-case pipeline GUID when every fragment belongs to that pipeline; undefined for the pool. */
  readonly pipelineId?: string | undefined;
}

/** What a pool core holds right now (PoolCore.held): all of it is for work not yet done. */
export interface PoolCoreHeld {
  /** Outgoing queues (one per target and stream with something queued). */
  readonly outgoingQueues: number;
  /** Messages queued and not completely taken by dataToSend(). */
  readonly pendingMessages: number;
  /** Their bytes still to be sent. */
  readonly pendingBytes: number;
  /** Payloads received and not parsed yet (receiveData before nextEvent). */
  readonly inboxPayloads: number;
  /** Reassembled messages not handed out yet, and messages half-reassembled. */
  readonly readyMessages: number;
  readonly partialMessages: number;
  /** Bytes of the inbox, the ready messages and the partial messages. */
  readonly receivedBytes: number;
}

export interface PoolCoreOptions {
  /** Lower- or upper-case GUID. Servers may leave it out and learn it from the first message. */
  runspacePoolId?: string | undefined;
  /** Protocol version we advertise (default 2.3). */
  protocolVersion?: string | undefined;
  /** Largest reassembled message accepted (default 64 MiB). */
  maxMessageBytes?: number | undefined;
  /** First ObjectId we use (default 1). */
  firstObjectId?: bigint | undefined;
  /** TimeZone blob for SESSION_CAPABILITY (opaque .NET BinaryFormatter data). */
  timeZone?: Uint8Array | undefined;
}

interface OutQueue {
  readonly fragmenter: Fragmenter;
  readonly streamType: StreamType;
  readonly pipelineId: string | undefined;
}

export abstract class PoolCore {
  abstract readonly role: 'client' | 'server';
  protected _runspacePoolId: string | undefined;
  protected _state: RunspacePoolState = RunspacePoolState.BeforeOpen;
  readonly ourCapability: SessionCapabilityBody;
  protected _theirCapability: SessionCapabilityBody | undefined;
  protected _cipher: SessionKeyCipher | undefined;
  /** Set when a protocol error broke the pool; later input calls rethrow it. */
  protected _error: PsRemoteError | undefined;
  // What INIT_RUNSPACEPOOL carries (2.2.2.2): the client keeps what it asked for, the server what it was told.
  protected _minRunspaces = 1;
  protected _maxRunspaces = 1;
  protected _threadOptions = 0;
  protected _apartmentState = 2;
  protected _applicationArguments: PSInput = null;

  readonly #ids: ObjectIdCounter;
  readonly #queues = new Map<string, OutQueue>();
  #order: (string | undefined)[] = [];
  #orderHead = 0;
  readonly #inbox: Uint8Array[] = [];
  #inboxHead = 0;
  readonly #ready: DefragmentedMessage[] = [];
  #readyHead = 0;
  readonly #defrag: Defragmenter;
  /** protocolVersion for the peer's advertised version `theirs`. */
  #negotiated: { readonly theirs: string | undefined; readonly version: string } | undefined;

  constructor(options: PoolCoreOptions) {
    this._runspacePoolId = options.runspacePoolId === undefined ? undefined : normalizeGuid(options.runspacePoolId);
    const version = options.protocolVersion ?? DEFAULT_PROTOCOL_VERSION;
    const parsed = parseVersion(version);
    if (parsed === undefined || parsed[0] !== 2 || parsed.length !== 2) {
      throw new UsageError(`protocolVersion must look like 2.x, got ${JSON.stringify(version)}`);
    }
    this.ourCapability = {
      protocolVersion: version,
      psVersion: PS_VERSION,
      serializationVersion: SERIALIZATION_VERSION,
      ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
    };
    this.#ids = new ObjectIdCounter(options.firstObjectId ?? 1n);
    this.#defrag = new Defragmenter({
      ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
      where: `${this.constructor.name} receive`,
    });
  }

  /** Lower-case GUID of the pool. */
  get runspacePoolId(): string {
    if (this._runspacePoolId === undefined) throw new UsageError('the RunspacePool id is not known yet');
    return this._runspacePoolId;
  }

  get minRunspaces(): number { return this._minRunspaces; }
  get maxRunspaces(): number { return this._maxRunspaces; }
  get threadOptions(): number { return this._threadOptions; }
  get apartmentState(): number { return this._apartmentState; }
  get applicationArguments(): PSInput { return this._applicationArguments; }

  /** The version both sides speak: the lower of ours and theirs (ours before negotiation). */
  get protocolVersion(): string {
    const theirs = this._theirCapability?.protocolVersion;
    // Read for every message decoded (codecContext): parsing both versions each time was 2.5% of decoding output.
    if (this.#negotiated?.theirs !== theirs || this.#negotiated === undefined) {
      const ours = this.ourCapability.protocolVersion;
      const version = theirs === undefined || parseVersion(theirs) === undefined ? ours : compareVersions(theirs, ours) < 0 ? theirs : ours;
      this.#negotiated = { theirs, version };
    }
    return this.#negotiated.version;
  }

  get state(): RunspacePoolState {
    return this._state;
  }

  get theirCapability(): SessionCapabilityBody | undefined {
    return this._theirCapability;
  }

  /** The peer's advertised version, if known. */
  get theirProtocolVersion(): string | undefined {
    return this._theirCapability?.protocolVersion;
  }

  /** True once a session key is in place (SecureStrings can be sent and read). */
  get hasSessionKey(): boolean {
    return this._cipher !== undefined;
  }

  /** The SecureString cipher for the clixml layer, once the key exchange has completed. */
  get secureStringCipher(): SessionKeyCipher | undefined {
    return this._cipher;
  }

  protected get codecContext(): BodyCodecContext {
    return { cipher: this._cipher, protocolVersion: this.protocolVersion };
  }

  // -------------------------------------------------------------------------
  // sending

  /** Serialize and queue one message. */
  protected queue<K extends MessageTypeName>(
    type: K,
    body: MessageBodies[K],
    pipelineId?: string,
    streamType: StreamType = 'default',
  ): void {
    const messageType = MessageType[type];
    const data = bodyParts(messageType, body as never) ?? encodeBody(messageType, body as never, this.codecContext);
    this.queueRaw(messageType, data, pipelineId, streamType);
  }

  /** Queue an already serialized message body (or its bodyParts). */
  protected queueRaw(messageType: number, data: Uint8Array | readonly (string | Uint8Array)[], pipelineId?: string, streamType: StreamType = 'default'): void {
    const pid = pipelineId === undefined || pipelineId === ZERO_GUID ? undefined : pipelineId;
    const bytes = encodeMessage({
      destination: this.role === 'client' ? Destination.Server : Destination.Client,
      messageType,
      runspacePoolId: this.runspacePoolId,
      pipelineId: pid,
      data,
    });
    const key = `${pid ?? ''}|${streamType}`;
    let q = this.#queues.get(key);
    if (q === undefined) {
      q = { fragmenter: new Fragmenter(this.#ids), streamType, pipelineId: pid };
      this.#queues.set(key, q);
    }
    q.fragmenter.add(bytes);
    this.#order.push(key);
  }

  /** What the core holds now; nothing of it belongs to finished pipelines (drained queues are dropped). */
  get held(): PoolCoreHeld {
    let pendingMessages = 0;
    let pendingBytes = 0;
    for (const q of this.#queues.values()) {
      pendingMessages += q.fragmenter.pendingMessages;
      pendingBytes += q.fragmenter.pendingBytes;
    }
    let receivedBytes = this.#defrag.bufferedBytes;
    for (let i = this.#inboxHead; i < this.#inbox.length; i++) receivedBytes += this.#inbox[i]!.byteLength;
    for (let i = this.#readyHead; i < this.#ready.length; i++) receivedBytes += this.#ready[i]!.data.byteLength;
    return {
      outgoingQueues: this.#queues.size,
      pendingMessages,
      pendingBytes,
      inboxPayloads: this.#inbox.length - this.#inboxHead,
      readyMessages: this.#ready.length - this.#readyHead,
      partialMessages: this.#defrag.partialCount,
      receivedBytes,
    };
  }

  /** True when dataToSend() would return something. */
  get hasDataToSend(): boolean {
    for (const q of this.#queues.values()) if (q.fragmenter.hasPending) return true;
    return false;
  }

  /**
   * Up to `budget` bytes of fragments for one target and stream, or undefined
   * when nothing is queued. `budget` must exceed 21 (one fragment header).
   */
  dataToSend(budget: number): OutgoingPayload | undefined {
    while (this.#orderHead < this.#order.length) {
      const key = this.#order[this.#orderHead];
      if (key !== undefined && this.#queues.get(key)?.fragmenter.hasPending) break;
      this.#orderHead++;
    }
    if (this.#orderHead >= this.#order.length) {
      this.#order = [];
      this.#orderHead = 0;
      return undefined;
    }
    const key = this.#order[this.#orderHead]!;
    const q = this.#queues.get(key)!;
    const before = q.fragmenter.pendingMessages;
    const data = q.fragmenter.take(budget)!;
    let done = before - q.fragmenter.pendingMessages;
    // A drained queue is forgotten: a pool runs many pipelines over its life,
    // and each one's queue would otherwise stay (and be scanned) forever.
    if (!q.fragmenter.hasPending) this.#queues.delete(key);
    for (let i = this.#orderHead; i < this.#order.length && done > 0; i++) {
      if (this.#order[i] === key) {
        this.#order[i] = undefined;
        done--;
      }
    }
    if (this.#orderHead > 256 && this.#orderHead * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#orderHead);
      this.#orderHead = 0;
    }
    return q.pipelineId === undefined
      ? { data, streamType: q.streamType }
      : { data, streamType: q.streamType, pipelineId: q.pipelineId };
  }

  // -------------------------------------------------------------------------
  // receiving

  /**
   * Buffer one transport payload (whole fragments). Nothing is parsed until
   * nextEvent(); the payload must not be modified until then.
   */
  receiveData(payload: Uint8Array): void {
    if (this._error !== undefined) throw this._error;
    if (payload.byteLength > 0) this.#inbox.push(payload);
  }

  /** The next event, or undefined when more data is needed. */
  nextEvent(): PsrpEvent | undefined {
    if (this._error !== undefined) throw this._error;
    try {
      for (;;) {
        if (this.#readyHead < this.#ready.length) {
          const m = this.#ready[this.#readyHead]!;
          this.#ready[this.#readyHead++] = undefined as never;
          if (this.#readyHead === this.#ready.length) {
            this.#ready.length = 0;
            this.#readyHead = 0;
          }
          return this.#handle(m);
        }
        if (this.#inboxHead >= this.#inbox.length) {
          this.#inbox.length = 0;
          this.#inboxHead = 0;
          return undefined;
        }
        const p = this.#inbox[this.#inboxHead]!;
        this.#inbox[this.#inboxHead++] = undefined as never;
        for (const m of this.#defrag.receive(p)) this.#ready.push(m);
      }
    } catch (e) {
      if (e instanceof RemoteProtocolError || e instanceof LimitError) {
        // MS-PSRP 3.1.7 / 3.2.7: an error processing pool input breaks the pool.
        this._error = e;
        this._state = RunspacePoolState.Broken;
        this.onBroken(e);
      }
      throw e;
    }
  }

  /** Called once when a protocol error breaks the pool. */
  protected onBroken(_error: PsRemoteError): void {}

  #handle(m: DefragmentedMessage): PsrpEvent {
    const where = `${this.role === 'client' ? 'server' : 'client'} message ObjectId ${m.objectId}`;
    const msg = decodeMessage(m.data, where);
    const expected = this.role === 'client' ? Destination.Client : Destination.Server;
    if (msg.destination !== expected) {
      throw new RemoteProtocolError(
        'PSR_PSRP_MESSAGE_INVALID',
        `message addressed to the ${msg.destination === Destination.Client ? 'client' : 'server'} arrived at the ${this.role}`,
        { where },
      );
    }
    if (this._runspacePoolId === undefined) {
      if (msg.runspacePoolId === ZERO_GUID) {
        throw new RemoteProtocolError('PSR_PSRP_MESSAGE_INVALID', 'first message carries an all-zero RPID', { where });
      }
      this._runspacePoolId = msg.runspacePoolId;
    } else if (msg.runspacePoolId !== this._runspacePoolId && msg.runspacePoolId !== ZERO_GUID) {
      // Windows sends SESSION_CAPABILITY and ENCRYPTED_SESSION_KEY with an all-zero RPID.
      throw new RemoteProtocolError(
        'PSR_PSRP_MESSAGE_INVALID',
        `message for RunspacePool ${msg.runspacePoolId} arrived at RunspacePool ${this._runspacePoolId}`,
        { where },
      );
    }
    const pipelineId = msg.pipelineId === ZERO_GUID ? undefined : msg.pipelineId;
    const name = messageTypeName(msg.messageType);
    let event: PsrpEvent;
    if (name === undefined) {
      event = {
        type: 'UnknownMessage',
        runspacePoolId: this.runspacePoolId,
        pipelineId,
        messageType: msg.messageType,
        clixml: messageText(msg, where),
      };
    } else {
      const body =
        byteArrayBody(msg.messageType, msg.data) ??
        decodeBody(MessageType[name], messageText(msg, where), this.codecContext, `${where} (${messageTypeSpecName(msg.messageType)})`);
      event = { ...(body as object), type: name, runspacePoolId: this.runspacePoolId, pipelineId } as PsrpEvent;
    }
    this.processEvent(event);
    return event;
  }

  /** Role-specific state changes for a received event; throws RemoteProtocolError for rule violations. */
  protected abstract processEvent(event: PsrpEvent): void;

  /** A UsageError naming `action` when the negotiated protocol lacks `feature`. */
  protected requireFeature(action: string, feature: FeatureName): void {
    if (!featureSupported(feature, this.protocolVersion)) throw new InvalidProtocolVersionError(action, feature, this.protocolVersion);
  }

  /** A rule violation by the peer. */
  protected protocolError(message: string): RemoteProtocolError {
    return new RemoteProtocolError('PSR_PSRP_PROTOCOL', message, { where: `${this.role} RunspacePool` });
  }
}
