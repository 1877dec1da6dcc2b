// NTLM over HTTP the way WinRM expects it: raw NTLM tokens in the `Negotiate`
// scheme (what Windows accepts and pywinrm/requests-ntlm send), one security
// context per connection, and, over http, every request body sealed in the
// multipart/encrypted framing of MS-WSMV 2.2.9.1 with every response unsealed
// and verified. Over https the body is sent plain (TLS protects it) unless
// `encryption: 'always'`, and the context carries tls-server-end-point channel
// bindings so hosts with CbtHardeningLevel=Strict accept it.
//
// Per connection: the first request of a new socket carries NEGOTIATE with an
// empty body; the 401's CHALLENGE is answered with AUTHENTICATE plus the real
// (sealed) request, as the spec allows ("the client MUST include the
// Authorization field until ... 200 OK") and WinRb does. A new socket (the
// transport's reset hook) or a 401 on an authenticated socket starts over with
// fresh sealing state, so a sealed message is only ever sent together with, or
// after, the AUTHENTICATE of its own context on its own socket.

import { UsageError } from '../../errors.js';
import { AuthProtocolError } from '../../auth/errors.js';
import { NtlmInitiator } from '../../auth/ntlm/initiator.js';
import { SpnegoNtlmInitiator } from '../../auth/spnego/ntlm.js';
import { resolveCredentials, type NtlmCredentials } from '../../auth/ntlm/credentials.js';
import { buildEncryptedBody, SPNEGO_ENCRYPTED, unwrapEncryptedBody } from '../../auth/winrm-encryption.js';
import type { HttpAuth, HttpAuthContext, HttpAuthRequest, HttpAuthResponse, HttpConnectionInfo } from './auth.js';
import { tokenFrom } from './www-authenticate.js';
import { reuseDigest } from './connection-reuse.js';
import { bodyBytes, channelBindingsOf, charsetOf, mustUnseal, sealsOn, unsealOrForget, withPlainBody } from './auth-exchange.js';

export interface NtlmAuthOptions extends NtlmCredentials {
  /**
   * Message encryption: `auto` (default) seals over http and not over https,
   * `always` seals over both, `never` sends plain SOAP (the server must allow
   * unencrypted traffic; over http it also needs allowUnencrypted).
   */
  readonly encryption?: 'auto' | 'always' | 'never';
  /** Send tls-server-end-point channel bindings over https (default true). */
  readonly channelBinding?: boolean;
  /** Service class of the SPN sent as MsvAvTargetName (default `HTTP`, as the Windows client does). */
  readonly service?: string;
  /** Workstation name in AUTHENTICATE (default empty). */
  readonly workstation?: string;
  /** Name this scheme reports (`ntlm` or `negotiate`); the wire scheme is `Negotiate` either way. */
  readonly scheme?: 'ntlm' | 'negotiate';
  /**
   * Wrap the NTLM tokens in SPNEGO (NegTokenInit / NegTokenResp with a
   * mechListMIC), as Windows' own client does. Default false: Windows accepts
   * raw NTLM under `Negotiate`. Not used when the server offers only `NTLM`.
   */
  readonly spnego?: boolean;
}

/** How often a context may start over within one request (socket lost mid-handshake, server forgot us). */
const MAX_RESTARTS = 2;

function offers(header: string | string[] | undefined, scheme: string): boolean {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return values.some((v) => v.split(',').some((p) => p.trim().split(/\s+/)[0]?.toLowerCase() === scheme.toLowerCase()));
}

/** NTLM (in the Negotiate HTTP scheme) with WinRM message encryption. */
export function ntlmAuth(options: NtlmAuthOptions): HttpAuth {
  // Validate now (and turn a password into the NT hash once); errors never echo secrets.
  const resolved = resolveCredentials(options);
  const credentials: NtlmCredentials = { username: options.username, ntHash: resolved.ntHash, ...(options.domain !== undefined ? { domain: options.domain } : {}) };
  const mode = options.encryption ?? 'auto';
  // Only what the contexts need: the password itself is not kept past this point.
  const settings: ContextSettings = {
    channelBinding: options.channelBinding !== false,
    service: options.service ?? 'HTTP',
    workstation: options.workstation ?? '',
    spnego: options.spnego === true,
  };
  return {
    scheme: options.scheme ?? 'ntlm',
    check(ep, o) {
      if (!ep.secure && mode === 'never' && !o.allowUnencrypted) {
        throw new UsageError(
          `refusing unencrypted NTLM traffic over http to ${ep.display}: the SOAP bodies would travel in clear text. ` +
            "Use message encryption (the default), https, or set allowUnencrypted: true if you accept that",
        );
      }
    },
    newContext: () => new NtlmHttpContext(credentials, settings, mode),
    // The NT hash stands for the password: another password for the same name is another identity.
    reuseKey: reuseDigest('ntlm', options.scheme ?? 'ntlm', credentials.username, credentials.domain ?? '', Buffer.from(credentials.ntHash ?? []).toString('hex'), settings, mode),
  };
}

type State = 'idle' | 'negotiating' | 'authenticating' | 'established';

interface ContextSettings {
  readonly channelBinding: boolean;
  readonly service: string;
  readonly workstation: string;
  readonly spnego: boolean;
}

class NtlmHttpContext implements HttpAuthContext {
  #state: State = 'idle';
  #initiator: NtlmInitiator | undefined;
  #spnego: SpnegoNtlmInitiator | undefined;
  #wireScheme = 'Negotiate';
  /** The request's own body and content type, kept until a leg carries them. */
  #plain: Uint8Array = new Uint8Array(0);
  #plainType = 'application/soap+xml;charset=UTF-8';
  #challengeGeneration = -1;
  #generation = -1;
  #restarts = 0;

  // Private fields: util.inspect and JSON.stringify of a context never show the NT hash.
  readonly #credentials: NtlmCredentials;
  readonly #settings: ContextSettings;
  readonly #mode: 'auto' | 'always' | 'never';

  constructor(credentials: NtlmCredentials, settings: ContextSettings, mode: 'auto' | 'always' | 'never') {
    this.#credentials = credentials;
    this.#settings = settings;
    this.#mode = mode;
  }

  reset(): void {
    this.#state = 'idle';
    this.#initiator = undefined;
    this.#spnego = undefined;
    this.#generation = -1;
  }

  established(conn: HttpConnectionInfo): boolean {
    return this.#state === 'established' && this.#generation === conn.generation;
  }

  authorize(req: HttpAuthRequest, conn: HttpConnectionInfo): void {
    this.#plain = req.body;
    this.#plainType = req.headers['content-type'] ?? this.#plainType;
    this.#restarts = 0;
    if (this.#state === 'established' && this.#generation === conn.generation) {
      if (sealsOn(this.#mode, conn)) this.#seal(req);
      return;
    }
    this.#start(req, conn);
  }

  /** NEGOTIATE on an empty body: nothing of the request leaves before the context exists. */
  #start(req: HttpAuthRequest, conn: HttpConnectionInfo): void {
    this.#initiator = new NtlmInitiator({
      credentials: this.#credentials,
      targetName: `${this.#settings.service}/${conn.endpoint.hostname}`,
      workstation: this.#settings.workstation,
      requireSealing: sealsOn(this.#mode, conn),
    });
    this.#spnego = this.#settings.spnego && this.#wireScheme === 'Negotiate' ? new SpnegoNtlmInitiator(this.#initiator) : undefined;
    const first = this.#spnego ? this.#spnego.initial() : this.#initiator.negotiate();
    req.headers.authorization = `${this.#wireScheme} ${Buffer.from(first).toString('base64')}`;
    req.headers['content-type'] = this.#plainType;
    req.body = new Uint8Array(0);
    this.#state = 'negotiating';
  }

  #seal(req: HttpAuthRequest): void {
    const { body, contentType } = buildEncryptedBody(this.#plain, this.#initiator!.session, { charset: charsetOf(this.#plainType) });
    req.body = body;
    req.headers['content-type'] = contentType;
  }

  #restart(req: HttpAuthRequest, conn: HttpConnectionInfo): boolean {
    if (this.#restarts >= MAX_RESTARTS) return false;
    this.#restarts++;
    this.reset();
    this.#start(req, conn);
    return true;
  }

  challenge(res: HttpAuthResponse, req: HttpAuthRequest, conn: HttpConnectionInfo): boolean {
    const h = res.headers['www-authenticate'];
    switch (this.#state) {
      case 'negotiating': {
        const token = tokenFrom(h, this.#wireScheme);
        if (!token) {
          // A server that offers only the NTLM scheme (not Negotiate): speak that.
          if (this.#wireScheme === 'Negotiate' && !offers(h, 'Negotiate') && offers(h, 'NTLM')) {
            this.#wireScheme = 'NTLM';
            return this.#restart(req, conn);
          }
          return false;
        }
        const cb = conn.endpoint.secure && this.#settings.channelBinding ? channelBindingsOf(conn) : undefined;
        const auth = this.#spnego ? this.#spnego.step(token, cb) : this.#initiator!.authenticate(token, cb);
        req.headers.authorization = `${this.#wireScheme} ${Buffer.from(auth).toString('base64')}`;
        if (sealsOn(this.#mode, conn)) this.#seal(req);
        else {
          req.body = this.#plain;
          req.headers['content-type'] = this.#plainType;
        }
        this.#challengeGeneration = conn.generation;
        this.#state = 'authenticating';
        return true;
      }
      case 'authenticating':
        // The socket that carried the CHALLENGE is gone: the AUTHENTICATE landed on a new one. Start over.
        if (conn.generation !== this.#challengeGeneration) return this.#restart(req, conn);
        return false; // credentials (or bindings) refused
      case 'established':
        // The server no longer knows this socket's context (it restarted, or a proxy swapped sockets).
        return this.#restart(req, conn);
      default:
        return false;
    }
  }

  unwrap(res: HttpAuthResponse, conn: HttpConnectionInfo): HttpAuthResponse {
    if (this.#state === 'negotiating') {
      throw new AuthProtocolError(`the server answered the NTLM NEGOTIATE with HTTP ${res.status} instead of a 401 challenge; it may not require authentication`, conn.endpoint.display);
    }
    if (this.#state === 'authenticating') {
      if (this.#spnego) {
        try {
          // The server's last NegTokenResp rides on this response: its mechListMIC must verify before any unsealing.
          this.#spnego.finish(tokenFrom(res.headers['www-authenticate'], this.#wireScheme));
        } catch (e) {
          this.reset();
          throw e;
        }
      }
      this.#state = 'established';
      this.#generation = conn.generation;
    }
    if (!sealsOn(this.#mode, conn) || !mustUnseal(res, conn, SPNEGO_ENCRYPTED, 'NTLM', () => this.reset())) return res;
    // A failed unseal leaves the RC4 streams out of step: the next request authenticates afresh.
    const { plain, charset } = unsealOrForget(() => unwrapEncryptedBody(bodyBytes(res), this.#initiator!.session), () => this.reset());
    return withPlainBody(res, plain, charset);
  }
}
