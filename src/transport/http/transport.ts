// The HTTP transport for one WinRM endpoint: a small pool of pinned
// connections (each one undici Client with its own auth context, created
// lazily), one cookie jar, per-request read timeouts and abort signals, and the
// status handling the WSMan layer relies on (200 and XML faults come back,
// anything else is a typed error). On close, idle connections authenticated
// by NTLM or Kerberos are parked for the next transport of the same user and
// host (connection-reuse.ts) instead of being closed.

import { AbortError, UsageError } from '../../errors.js';
import type { TransportRequest, TransportResponse, WSManTransport } from '../transport.js';
import { noAuth, type HttpAuth } from './auth.js';
import { HttpConnection, type DispatcherFactory, type TlsOptions } from './connection.js';
import { CookieJar } from './cookies.js';
import { parseEndpoint, resolveProxy, type Endpoint, type ProxyConfig } from './endpoint.js';
import { TransportError } from './errors.js';
import { ClientRecorder, type RecordOptions } from './recorder.js';
import { idleConnections, reuseDigest } from './connection-reuse.js';
import { systemClock, type Clock } from '../../util/clock.js';

export const DEFAULT_USER_AGENT = 'Microsoft WinRM Client';

export interface HttpTransportOptions {
  /** `host`, `host:port`, `http(s)://host[:port][/path]`. */
  readonly endpoint: string;
  /** Pick https for a bare host (default false: http/5985). */
  readonly secure?: boolean;
  readonly auth?: HttpAuth;
  /** Allow credentials that travel in clear text over http (Basic). Off by default. */
  readonly allowUnencrypted?: boolean;
  readonly tls?: TlsOptions;
  /** Proxy URL; `false` disables the proxy even if HTTPS_PROXY/HTTP_PROXY are set. */
  readonly proxy?: string | false;
  /** Environment for HTTPS_PROXY / HTTP_PROXY / NO_PROXY (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Default `Microsoft WinRM Client` (idle pools survive longer with it, peers note C4). */
  readonly userAgent?: string;
  /** Default read timeout per request when the caller gives none (default 30 s). */
  readonly readTimeoutMs?: number;
  /** Idle time before a kept-alive socket is closed (default 110 s; HTTP.sys drops at 120 s). */
  readonly keepAliveTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Largest response body accepted (default 32 MiB). */
  readonly maxResponseBytes?: number;
  /** Most connections at once (default 4); more requests wait for a free one. */
  readonly maxConnections?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Builds the undici dispatcher of each connection (tests inject MockAgent here). */
  readonly dispatcherFactory?: DispatcherFactory;
  /** Append every exchange (plain SOAP, scrubbed) to this file, in psremote's recording format (recorder.ts). */
  readonly record?: string | RecordOptions;
  /**
   * Hand idle authenticated connections (NTLM, Kerberos) to the next transport
   * of the same user, host and options when this one closes, and take such a
   * connection before opening a new one (default true). Never for Basic,
   * certificates, CredSSP or no credentials, nor with a dispatcherFactory.
   */
  readonly reuseConnections?: boolean;
  /** Time for the keep-alive idle limit of connections (default the real clock; tests pass a ManualClock). */
  readonly clock?: Clock;
}

export class HttpTransport implements WSManTransport {
  readonly endpoint: Endpoint;
  readonly proxy: ProxyConfig | undefined;
  readonly cookies = new CookieJar();
  readonly #o: HttpTransportOptions;
  readonly #auth: HttpAuth;
  readonly #connections: HttpConnection[] = [];
  readonly #waiters: (() => void)[] = [];
  readonly #max: number;
  readonly #recorder: ClientRecorder | undefined;
  readonly #clock: Clock;
  /** Idle time after which a connection is not used again (the socket may be gone at HTTP.sys's 120 s). */
  readonly #idleLimitMs: number;
  /** Digest of the identity and every option that shapes a connection; undefined: no reuse. */
  readonly #reuseKey: string | undefined;
  #closed = false;

  constructor(options: HttpTransportOptions) {
    this.#o = options;
    this.endpoint = parseEndpoint(options.endpoint, { ...(options.secure !== undefined ? { secure: options.secure } : {}) });
    this.#auth = options.auth ?? noAuth();
    this.#auth.check(this.endpoint, {
      allowUnencrypted: options.allowUnencrypted === true,
      hasClientCertificate: options.tls?.cert !== undefined && options.tls?.key !== undefined,
    });
    if (!this.endpoint.secure && (options.tls?.cert || options.tls?.ca)) {
      throw new UsageError(`TLS options (CA, client certificate) were given but ${this.endpoint.url} is plain http`);
    }
    this.proxy = resolveProxy(this.endpoint, options.proxy, options.env ?? process.env);
    this.#recorder = options.record ? new ClientRecorder(options.record, this.endpoint) : undefined;
    this.#max = options.maxConnections ?? 4;
    if (!Number.isInteger(this.#max) || this.#max < 1) throw new UsageError(`maxConnections must be a positive integer, not ${this.#max}`);
    this.#clock = options.clock ?? systemClock;
    this.#idleLimitMs = options.keepAliveTimeoutMs ?? 110_000;
    const o = options;
    this.#reuseKey =
      this.#auth.reuseKey !== undefined && o.reuseConnections !== false && !o.dispatcherFactory
        ? reuseDigest(this.#auth.reuseKey, this.endpoint.origin, this.endpoint.path, this.proxy ?? null, o.tls ?? {}, o.userAgent ?? DEFAULT_USER_AGENT, o.headers ?? {}, this.#idleLimitMs, o.connectTimeoutMs ?? 30_000, o.maxResponseBytes ?? 32 * 1024 * 1024)
        : undefined;
  }

  get url(): string {
    return this.endpoint.url;
  }
  get host(): string {
    return this.endpoint.display;
  }
  get authScheme(): string {
    return this.#auth.scheme;
  }
  /** Connections created so far (each is one pinned socket at a time). */
  get connections(): readonly HttpConnection[] {
    return this.#connections;
  }

  #newConnection(): HttpConnection {
    const parked = this.#reuseKey !== undefined ? idleConnections.take(this.#reuseKey) : undefined;
    if (parked) {
      parked.adopt(this.cookies);
      this.#connections.push(parked);
      return parked;
    }
    const o = this.#o;
    const c = new HttpConnection({
      endpoint: this.endpoint,
      proxy: this.proxy,
      tls: o.tls ?? {},
      userAgent: o.userAgent ?? DEFAULT_USER_AGENT,
      keepAliveTimeoutMs: o.keepAliveTimeoutMs ?? 110_000,
      connectTimeoutMs: o.connectTimeoutMs ?? 30_000,
      maxResponseBytes: o.maxResponseBytes ?? 32 * 1024 * 1024,
      cookies: this.cookies,
      auth: this.#auth.newContext(),
      dispatcherFactory: o.dispatcherFactory,
      headers: o.headers,
    });
    this.#connections.push(c);
    return c;
  }

  /** The first idle connection (so sequential requests reuse one socket), a new one, or wait. */
  async #acquire(signal: AbortSignal | undefined): Promise<HttpConnection> {
    for (;;) {
      if (this.#closed) throw new TransportError('PSR_TRANSPORT', 'the transport is closed', { host: this.host });
      for (let i = 0; i < this.#connections.length; i++) {
        const c = this.#connections[i]!;
        if (c.closed) {
          this.#connections.splice(i--, 1);
          continue;
        }
        if (!c.busy && this.#clock.now() - c.idleSince >= this.#idleLimitMs) {
          // Idle past the keep-alive limit: the server may be closing it right now.
          this.#connections.splice(i--, 1);
          void c.close();
          continue;
        }
        if (!c.busy) {
          c.busy = true;
          return c;
        }
      }
      if (this.#connections.length < this.#max) {
        const c = this.#newConnection();
        c.busy = true;
        return c;
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const i = this.#waiters.indexOf(wake);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(new AbortError(`${this.host}: the request was aborted while waiting for a free connection`, { cause: signal!.reason }));
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(wake);
      });
    }
  }

  #release(): void {
    this.#waiters.shift()?.();
  }

  async post(request: TransportRequest): Promise<TransportResponse> {
    const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : request.body;
    const timeoutMs = request.timeoutMs ?? this.#o.readTimeoutMs ?? 30_000;
    const conn = await this.#acquire(request.signal);
    let res;
    try {
      res = await conn.post(body, { operation: request.operation, signal: request.signal, timeoutMs, background: request.background });
    } catch (e) {
      if (e instanceof TransportError) this.#recorder?.append(request.operation, Buffer.from(body).toString('utf8'), undefined);
      throw e;
    } finally {
      conn.idleSince = this.#clock.now();
      conn.busy = false;
      this.#release();
    }
    this.#recorder?.append(request.operation, Buffer.from(body).toString('utf8'), { status: res.status, body: res.body.toString('utf8') });
    const contentType = firstHeader(res.headers['content-type']);
    if (res.status === 200) return { status: 200, body: res.body, contentType };
    if (looksLikeXml(contentType, res.body)) return { status: res.status, body: res.body, contentType };
    throw new TransportError(
      'PSR_TRANSPORT_HTTP_STATUS',
      `HTTP ${res.status}${describeBody(contentType, res.body)}`,
      { operation: request.operation, host: this.host, status: res.status },
    );
  }

  /**
   * Closes idle connections gracefully, or parks the authenticated ones for
   * reuse; a connection still holding a request (an outstanding Receive
   * long-poll) is destroyed, so close never waits for an OperationTimeout.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const all = this.#connections.splice(0);
    for (const w of this.#waiters.splice(0)) w();
    const key = this.#reuseKey;
    await Promise.all(
      all.map((c) => {
        if (c.busy) return c.destroy();
        if (key !== undefined && c.reusable) return idleConnections.park(key, c, this.#clock, c.idleSince, this.#idleLimitMs);
        return c.close();
      }),
    );
  }

  /** Closes at once, aborting requests in flight. */
  async destroy(): Promise<void> {
    this.#closed = true;
    const all = this.#connections.splice(0);
    for (const w of this.#waiters.splice(0)) w();
    await Promise.all(all.map((c) => c.destroy()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function looksLikeXml(contentType: string | undefined, body: Buffer): boolean {
  if (body.length === 0) return false;
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('html')) return false;
  if (ct.includes('xml')) return true;
  const head = body.subarray(0, 200).toString('utf8').trimStart();
  return head.startsWith('<') && /Envelope/.test(head);
}

function describeBody(contentType: string | undefined, body: Buffer): string {
  if (body.length === 0) return ' with an empty body';
  const text = body.subarray(0, 2000).toString('utf8');
  const title = /<title>([^<]{1,200})<\/title>/i.exec(text)?.[1] ?? /<h1>([^<]{1,200})<\/h1>/i.exec(text)?.[1];
  const snippet = (title ?? text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 160);
  return ` (${contentType ?? 'no content-type'}${snippet ? `: ${snippet}` : ''})`;
}
