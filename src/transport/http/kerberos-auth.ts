// Kerberos over HTTP the way WinRM expects it (MS-WSMV 2.2.9.1, MS-KILE): the
// AP-REQ in the `Kerberos` scheme raw, or in the `Negotiate` scheme inside
// SPNEGO with both Kerberos OIDs; the AP-REP (mutual authentication) comes
// back in WWW-Authenticate on the 200. One leg, so with message encryption
// (http) the first request of a socket carries the AP-REQ on an empty body,
// as pywinrm does: the key that seals the body is the acceptor's subkey in the
// AP-REP. Then the real request goes sealed (`resend`), and every later one
// on that socket too; over https the body rides with the AP-REQ and the
// context carries tls-server-end-point channel bindings, which hash the
// server's certificate: a new socket first sends one unauthenticated empty
// POST to meet it (the 401 then gets the AP-REQ).
//
// The SPN is `HTTP/<host>` (or `--spn-service`, or `--spn` whole), from the
// URL's host name as typed: no DNS canonicalisation or reverse lookup (MIT's
// rdns=false), because a lookup could be spoofed into asking for another
// service's ticket. A bare IP address has no SPN: that is a UsageError.

import { UsageError } from '../../errors.js';
import { AuthIntegrityError, AuthProtocolError } from '../../auth/errors.js';
import type { KerberosSecurityContext } from '../../auth/kerberos/gss/context.js';
import { KerberosInitiator, krbErrorOfToken, type ForwardableTgt } from '../../auth/kerberos/gss/initiator.js';
import { SpnegoKerberosInitiator } from '../../auth/spnego/kerberos.js';
import { buildEncryptedBody, KERBEROS_ENCRYPTED, SPNEGO_ENCRYPTED, unwrapEncryptedBody } from '../../auth/winrm-encryption.js';
import type { HttpAuth, HttpAuthContext, HttpAuthRequest, HttpAuthResponse, HttpConnectionInfo } from './auth.js';
import { tokenFrom } from './www-authenticate.js';
import { bodyBytes, channelBindingsOf, charsetOf, mustUnseal, sealsOn, unsealOrForget, withPlainBody } from './auth-exchange.js';
import type { KerberosTicketSource } from './kerberos-tickets.js';
import { identityOf, reuseDigest } from './connection-reuse.js';

import { spnFor, type SpnService } from './spn.js';

export { spnFor, type SpnService };

export interface KerberosAuthOptions {
  readonly tickets: KerberosTicketSource;
  /** `kerberos` (the `Kerberos` scheme, raw tokens) or `negotiate` (SPNEGO in `Negotiate`). */
  readonly scheme?: 'kerberos' | 'negotiate';
  readonly spn?: string;
  readonly spnService?: SpnService;
  /** Forward a TGT to the server (GSS_C_DELEG_FLAG), for the second hop. */
  readonly delegate?: boolean;
  readonly encryption?: 'auto' | 'always' | 'never';
  readonly channelBinding?: boolean;
  readonly now?: () => Date;
  /** --debug output (what was used; never a secret). */
  readonly debug?: (message: string) => void;
}


export function kerberosAuth(options: KerberosAuthOptions): HttpAuth {
  const mode = options.encryption ?? 'auto';
  return {
    scheme: options.scheme ?? 'kerberos',
    check(ep, o) {
      spnFor(ep.hostname, options);
      if (!ep.secure && mode === 'never' && !o.allowUnencrypted) {
        throw new UsageError(`refusing unencrypted Kerberos traffic over http to ${ep.display}: use message encryption (the default), https, or allowUnencrypted: true`);
      }
    },
    newContext: () => new KerberosHttpContext(options, mode),
    // The ticket source is the identity (one ccache or one KDC principal), by object: two
    // sources are two identities even if they name the same principal. Delegation is part
    // of it: a socket whose context forwarded a TGT is not handed to one that did not ask.
    reuseKey: reuseDigest('kerberos', options.scheme ?? 'kerberos', identityOf(options.tickets), options.spn ?? '', options.spnService ?? 'HTTP', options.delegate === true, mode, options.channelBinding !== false),
  };
}

type State = 'idle' | 'probe' | 'sent' | 'established';

class KerberosHttpContext implements HttpAuthContext {
  readonly #o: KerberosAuthOptions;
  readonly #mode: 'auto' | 'always' | 'never';
  readonly #wire: string;
  #state: State = 'idle';
  #initiator: KerberosInitiator | undefined;
  #spnego: SpnegoKerberosInitiator | undefined;
  #context: KerberosSecurityContext | undefined;
  #generation = -1;
  #withheld = false;
  #plain: Uint8Array = new Uint8Array(0);
  #plainType = 'application/soap+xml;charset=UTF-8';

  constructor(o: KerberosAuthOptions, mode: 'auto' | 'always' | 'never') {
    this.#o = o;
    this.#mode = mode;
    this.#wire = o.scheme === 'negotiate' ? 'Negotiate' : 'Kerberos';
  }

  get #protocol(): string {
    return this.#wire === 'Negotiate' ? SPNEGO_ENCRYPTED : KERBEROS_ENCRYPTED;
  }

  reset(): void {
    this.#state = 'idle';
    this.#initiator = undefined;
    this.#spnego = undefined;
    this.#context = undefined;
    this.#generation = -1;
  }

  established(conn: HttpConnectionInfo): boolean {
    return this.#state === 'established' && this.#generation === conn.generation;
  }

  async authorize(req: HttpAuthRequest, conn: HttpConnectionInfo): Promise<void> {
    this.#plain = req.body;
    this.#plainType = req.headers['content-type'] ?? this.#plainType;
    if (this.#state === 'established' && this.#generation === conn.generation) {
      if (sealsOn(this.#mode, conn)) this.#seal(req);
      return;
    }
    this.reset();
    if (conn.endpoint.secure && this.#o.channelBinding !== false && !channelBindingsOf(conn)) {
      // The bindings hash the server's certificate, and this socket has not met it yet: one
      // unauthenticated empty POST first (the server answers 401), then the AP-REQ on that socket.
      req.body = new Uint8Array(0);
      this.#state = 'probe';
      return;
    }
    await this.#start(req, conn);
  }

  async #start(req: HttpAuthRequest, conn: HttpConnectionInfo): Promise<void> {
    const now = (this.#o.now ?? (() => new Date()))();
    const spn = spnFor(conn.endpoint.hostname, this.#o);
    const ticket = await this.#o.tickets.serviceTicket(spn, { now });
    let delegate: ForwardableTgt | undefined;
    if (this.#o.delegate) {
      if (!this.#o.tickets.forwardedTgt) throw new UsageError(`--delegate: ${this.#o.tickets.describe} cannot give a TGT to forward`);
      delegate = await this.#o.tickets.forwardedTgt({ now });
    }
    const cb = conn.endpoint.secure && this.#o.channelBinding !== false ? channelBindingsOf(conn) : undefined;
    this.#o.debug?.(`kerberos: ${this.#wire} scheme, SPN ${spn}, ticket from ${this.#o.tickets.describe}, session key enctype ${ticket.sessionKey.enctype}${cb ? ', channel bindings' : ''}${delegate ? ', delegating a TGT' : ''}`);
    this.#initiator = new KerberosInitiator({ ticket, now: this.#o.now ?? (() => new Date()), ...(cb ? { channelBindings: cb } : {}), ...(delegate ? { delegate } : {}) });
    let token: Uint8Array;
    if (this.#wire === 'Negotiate') {
      this.#spnego = new SpnegoKerberosInitiator(this.#initiator);
      token = this.#spnego.initial();
    } else token = this.#initiator.initial();
    req.headers.authorization = `${this.#wire} ${Buffer.from(token).toString('base64')}`;
    this.#withheld = sealsOn(this.#mode, conn);
    req.body = this.#withheld ? new Uint8Array(0) : this.#plain;
    req.headers['content-type'] = this.#plainType;
    this.#state = 'sent';
  }

  #establish(res: HttpAuthResponse, conn: HttpConnectionInfo): void {
    const token = tokenFrom(res.headers['www-authenticate'], this.#wire);
    try {
      if (this.#spnego) this.#context = this.#spnego.finish(token);
      else {
        if (!token) throw new AuthIntegrityError(`the server answered HTTP ${res.status} without an AP-REP: mutual authentication is missing`);
        this.#context = this.#initiator!.step(token);
      }
    } catch (e) {
      this.reset();
      throw e;
    }
    this.#state = 'established';
    this.#generation = conn.generation;
  }

  async challenge(res: HttpAuthResponse, req: HttpAuthRequest, conn: HttpConnectionInfo): Promise<boolean> {
    if (this.#state === 'probe') {
      if (!channelBindingsOf(conn)) throw new AuthProtocolError('no server certificate on the TLS socket to bind the Kerberos context to', conn.endpoint.display);
      await this.#start(req, conn);
      return true;
    }
    if (this.#state === 'sent') {
      const token = tokenFrom(res.headers['www-authenticate'], this.#wire);
      this.reset();
      // A KRB-ERROR token names the reason (skew, wrong key version, …).
      const refusal = token && token[0] === 0x60 ? krbErrorOfToken(token) : undefined;
      if (refusal) throw refusal;
      return false;
    }
    if (this.#state === 'established') {
      this.reset();
      return false;
    }
    return false;
  }

  resend(res: HttpAuthResponse, req: HttpAuthRequest, conn: HttpConnectionInfo): boolean {
    if (this.#state !== 'sent' || !this.#withheld) return false;
    this.#establish(res, conn);
    this.#withheld = false;
    delete req.headers.authorization;
    this.#seal(req);
    return true;
  }

  #seal(req: HttpAuthRequest): void {
    const { body, contentType } = buildEncryptedBody(this.#plain, this.#context!, { protocol: this.#protocol, charset: charsetOf(this.#plainType) });
    req.body = body;
    req.headers['content-type'] = contentType;
  }

  unwrap(res: HttpAuthResponse, conn: HttpConnectionInfo): HttpAuthResponse {
    if (this.#state === 'probe') throw new AuthProtocolError(`the server answered an unauthenticated request with HTTP ${res.status} instead of 401; it may not require authentication`, conn.endpoint.display);
    if (this.#state === 'sent') this.#establish(res, conn);
    if (!sealsOn(this.#mode, conn) || !mustUnseal(res, conn, this.#protocol, 'Kerberos', () => this.reset())) return res;
    const { plain, charset } = unsealOrForget(() => unwrapEncryptedBody(bodyBytes(res), this.#context!, { protocol: this.#protocol }), () => this.reset());
    return withPlainBody(res, plain, charset);
  }
}
