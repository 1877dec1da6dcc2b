// CredSSP over HTTP, the client (MS-CSSP over WinRM): every leg is a request
// with `Authorization: CredSSP <base64 TLS records>` answered by a 401 with
// `WWW-Authenticate: CredSSP <base64 TLS records>`, first the inner TLS
// handshake, then the TSRequests inside that TLS. The last leg (the delegated
// credentials) carries the real request, sealed with the inner TLS over
// http; the 200 that answers it completes the context. One context per
// connection; a new socket starts over. The password is kept only inside
// this context (private fields) and leaves only inside authInfo, after the
// server proved it holds the TLS key we saw (context.ts).
//
// The inner mechanism is Kerberos when a ticket source is given (the SPN as
// for --auth kerberos: HTTP/<host>, --spn, --spn-service), NTLM otherwise.
// The password is delegated either way: Kerberos only authenticates.

import { UsageError } from '../../errors.js';
import { AuthIntegrityError, AuthProtocolError } from '../../auth/errors.js';
import { CredSspInitiator } from '../../auth/credssp/context.js';
import { buildCredSspBody, credSspPieces, CREDSSP_ENCRYPTED, parseCredSspBody } from '../../auth/credssp/encryption.js';
import { subjectPublicKey } from '../../auth/credssp/public-key.js';
import type { KerberosInitiator } from '../../auth/kerberos/gss/initiator.js';
import { NtlmInitiator } from '../../auth/ntlm/initiator.js';
import { spnFor, type SpnService } from './spn.js';
import type { KerberosTicketSource } from './kerberos-tickets.js';
import type { HttpAuth, HttpAuthContext, HttpAuthRequest, HttpAuthResponse, HttpConnectionInfo } from './auth.js';
import { TlsTunnel } from './credssp-tls.js';
import { bodyBytes, mustUnseal, withPlainBody } from './auth-exchange.js';

export interface CredSspAuthOptions {
  /** `DOMAIN\user`, UPN or a bare name (with `domain`). */
  readonly username: string;
  readonly password: string;
  readonly domain?: string;
  /** `auto` (default) seals over http only; `always` over https too. */
  readonly encryption?: 'auto' | 'always';
  /** Lowest CredSSP version accepted from the server (default 6). */
  readonly minVersion?: number;
  /** Kerberos inside CredSSP: where the service ticket comes from (NTLM when absent). */
  readonly tickets?: KerberosTicketSource;
  readonly spn?: string;
  readonly spnService?: SpnService;
  readonly now?: () => Date;
  /** --debug output (which mechanism, which SPN; never a secret). */
  readonly debug?: (message: string) => void;
}

const LEGS = 8;

function tokenFrom(header: string | string[] | undefined): Uint8Array | undefined {
  for (const v of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
    const m = /^\s*CredSSP\s+([A-Za-z0-9+/=]+)\s*$/i.exec(v);
    if (m) return new Uint8Array(Buffer.from(m[1]!, 'base64'));
  }
  return undefined;
}

export function credsspAuth(options: CredSspAuthOptions): HttpAuth {
  if (!options.username) throw new UsageError('CredSSP needs a user name');
  if (typeof options.password !== 'string' || options.password === '') throw new UsageError('CredSSP delegates a password: one is required');
  return {
    scheme: 'credssp',
    check(ep) {
      if (options.tickets) spnFor(ep.hostname, options);
    },
    newContext: () => new CredSspHttpContext(options),
  };
}

class CredSspHttpContext implements HttpAuthContext {
  readonly #o: CredSspAuthOptions;
  #state: 'idle' | 'tls' | 'credssp' | 'final' | 'established' = 'idle';
  #tunnel: TlsTunnel | undefined;
  #initiator: CredSspInitiator | undefined;
  #plain: Uint8Array = new Uint8Array(0);
  #generation = -1;
  #legs = 0;

  constructor(o: CredSspAuthOptions) {
    this.#o = o;
  }

  #sealing(conn: HttpConnectionInfo): boolean {
    return this.#o.encryption === 'always' || !conn.endpoint.secure;
  }

  reset(): void {
    this.#tunnel?.close();
    this.#tunnel = undefined;
    this.#initiator = undefined;
    this.#state = 'idle';
    this.#generation = -1;
  }

  async authorize(req: HttpAuthRequest, conn: HttpConnectionInfo): Promise<void> {
    this.#plain = req.body;
    if (this.#state === 'established' && this.#generation === conn.generation) {
      if (this.#sealing(conn)) await this.#seal(req);
      return;
    }
    this.reset();
    this.#tunnel = new TlsTunnel();
    this.#header(req, await this.#tunnel.feed());
    req.body = new Uint8Array(0);
    this.#state = 'tls';
    // The socket exists only once the first leg is sent: its generation is taken at the first 401.
    this.#generation = -1;
    this.#legs = 0;
  }

  #header(req: HttpAuthRequest, records: Uint8Array): void {
    req.headers.authorization = `CredSSP ${Buffer.from(records).toString('base64')}`;
  }

  async #seal(req: HttpAuthRequest): Promise<void> {
    const pieces = [];
    for (const p of credSspPieces(this.#plain)) pieces.push({ plainLength: p.byteLength, records: await this.#tunnel!.send(p) });
    const { body, contentType } = buildCredSspBody(pieces, this.#tunnel!.cipherName() ?? '');
    req.body = body;
    req.headers['content-type'] = contentType;
  }

  async challenge(res: HttpAuthResponse, req: HttpAuthRequest, conn: HttpConnectionInfo): Promise<boolean> {
    const token = tokenFrom(res.headers['www-authenticate']);
    if (this.#state === 'tls' && this.#legs === 0) this.#generation = conn.generation;
    // A leg that landed on another socket than the handshake's cannot go on (the server's TLS state is per socket).
    if (!token || conn.generation !== this.#generation || ++this.#legs > LEGS) return false;
    const tunnel = this.#tunnel!;
    if (this.#state === 'tls') {
      let out = await tunnel.feed(token);
      if (tunnel.secure) {
        const cert = tunnel.certificate();
        if (!cert) throw new AuthProtocolError('the CredSSP TLS server sent no certificate to bind to', conn.endpoint.display);
        this.#initiator = new CredSspInitiator({
          ...(await this.#inner(conn)),
          username: this.#o.username,
          password: this.#o.password,
          domain: this.#o.domain,
          serverPublicKey: subjectPublicKey(cert),
          ...(this.#o.minVersion !== undefined ? { minVersion: this.#o.minVersion } : {}),
        });
        out = Buffer.concat([out, await tunnel.send(this.#initiator.initial())]);
        this.#state = 'credssp';
      }
      this.#header(req, out);
      return true;
    }
    if (this.#state === 'credssp') {
      const next = this.#initiator!.step(await tunnel.receive(token));
      this.#header(req, await tunnel.send(next));
      if (this.#initiator!.complete) {
        this.#state = 'final';
        if (this.#sealing(conn)) await this.#seal(req);
        else req.body = this.#plain;
      }
      return true;
    }
    return false;
  }

  /** The inner mechanism's initiator: Kerberos with a ticket for the SPN, or NTLM with the delegated credentials. */
  async #inner(conn: HttpConnectionInfo): Promise<{ kerberos: KerberosInitiator } | { ntlm: NtlmInitiator }> {
    const o = this.#o;
    if (!o.tickets) {
      o.debug?.('credssp: NTLM inside SPNEGO (no Kerberos ticket source)');
      return { ntlm: new NtlmInitiator({ credentials: { username: o.username, password: o.password, ...(o.domain ? { domain: o.domain } : {}) }, targetName: `HTTP/${conn.endpoint.hostname}` }) };
    }
    const now = o.now ?? (() => new Date());
    const spn = spnFor(conn.endpoint.hostname, o);
    const ticket = await o.tickets.serviceTicket(spn, { now: now() });
    o.debug?.(`credssp: Kerberos inside SPNEGO, SPN ${spn}, ticket from ${o.tickets.describe}, session key enctype ${ticket.sessionKey.enctype}`);
    // No channel bindings inside: the TLS that CredSSP binds is its own, through pubKeyAuth.
    // Loaded here: a CLI run that never uses Kerberos does not load its crypto (test/cli/startup.test.ts).
    const { KerberosInitiator } = await import('../../auth/kerberos/gss/initiator.js');
    return { kerberos: new KerberosInitiator({ ticket, now }) };
  }

  async unwrap(res: HttpAuthResponse, conn: HttpConnectionInfo): Promise<HttpAuthResponse> {
    if (this.#state === 'tls' || this.#state === 'credssp') {
      throw new AuthProtocolError(`the server answered a CredSSP leg with HTTP ${res.status} before the credentials were delegated`, conn.endpoint.display);
    }
    if (this.#state === 'final') this.#state = 'established';
    if (!this.#sealing(conn) || !mustUnseal(res, conn, CREDSSP_ENCRYPTED, 'CredSSP', () => this.reset())) return res;
    const out: Buffer[] = [];
    try {
      for (const p of parseCredSspBody(bodyBytes(res))) {
        const plain = await this.#tunnel!.receive(p.records);
        if (plain.byteLength !== p.plainLength) throw new AuthIntegrityError(`a decrypted part has ${plain.byteLength} bytes but OriginalContent says ${p.plainLength}`);
        out.push(Buffer.from(plain));
      }
    } catch (e) {
      this.reset();
      throw e;
    }
    return withPlainBody(res, Buffer.concat(out), 'UTF-8');
  }
}
