// The async WS-Management client: builds envelopes with the sans-I/O core in
// src/wsman, posts them through a transport, checks that each answer relates to
// the request, and turns faults into WSManFaultError (with the HTTP status).
// A timed-out Receive is returned as `{ type: 'timeout' }` because renewing
// the long-poll is the normal thing to do (MS-WSMV 3.1.4.14, peers note C3).

import { randomUUID } from 'node:crypto';
import { LimitError, UsageError } from '../errors.js';
import type { TransportRequest, WSManTransport } from '../transport/transport.js';
import {
  build,
  buildIdentify,
  ENVELOPE_SIZE_V2,
  parseCommandResponse,
  parseConnectResponse,
  parseCreateResponse,
  parseEnumeration,
  readResponse,
  ClientShell,
  type ClientShellEvent,
  type OutgoingRequest,
  type ResponseOutcome,
  parseIdentifyResponse,
  parseMaxEnvelopeSizeKb,
  parseReceiveResponse,
  RESOURCE,
  WSManFaultError,
  type BufferMode,
  type CommandLineBody,
  type EnumerateOptions,
  type EnumerationResult,
  type IdentifyResult,
  type ParsedEnvelope,
  type ReceiveResult,
  type Selector,
  type ShellBody,
  type ShellInfo,
  type ShellRequest,
  type StreamData,
  type WSManOption,
} from '../wsman/index.js';
import { TransportError } from '../transport/http/errors.js';
import { assertNever } from '../psrp/events.js';

export interface WSManClientOptions {
  /** `wsman:OperationTimeout` (default 20 s, as pypsrp/pywinrm). */
  readonly operationTimeoutMs?: number;
  /** Added to the operation timeout to get the HTTP read timeout (default 10 s). */
  readonly readTimeoutMarginMs?: number;
  /** `wsman:MaxEnvelopeSize` in bytes (default 153600, accepted by every server). */
  readonly maxEnvelopeSize?: number;
  readonly locale?: string;
  readonly dataLocale?: string;
  /** One SessionId for every message of this client (default: a random UUID). */
  readonly sessionId?: string;
  /** MessageID source (tests); default crypto.randomUUID. */
  readonly newMessageId?: () => string;
}

/** Per call: the transport's abort signal and background flag, and the WSMan OperationTimeout. */
export interface CallOptions extends Pick<TransportRequest, 'signal' | 'background'> {
  /** Overrides the client's operation timeout for this call. */
  readonly operationTimeoutMs?: number | undefined;
}

export class WSManClient {
  readonly transport: WSManTransport;
  readonly sessionId: string;
  operationTimeoutMs: number;
  maxEnvelopeSize: number;
  readonly #margin: number;
  readonly #locale: string | undefined;
  readonly #dataLocale: string | undefined;
  readonly #newId: () => string;

  constructor(transport: WSManTransport, options: WSManClientOptions = {}) {
    this.transport = transport;
    this.sessionId = (options.sessionId ?? randomUUID()).toUpperCase();
    this.operationTimeoutMs = options.operationTimeoutMs ?? 20_000;
    this.maxEnvelopeSize = options.maxEnvelopeSize ?? ENVELOPE_SIZE_V2;
    this.#margin = options.readTimeoutMarginMs ?? 10_000;
    this.#locale = options.locale;
    this.#dataLocale = options.dataLocale;
    this.#newId = options.newMessageId ?? randomUUID;
    if (!(this.operationTimeoutMs > 0)) throw new UsageError(`operationTimeoutMs must be positive, not ${this.operationTimeoutMs}`);
  }

  get url(): string {
    return this.transport.url;
  }
  get host(): string {
    return this.transport.host;
  }

  #request(resourceUri: string, o: CallOptions = {}): ShellRequest {
    return {
      to: this.transport.url,
      resourceUri,
      messageId: this.#newId().toUpperCase(),
      sessionId: this.sessionId,
      operationTimeoutMs: o.operationTimeoutMs ?? this.operationTimeoutMs,
      maxEnvelopeSize: this.maxEnvelopeSize,
      ...(this.#locale ? { locale: this.#locale } : {}),
      ...(this.#dataLocale ? { dataLocale: this.#dataLocale } : {}),
    };
  }

  /**
   * Posts an envelope and parses the answer. Faults throw WSManFaultError
   * (with the HTTP status) unless `tolerateFault` accepts them; then the caller
   * inspects `env.fault`.
   */
  async exchange(
    operation: string,
    xml: string | Uint8Array,
    messageId: string | undefined,
    o: CallOptions & { tolerateFault?: (fault: NonNullable<ParsedEnvelope['fault']>) => boolean } = {},
  ): Promise<ParsedEnvelope> {
    const outcome = await this.#post(operation, xml, messageId, o);
    switch (outcome.type) {
      case 'message':
        return outcome.message.envelope;
      case 'fault':
        if (o.tolerateFault?.(outcome.message.envelope.fault!)) return outcome.message.envelope;
        throw outcome.error;
      case 'httpStatus':
        throw this.#statusError(operation, outcome.status);
      default:
        return assertNever(outcome, 'response outcome');
    }
  }

  /**
   * Posts a request a shell core built (wsman/client-shell.ts) and feeds it the
   * answer: the events it means, or the fault it throws. A request that got no
   * answer (network, abort, bad status) is abandoned, so it changed nothing.
   */
  async shellRequest(core: ClientShell, req: OutgoingRequest, o: CallOptions = {}): Promise<ClientShellEvent[]> {
    let outcome: ResponseOutcome;
    try {
      outcome = await this.#post(req.operation, req.xml, req.messageId, o);
      if (outcome.type === 'httpStatus') throw this.#statusError(req.operation, outcome.status);
    } catch (e) {
      core.abandon(req);
      throw e;
    }
    return core.handle(req, outcome.message, { host: this.host, httpStatus: outcome.status });
  }

  /** A shell core for `resourceUri` whose requests carry this client's headers. */
  shellCore(resourceUri: string, o: { shellId?: string; created?: boolean } = {}): ClientShell {
    return new ClientShell({ resourceUri, request: (t) => this.#request(resourceUri, { operationTimeoutMs: t }), ...o });
  }

  async #post(operation: string, xml: string | Uint8Array, messageId: string | undefined, o: CallOptions): Promise<ResponseOutcome> {
    const res = await this.transport.post({
      operation,
      body: xml,
      signal: o.signal,
      timeoutMs: (o.operationTimeoutMs ?? this.operationTimeoutMs) + this.#margin,
      background: o.background,
    });
    return readResponse(res.status, res.body, { operation, host: this.host, httpStatus: res.status, sentMessageId: messageId });
  }

  #statusError(operation: string, status: number): TransportError {
    return new TransportError('PSR_TRANSPORT_HTTP_STATUS', `HTTP ${status} with a SOAP body that is not a fault`, { operation, host: this.host, status });
  }

  async identify(o: CallOptions = {}): Promise<IdentifyResult> {
    const env = await this.exchange('Identify', buildIdentify(), undefined, o);
    return parseIdentifyResponse(env, { operation: 'Identify', host: this.host });
  }

  async create(resourceUri: string, body: ShellBody, o: CallOptions & { options?: readonly WSManOption[] } = {}): Promise<ShellInfo> {
    const r = this.#request(resourceUri, o);
    const env = await this.exchange('Create', build.create(r, body, o.options ?? []), r.messageId, o);
    return parseCreateResponse(env, { operation: 'Create', host: this.host });
  }

  /** Returns the CommandId. */
  async command(resourceUri: string, shellId: string, body: CommandLineBody, o: CallOptions & { options?: readonly WSManOption[] } = {}): Promise<string> {
    const r = this.#request(resourceUri, o);
    const env = await this.exchange('Command', build.command(r, shellId, body, o.options ?? []), r.messageId, o);
    return parseCommandResponse(env, { operation: 'Command', host: this.host });
  }

  async send(resourceUri: string, shellId: string, streams: readonly StreamData[], o: CallOptions = {}): Promise<void> {
    const r = this.#request(resourceUri, o);
    await this.exchange('Send', build.sendBytes(r, shellId, streams), r.messageId, o);
  }

  /** One Receive long-poll; `{ type: 'timeout' }` when the server's OperationTimeout passed with no output. */
  async receive(
    resourceUri: string,
    shellId: string,
    o: CallOptions & { commandId?: string; streams?: string; keepAlive?: boolean; sequenceId?: number } = {},
  ): Promise<ReceiveResult> {
    const r = this.#request(resourceUri, o);
    const xml = build.receive(r, shellId, {
      ...(o.commandId ? { commandId: o.commandId } : {}),
      ...(o.sequenceId !== undefined ? { sequenceId: o.sequenceId } : {}),
      ...(o.streams ? { streams: o.streams } : {}),
      ...(o.keepAlive !== undefined ? { keepAlive: o.keepAlive } : {}),
    });
    const env = await this.exchange('Receive', xml, r.messageId, { ...o, tolerateFault: (f) => f.kind === 'OperationTimeout' });
    return parseReceiveResponse(env, { operation: 'Receive', host: this.host });
  }

  async signal(resourceUri: string, shellId: string, code: string, o: CallOptions & { commandId?: string } = {}): Promise<void> {
    const r = this.#request(resourceUri, o);
    await this.exchange('Signal', build.signal(r, shellId, code, o.commandId), r.messageId, o);
  }

  async delete(resourceUri: string, shellId: string, o: CallOptions = {}): Promise<void> {
    const r = this.#request(resourceUri, o);
    await this.exchange('Delete', build.delete(r, shellId), r.messageId, o);
  }

  async disconnect(resourceUri: string, shellId: string, o: CallOptions & { bufferMode?: BufferMode; idleTimeoutMs?: number } = {}): Promise<void> {
    const r = this.#request(resourceUri, o);
    const body = { ...(o.bufferMode ? { bufferMode: o.bufferMode } : {}), ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}) };
    await this.exchange('Disconnect', build.disconnect(r, shellId, body), r.messageId, o);
  }

  async reconnect(resourceUri: string, shellId: string, o: CallOptions & { commandId?: string } = {}): Promise<void> {
    const r = this.#request(resourceUri, o);
    await this.exchange('Reconnect', build.reconnect(r, shellId, o.commandId), r.messageId, o);
  }

  /** Returns connectResponseXml (pool connect) if the server sent one. */
  async connect(
    resourceUri: string,
    shellId: string,
    o: CallOptions & { connectXml?: Uint8Array; commandId?: string; protocolVersion?: string } = {},
  ): Promise<Buffer | undefined> {
    const r = this.#request(resourceUri, o);
    const body = {
      ...(o.connectXml ? { connectXml: o.connectXml } : {}),
      ...(o.commandId ? { commandId: o.commandId } : {}),
      ...(o.protocolVersion ? { protocolVersion: o.protocolVersion } : {}),
    };
    const env = await this.exchange('Connect', build.connect(r, shellId, body), r.messageId, o);
    return parseConnectResponse(env, { operation: 'Connect', host: this.host });
  }

  async enumerate(resourceUri: string, e: EnumerateOptions = {}, o: CallOptions = {}): Promise<EnumerationResult> {
    const r = this.#request(resourceUri, o);
    const env = await this.exchange('Enumerate', build.enumerate(r, e), r.messageId, o);
    return parseEnumeration(env, { operation: 'Enumerate', host: this.host });
  }

  async pull(resourceUri: string, context: string, o: CallOptions & { maxElements?: number } = {}): Promise<EnumerationResult> {
    const r = this.#request(resourceUri, o);
    const env = await this.exchange('Pull', build.pull(r, context, o.maxElements), r.messageId, o);
    return parseEnumeration(env, { operation: 'Pull', host: this.host });
  }

  /** Enumerate then Pull until EndOfSequence, yielding items as they come. */
  async *enumerateAll(resourceUri: string, e: EnumerateOptions = {}, o: CallOptions & { maxElements?: number; maxPulls?: number } = {}): AsyncGenerator<ParsedEnvelope['body']> {
    let res = await this.enumerate(resourceUri, { maxElements: o.maxElements ?? 32, ...e }, o);
    const maxPulls = o.maxPulls ?? 100_000;
    for (let pulls = 0; ; pulls++) {
      yield* res.items;
      if (res.endOfSequence || !res.context) return;
      if (pulls >= maxPulls) throw new LimitError('enumeration Pulls', maxPulls, pulls + 1, resourceUri);
      res = await this.pull(resourceUri, res.context, { ...o, maxElements: o.maxElements ?? 32 });
    }
  }

  async get(resourceUri: string, selectors: readonly Selector[] = [], o: CallOptions = {}): Promise<ParsedEnvelope> {
    const r = this.#request(resourceUri, o);
    return this.exchange('Get', build.get(r, selectors), r.messageId, o);
  }

  async put(resourceUri: string, selectors: readonly Selector[], bodyXml: string, o: CallOptions = {}): Promise<ParsedEnvelope> {
    const r = this.#request(resourceUri, o);
    return this.exchange('Put', build.put(r, selectors, bodyXml), r.messageId, o);
  }

  /** A custom action (`resourceUri/method`), e.g. a WMI method call. */
  async invoke(resourceUri: string, method: string, selectors: readonly Selector[], inputXml: string, o: CallOptions = {}): Promise<ParsedEnvelope> {
    const r = this.#request(resourceUri, o);
    return this.exchange('Invoke', build.invoke(r, method, selectors, inputXml), r.messageId, o);
  }

  /**
   * `MaxEnvelopeSizekb` from the server's WinRM config (needs admin rights on
   * the server). Undefined when access is denied or the value is missing.
   * With `apply`, sets this client's maxEnvelopeSize from it.
   */
  async getMaxEnvelopeSizeKb(o: CallOptions & { apply?: boolean } = {}): Promise<number | undefined> {
    let kb: number | undefined;
    try {
      kb = parseMaxEnvelopeSizeKb(await this.get(RESOURCE.config, [], o));
    } catch (e) {
      if (e instanceof WSManFaultError && e.kind === 'AccessDenied') return undefined;
      throw e;
    }
    if (kb !== undefined && o.apply) this.maxEnvelopeSize = kb * 1024;
    return kb;
  }

  readonly #background = new Set<Promise<unknown>>();

  /**
   * Tracks a request sent off the caller's critical path (a one-shot helper's
   * Delete) so that close() lets it finish before closing the connections.
   */
  track(p: Promise<unknown>): void {
    const t = p.catch(() => undefined).finally(() => this.#background.delete(t));
    this.#background.add(t);
  }

  async close(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    await this.transport.close();
  }
}
