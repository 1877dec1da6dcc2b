// One "connection" of the HTTP transport: a single undici Client pinned to one
// socket (pipelining 1), with its own auth context. NTLM/Kerberos/CredSSP
// authenticate the socket, so every leg and every later request of that
// context must use it; undici's Pool/Agent alternate sockets even for strictly
// sequential requests (dependencies note §1), which is why each connection is
// a Client of its own. The transport keeps a few of these so a Receive
// long-poll can hold one while Send/Signal go out on another.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { buildConnector, Client, type Dispatcher } from 'undici';
import { LimitError } from '../../errors.js';
import type { HttpAuthContext, HttpAuthRequest, HttpAuthResponse, HttpConnectionInfo } from './auth.js';
import type { CookieJar } from './cookies.js';
import type { Endpoint, ProxyConfig } from './endpoint.js';
import { mapRequestError, TransportError } from './errors.js';
import { AuthRejectedError } from '../../auth/errors.js';

export interface TlsOptions {
  /** Trusted CA certificate(s), PEM. Replaces the default trust store. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate (PEM) for certificate authentication. */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly passphrase?: string;
  /** Name to verify the server certificate against (and to send as SNI). */
  readonly servername?: string;
  /** Verify the server certificate (default true). Only an explicit `false` turns it off. */
  readonly rejectUnauthorized?: boolean;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** Builds the undici dispatcher for one connection; tests inject MockAgent clients here. */
export type DispatcherFactory = (origin: string, options: Client.Options) => Dispatcher;

export interface HttpConnectionOptions {
  readonly endpoint: Endpoint;
  readonly proxy: ProxyConfig | undefined;
  readonly tls: TlsOptions;
  readonly userAgent: string;
  readonly keepAliveTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly cookies: CookieJar;
  readonly auth: HttpAuthContext;
  readonly dispatcherFactory?: DispatcherFactory | undefined;
  /** Extra headers on every request (never logged). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface PostOptions {
  readonly operation: string;
  readonly signal?: AbortSignal | undefined;
  /** Read timeout for this request (headers and gaps between body chunks). */
  readonly timeoutMs: number;
  readonly contentType?: string;
  /** See TransportRequest.background: the socket is unref'd while this request runs. */
  readonly background?: boolean | undefined;
}

/** Most legs a multi-leg scheme may take on one request before we call it rejected. */
const MAX_AUTH_LEGS = 4;

export class HttpConnection implements HttpConnectionInfo {
  readonly endpoint: Endpoint;
  readonly #o: HttpConnectionOptions;
  readonly #dispatcher: Dispatcher;
  #generation = 0;
  #authorizedGeneration = -1;
  #tlsSocket: TLSSocket | undefined;
  #busy = false;
  #closed = false;
  #socketLost = false;
  /** A socket is open now (between undici's connect and disconnect events). */
  #connected = false;
  /** Whether the request in flight is a background one (its socket must not hold the process). */
  #background = false;
  #socket: Socket | undefined;
  /** Sockets opened over the life of this connection (tests count them). */
  connects = 0;
  /** When its last request ended, on the owning transport's clock (idle limit, reuse). */
  idleSince = 0;
  #cookies: CookieJar;

  constructor(options: HttpConnectionOptions) {
    this.#o = options;
    this.#cookies = options.cookies;
    this.endpoint = options.endpoint;
    const clientOptions: Client.Options = {
      pipelining: 1,
      // HTTP.sys closes idle connections at 120 s and sends no Keep-Alive hint;
      // undici's 4 s default would silently drop an authenticated socket.
      keepAliveTimeout: options.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs, 600_000),
      connect: this.#connector(),
      // Per-request timeouts are set on each request; these are only fallbacks.
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    };
    this.#dispatcher = options.dispatcherFactory
      ? options.dispatcherFactory(options.endpoint.origin, clientOptions)
      : new Client(options.endpoint.origin, clientOptions);
    this.#dispatcher.on('connect', () => {
      this.#connected = true;
      this.#generation++;
      this.connects++;
    });
    // The next request will open a new socket: connection-bound auth starts over.
    this.#dispatcher.on('disconnect', () => {
      this.#connected = false;
      this.#socketLost = true;
    });
  }

  get generation(): number {
    return this.#generation;
  }
  get tlsSocket(): TLSSocket | undefined {
    return this.#tlsSocket;
  }
  /** Leased by the transport for one request (set before the request starts, so no two callers share it). */
  get busy(): boolean {
    return this.#busy;
  }
  set busy(v: boolean) {
    this.#busy = v;
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** A socket is open now, as far as undici has seen (tests wait on it after cutting a socket). */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Open socket, nothing in flight, and the auth context established on this
   * very socket: another transport of the same user may take it (connection-reuse.ts).
   */
  get reusable(): boolean {
    return (
      !this.#closed &&
      !this.#busy &&
      this.#connected &&
      !this.#socketLost &&
      this.#authorizedGeneration === this.#generation &&
      this.#o.auth.established?.(this) === true
    );
  }

  /** Parked for reuse: its idle socket must not hold the process. */
  park(): void {
    this.#setBackground(true);
  }

  /** Taken by another transport: its cookies go to that transport's jar from now on. */
  adopt(cookies: CookieJar): void {
    this.#cookies = cookies;
  }

  #connector(): Client.Options['connect'] {
    const t = this.#o.tls;
    const base = buildConnector({
      ...(t.ca !== undefined ? { ca: t.ca as string | Buffer | (string | Buffer)[] } : {}),
      ...(t.cert !== undefined ? { cert: t.cert } : {}),
      ...(t.key !== undefined ? { key: t.key } : {}),
      ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}),
      ...(t.minVersion !== undefined ? { minVersion: t.minVersion } : {}),
      rejectUnauthorized: t.rejectUnauthorized !== false,
      // A resumed TLS session has no peer certificate, and channel binding needs it.
      maxCachedSessions: 0,
      timeout: this.#o.connectTimeoutMs,
    });
    const proxy = this.#o.proxy;
    const servername = t.servername;
    return (opts, cb) => {
      const done: buildConnector.Callback = (err, socket) => {
        if (err) return cb(err, null);
        this.#tlsSocket = 'encrypted' in socket! ? (socket as TLSSocket) : undefined;
        this.#adoptSocket(socket as Socket);
        cb(null, socket!);
      };
      const callOpts = servername ? { ...opts, servername } : opts;
      if (!proxy) return base(callOpts, done);
      this.#tunnel(proxy, opts.hostname, Number(opts.port) || this.endpoint.port)
        .then((socket) => {
          if (opts.protocol === 'https:') base({ ...callOpts, httpSocket: socket }, done);
          else done(null, socket);
        })
        .catch((e: unknown) => cb(e as Error, null));
    };
  }

  // undici refs a socket while it has a request and unrefs it when idle; a
  // background request must leave it unref'd, so ref() is filtered here.
  #adoptSocket(socket: Socket): void {
    this.#socket = socket;
    const ref = socket.ref.bind(socket);
    socket.ref = () => (this.#background ? socket.unref() : ref());
    if (this.#background) socket.unref();
  }

  #setBackground(background: boolean): void {
    this.#background = background;
    const s = this.#socket;
    if (!s || s.destroyed) return;
    if (background) s.unref();
    else s.ref();
  }

  /** HTTP CONNECT through the proxy; resolves with the raw tunnel socket. */
  #tunnel(proxy: ProxyConfig, host: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      const headers: Record<string, string> = { host: target };
      if (proxy.authorization) headers['proxy-authorization'] = proxy.authorization;
      const req = (proxy.secure ? httpsRequest : httpRequest)({
        host: proxy.hostname,
        port: proxy.port,
        method: 'CONNECT',
        path: target,
        headers,
        agent: false,
        timeout: this.#o.connectTimeoutMs,
      });
      req.once('connect', (res, socket) => {
        if (res.statusCode !== 200) {
          socket.destroy();
          reject(new TransportError('PSR_TRANSPORT', `proxy ${proxy.display} refused CONNECT to ${target} with HTTP ${res.statusCode}`, { host: this.endpoint.display }));
          return;
        }
        resolve(socket);
      });
      req.once('timeout', () => req.destroy(new TransportError('PSR_TRANSPORT', `proxy ${proxy.display} did not answer CONNECT`, { host: this.endpoint.display })));
      req.once('error', (e) =>
        reject(e instanceof TransportError ? e : new TransportError('PSR_TRANSPORT', `cannot reach proxy ${proxy.display}: ${e.message}`, { host: this.endpoint.display }, e)),
      );
      req.end();
    });
  }

  /** POSTs one envelope, running auth legs on this connection. Caller holds the connection. */
  async post(body: Uint8Array, options: PostOptions): Promise<HttpResponse> {
    if (this.#closed) throw new TransportError('PSR_TRANSPORT', 'connection is closed', { operation: options.operation, host: this.endpoint.display });
    {
      const headers: Record<string, string> = {
        'content-type': options.contentType ?? 'application/soap+xml;charset=UTF-8',
        'accept-encoding': 'identity',
        'user-agent': this.#o.userAgent,
        ...this.#o.headers,
      };
      const req: HttpAuthRequest = { operation: options.operation, headers, body };
      this.#setBackground(options.background === true);
      if (this.#authorizedGeneration !== -1 && (this.#socketLost || this.#authorizedGeneration !== this.#generation)) this.#o.auth.reset?.();
      this.#socketLost = false;
      await this.#o.auth.authorize(req, this);
      for (let leg = 0; ; leg++) {
        const cookie = this.#cookies.header();
        if (cookie) req.headers.cookie = cookie;
        const res = await this.#send(req, options);
        this.#cookies.store(res.headers['set-cookie']);
        this.#authorizedGeneration = this.#generation;
        if (res.status === 401) {
          if (leg < MAX_AUTH_LEGS && this.#o.auth.challenge && (await this.#o.auth.challenge(res, req, this))) continue;
          const message = this.#o.auth.anonymous
            ? 'the server requires authentication (HTTP 401) and no credential was given (give a user and password, e.g. --user and --password-env, or a certificate)'
            : 'the server rejected the credentials (HTTP 401)';
          throw new AuthRejectedError(message, {
            operation: options.operation,
            host: this.endpoint.display,
            offered: offeredSchemes(res.headers['www-authenticate']),
          });
        }
        if (leg < MAX_AUTH_LEGS && this.#o.auth.resend && (await this.#o.auth.resend(res, req, this))) continue;
        return this.#o.auth.unwrap ? await this.#o.auth.unwrap(res, this) : res;
      }
    }
  }

  async #send(req: HttpAuthRequest, o: PostOptions): Promise<HttpResponse> {
    const ctx = { operation: o.operation, host: this.endpoint.display };
    const max = this.#o.maxResponseBytes;
    try {
      const res = await this.#dispatcher.request({
        origin: this.endpoint.origin,
        path: this.endpoint.path,
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(req.body.byteLength) },
        body: req.body.byteLength ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : '',
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > max) {
        res.body.destroy();
        this.#dispatcher.destroy().catch(() => {});
        throw new LimitError('HTTP response size', max, declared, `${o.operation} response from ${this.endpoint.display} (declared Content-Length)`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > max) {
          res.body.destroy();
          this.#dispatcher.destroy().catch(() => {});
          throw new LimitError('HTTP response size', max, size, `${o.operation} response from ${this.endpoint.display}`);
        }
        chunks.push(chunk);
      }
      return { status: res.statusCode, headers: res.headers as HttpAuthResponse['headers'], body: Buffer.concat(chunks, size) };
    } catch (e) {
      if (e instanceof LimitError || e instanceof TransportError) {
        if (e instanceof LimitError) this.#closed = true;
        throw e;
      }
      throw mapRequestError(e, ctx, o.signal?.aborted === true, o.timeoutMs);
    }
  }

  /**
   * Graceful only when a socket is open: undici's Client.close() never settles
   * after a failed connect (a TLS verification error, a refused port), so a
   * connection with no socket is destroyed, which has nothing to lose.
   */
  async close(): Promise<void> {
    if (this.#closed || !this.#connected) {
      this.#closed = true;
      await this.#dispatcher.destroy().catch(() => {});
      return;
    }
    this.#closed = true;
    await this.#dispatcher.close().catch(() => this.#dispatcher.destroy().catch(() => {}));
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    await this.#dispatcher.destroy().catch(() => {});
  }
}

function offeredSchemes(h: string | string[] | undefined): string[] {
  const values = h === undefined ? [] : typeof h === 'string' ? [h] : h;
  return values.map((v) => v.trim().split(/\s+/)[0] ?? '').filter(Boolean);
}
