// Authentication and message encryption for the local endpoint: Basic, and
// NTLM in the `Negotiate` (or `NTLM`) scheme with WinRM message encryption,
// built on the same NTLM code as the client (src/auth/ntlm/acceptor.ts). NTLM
// authenticates the TCP connection, so its state lives per socket: the
// handshake's acceptor, then the session security that unseals every request
// and seals every response on that socket, in order.
//
// Like Windows with AllowUnencrypted=false, an NTLM-authenticated socket over
// http must seal its requests (except the empty POST clients use to
// authenticate); over https plain SOAP is fine, and the channel binding policy
// (CbtHardeningLevel) applies. Basic over http is refused unless
// allowUnencrypted is set, as WinRM refuses it with AllowUnencrypted=false.
//
// Authentication is decided from the headers alone (inbound), before any of
// the body is read: an unauthenticated client never gets a body buffered. The
// body is read and unsealed afterwards (finish).
//
// Owners: every authenticated request names its user by the configured name
// (the key in `users`), whatever form the client gave: `DOMAIN\user`,
// `user@domain` and `user` in any case are one account. The endpoint is one
// machine in one domain (workgroup rule): the domain part is not checked.

import { timingSafeEqual, X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { PsRemoteError } from '../errors.js';
import { certificateChannelBindings } from '../auth/channel-bindings.js';
import { NtlmAcceptor, type ChannelBindingPolicy } from '../auth/ntlm/acceptor.js';
import { ntowfv1 } from '../auth/ntlm/crypto.js';
import { parseNtHash } from '../auth/ntlm/credentials.js';
import type { NtlmSessionSecurity } from '../auth/ntlm/session-security.js';
import { SpnegoNtlmAcceptor } from '../auth/spnego/ntlm.js';
import { looksLikeSpnego } from '../auth/spnego/tokens.js';
import { buildEncryptedBody, encryptedProtocolOf, KERBEROS_ENCRYPTED, SPNEGO_ENCRYPTED, unwrapEncryptedBody, type MessageSealer } from '../auth/winrm-encryption.js';
import { decodeNegotiationToken, innerTokenKind } from '../auth/spnego/tokens.js';
import { SpnegoKerberosAcceptor, wantsKerberos } from '../auth/spnego/kerberos.js';
import { CredSspGate } from './credssp-gate.js';
import type { CredSspAccepted } from '../auth/credssp/context.js';
import { KerberosAcceptor, ReplayCache, type KerberosAcceptResult, type ServiceKey } from '../auth/kerberos/gss/acceptor.js';

/** `kerberos`: Kerberos in the `Kerberos` scheme and (inside SPNEGO or raw) in `Negotiate`; with `ntlm` too, Negotiate takes either. */
export type EndpointAuthScheme = 'basic' | 'ntlm' | 'kerberos' | 'credssp';

/**
 * A user's secret: the password, or (NTLM only; Basic then checks the password's hash) the NT hash.
 * `admin: true` lets the user enumerate and delete every user's shells, as a Windows administrator can.
 */
export type EndpointUser = string | { readonly ntHash: string; readonly admin?: boolean } | { readonly password: string; readonly admin?: boolean };

export interface AuthGateOptions {
  readonly users: Readonly<Record<string, EndpointUser>> | undefined;
  readonly schemes: readonly EndpointAuthScheme[];
  readonly secure: boolean;
  /** PEM certificate of an https endpoint (its hash is the channel binding). */
  readonly certificate?: string | Buffer | undefined;
  readonly channelBindingPolicy?: ChannelBindingPolicy;
  /** Accept plain SOAP on an NTLM socket over http (Windows' AllowUnencrypted). Default false. */
  readonly allowUnencrypted?: boolean;
  readonly netbiosComputer?: string;
  /** Service keys (a parsed keytab) for Kerberos. */
  readonly keytab?: readonly ServiceKey[];
  /** The clock the Kerberos acceptor checks tickets and authenticators against (default the system's). */
  readonly now?: () => Date;
  /** Called with each Kerberos context that delivered a forwarded TGT (the endpoint stores it). */
  readonly onKerberos?: (result: KerberosAcceptResult) => void;
  /** `credssp`: the inner TLS certificate and key (PEM; the https ones by default), and who receives delegated credentials. */
  readonly credssp?: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  readonly onCredSsp?: (accepted: CredSspAccepted, user: string) => void;
}

export type { GateReply, GateResult, GateStep, Sealed } from './gate-types.js';
import type { GateReply, GateResult, GateStep } from './gate-types.js';

interface SocketAuth {
  acceptor?: NtlmAcceptor;
  scheme?: string;
  session?: NtlmSessionSecurity | MessageSealer | undefined;
  /** The multipart/encrypted protocol of this socket's context. */
  protocol?: string;
  user?: string;
  spnego?: SpnegoNtlmAcceptor;
  /** SPNEGO's last NegTokenResp (accept-completed + mechListMIC), sent once with the first answer. */
  finalHeader?: string;
}

const SOAP = 'application/soap+xml;charset=UTF-8';

export class AuthGate {
  readonly #o: AuthGateOptions;
  readonly #sockets = new WeakMap<Socket, SocketAuth>();
  readonly #channelBindings: Uint8Array | undefined;
  readonly #replay = new ReplayCache();
  readonly #credssp: CredSspGate | undefined;

  constructor(options: AuthGateOptions) {
    this.#o = options;
    this.#channelBindings = options.secure && options.certificate ? certificateChannelBindings(new Uint8Array(new X509Certificate(options.certificate).raw)) : undefined;
    this.#credssp = options.schemes.includes('credssp') && options.credssp
      ? new CredSspGate({
          ...options.credssp,
          ntHash: (u) => this.#ntHash(u),
          canonicalUser: (u) => this.#lookupKey(u),
          mustSeal: !options.secure && !options.allowUnencrypted,
          reject: (reason) => this.#reject(reason),
          onAccepted: options.onCredSsp,
          ...(options.keytab ? { kerberos: { keys: options.keytab, now: options.now ?? (() => new Date()), replayCache: this.#replay } } : {}),
        })
      : undefined;
  }

  /** One WWW-Authenticate header per scheme, as HTTP.sys sends them. */
  get #offer(): Record<string, string[]> {
    const s: string[] = [];
    if (this.#o.schemes.includes('ntlm') || this.#o.schemes.includes('kerberos')) s.push('Negotiate');
    if (this.#o.schemes.includes('kerberos')) s.push('Kerberos');
    if (this.#credssp) s.push('CredSSP');
    if (this.#o.schemes.includes('basic') && this.#basicAllowed) s.push('Basic realm="WSMAN"');
    return s.length ? { 'www-authenticate': s } : {};
  }

  /** Basic sends the password itself: only over https, or when unencrypted traffic is allowed. */
  get #basicAllowed(): boolean {
    return this.#o.secure || this.#o.allowUnencrypted === true;
  }

  /** The configured name of the account a client-given user name means, if any. */
  canonicalUser(user: string): string | undefined {
    return this.#lookupKey(user);
  }

  /** Whether this (configured) user is an administrator. */
  isAdmin(user: string | undefined): boolean {
    const v = user === undefined ? undefined : this.#o.users?.[user];
    return typeof v === 'object' && v.admin === true;
  }

  #lookupKey(user: string): string | undefined {
    const users = this.#o.users ?? {};
    // Windows user names are case-insensitive; `DOMAIN\user` and `user@domain` name the same account here.
    const bare = (user.includes('\\') ? user.slice(user.indexOf('\\') + 1) : user).split('@')[0]!.toLowerCase();
    return Object.keys(users).find((k) => k.toLowerCase() === bare);
  }

  #ntHash(user: string): Uint8Array | undefined {
    const k = this.#lookupKey(user);
    if (k === undefined) return undefined;
    const v = this.#o.users![k]!;
    return typeof v === 'string' ? ntowfv1(v) : 'password' in v ? ntowfv1(v.password) : parseNtHash(v.ntHash);
  }

  #reject(reason: string, extra: Record<string, string | string[]> = {}): GateReply {
    return { kind: 'reply', status: 401, headers: { ...this.#offer, ...extra, 'content-length': 0 }, body: '', reason };
  }

  #plain(body: Buffer, user: string | undefined, extra: Record<string, string> = {}): GateResult {
    return { kind: 'pass', body, user, headers: extra, seal: (status, text) => ({ status, headers: { ...extra, 'content-type': SOAP }, body: Buffer.from(text, 'utf8') }) };
  }

  /** Decides from the headers alone; the body is read only when this says 'read'. */
  inbound(req: IncomingMessage): GateStep | Promise<GateStep> {
    if (!this.#o.users && !this.#o.keytab) return this.#read(undefined, (body) => this.#plain(body, undefined));
    const socket = req.socket;
    const h = req.headers.authorization ?? '';
    const m = /^(\S+)\s+(\S+)\s*$/.exec(h);
    const scheme = m?.[1]?.toLowerCase();
    if (this.#credssp && (scheme === 'credssp' || (!m && this.#credssp.established(socket)))) return this.#credssp.inbound(req, m?.[2]);
    if (m && this.#o.schemes.includes('kerberos') && (scheme === 'kerberos' || scheme === 'negotiate')) {
      const k = this.#kerberos(socket, m[1]!, m[2]!, req);
      if (k) return k;
    }
    if (m && (scheme === 'negotiate' || scheme === 'ntlm') && this.#o.schemes.includes('ntlm')) return this.#ntlm(socket, m[1]!, m[2]!, req);
    if (m && scheme === 'basic' && this.#o.schemes.includes('basic')) {
      if (!this.#basicAllowed) return this.#reject('Basic over http refused: the password would cross the network in clear (AllowUnencrypted=false)');
      const user = this.#basic(m[2]!);
      return user === undefined ? this.#reject('Basic credentials refused') : this.#read(user, (body) => this.#plain(body, user));
    }
    if (m) return this.#reject(`scheme ${m[1]} not offered`);
    const state = this.#sockets.get(socket);
    if (state?.user !== undefined && state.session !== undefined) return this.#read(state.user, (body) => this.#established(state, req, body));
    return this.#reject('no credentials');
  }

  #read(user: string | undefined, finish: (body: Buffer) => GateResult): GateStep {
    return { kind: 'read', user, finish };
  }

  #basic(b64: string): string | undefined {
    const decoded = Buffer.from(b64, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const user = this.#lookupKey(decoded.slice(0, colon));
    const want = user === undefined ? undefined : this.#o.users![user];
    if (want === undefined) return undefined;
    const given = decoded.slice(colon + 1);
    const password = typeof want === 'string' ? want : 'password' in want ? want.password : undefined;
    const a = password !== undefined ? Buffer.from(password) : Buffer.from(parseNtHash((want as { ntHash: string }).ntHash));
    const b = password !== undefined ? Buffer.from(given) : Buffer.from(ntowfv1(given));
    return a.length === b.length && timingSafeEqual(a, b) ? user : undefined;
  }

  #ntlm(socket: Socket, scheme: string, b64: string, req: IncomingMessage): GateStep {
    const token = new Uint8Array(Buffer.from(b64, 'base64'));
    const type = token.byteLength >= 12 && Buffer.from(token.subarray(0, 8)).toString('latin1') === 'NTLMSSP\0' ? token[8] : undefined;
    try {
      if (type === undefined && scheme.toLowerCase() === 'negotiate' && looksLikeSpnego(token)) return this.#spnego(socket, scheme, token, req);
      if (type === 1) {
        // A NEGOTIATE starts a new context on this socket, whatever was there.
        const acceptor = this.#newNtlmAcceptor();
        const challenge = acceptor.challenge(token);
        this.#sockets.set(socket, { acceptor, scheme });
        return {
          kind: 'reply',
          status: 401,
          headers: { 'www-authenticate': `${scheme} ${Buffer.from(challenge).toString('base64')}`, 'content-length': 0 },
          body: '',
          reason: 'NTLM challenge',
        };
      }
      if (type === 3) {
        const state = this.#sockets.get(socket);
        if (!state?.acceptor || state.acceptor.state !== 'challenge-sent') return this.#reject('NTLM AUTHENTICATE without a CHALLENGE on this connection');
        this.#sockets.delete(socket);
        const r = state.acceptor.accept(token);
        const established: SocketAuth = { session: r.session, user: this.#lookupKey(r.user) ?? r.user, scheme };
        this.#sockets.set(socket, established);
        return this.#read(established.user, (body) => this.#established(established, req, body));
      }
    } catch (e) {
      this.#sockets.delete(socket);
      if (e instanceof PsRemoteError) return this.#reject(`${e.code}: ${e.message}`);
      throw e;
    }
    return this.#reject('Negotiate token is neither NTLM nor SPNEGO (Kerberos is not supported)');
  }

  /** Kerberos (raw in `Kerberos` or `Negotiate`, or SPNEGO with Kerberos first); undefined when the token is not Kerberos. */
  #kerberos(socket: Socket, scheme: string, b64: string, req: IncomingMessage): GateStep | undefined {
    const token = new Uint8Array(Buffer.from(b64, 'base64'));
    const raw = innerTokenKind(token) === 'kerberos-ap-req';
    let spnego = false;
    if (!raw) {
      if (scheme.toLowerCase() !== 'negotiate' || !looksLikeSpnego(token) || token[0] !== 0x60) return scheme.toLowerCase() === 'kerberos' ? this.#reject('the Kerberos token is not an AP-REQ') : undefined;
      try {
        const t = decodeNegotiationToken(token);
        if (t.kind !== 'init' || !wantsKerberos(t)) return undefined; // NTLM inside SPNEGO: the NTLM path
      } catch (e) {
        if (e instanceof PsRemoteError) return this.#reject(`${e.code}: ${e.message}`);
        throw e;
      }
      spnego = true;
    }
    const acceptor = new KerberosAcceptor({
      keys: this.#o.keytab ?? [],
      now: this.#o.now ?? (() => new Date()),
      replayCache: this.#replay,
      ...(this.#channelBindings ? { channelBindings: this.#channelBindings } : {}),
    });
    let result: KerberosAcceptResult;
    let reply: Uint8Array | undefined;
    try {
      if (spnego) ({ token: reply, result } = new SpnegoKerberosAcceptor(acceptor).accept(token));
      else {
        result = acceptor.accept(token);
        reply = result.token;
      }
    } catch (e) {
      this.#sockets.delete(socket);
      if (e instanceof PsRemoteError) return this.#reject(`${e.code}: ${e.message}`);
      throw e;
    }
    this.#o.onKerberos?.(result);
    const established: SocketAuth = {
      session: result.context,
      user: result.clientName,
      scheme,
      protocol: scheme.toLowerCase() === 'kerberos' ? KERBEROS_ENCRYPTED : SPNEGO_ENCRYPTED,
      ...(reply ? { finalHeader: `${scheme} ${Buffer.from(reply).toString('base64')}` } : {}),
    };
    this.#sockets.set(socket, established);
    return this.#read(established.user, (body) => this.#established(established, req, body));
  }

  #newNtlmAcceptor(): NtlmAcceptor {
    return new NtlmAcceptor({
      lookup: (user) => this.#ntHash(user),
      channelBindings: this.#channelBindings,
      channelBindingPolicy: this.#o.channelBindingPolicy ?? 'relaxed',
      requireSealing: !this.#o.secure && !this.#o.allowUnencrypted,
      ...(this.#o.netbiosComputer ? { netbiosComputer: this.#o.netbiosComputer } : {}),
    });
  }

  /** NTLM wrapped in SPNEGO (what Windows' own client sends); errors are caught by #ntlm. */
  #spnego(socket: Socket, scheme: string, token: Uint8Array, req: IncomingMessage): GateStep {
    let state = this.#sockets.get(socket);
    // An InitialContextToken (0x60) starts a new context on this socket, whatever was there.
    if (token[0] === 0x60 || !state?.spnego) {
      if (token[0] !== 0x60) return this.#reject('SPNEGO NegTokenResp without a negotiation on this connection');
      state = { spnego: new SpnegoNtlmAcceptor(this.#newNtlmAcceptor()), scheme };
      this.#sockets.set(socket, state);
    }
    const step = state.spnego!.step(token);
    const header = `${scheme} ${Buffer.from(step.token).toString('base64')}`;
    if (!step.result) {
      return { kind: 'reply', status: 401, headers: { 'www-authenticate': header, 'content-length': 0 }, body: '', reason: 'SPNEGO NTLM challenge' };
    }
    const r = step.result;
    if (!r.session) return this.#reject('SPNEGO NTLM without extended session security');
    const established: SocketAuth = { session: r.session, user: this.#lookupKey(r.user) ?? r.user, scheme, finalHeader: header };
    this.#sockets.set(socket, established);
    return this.#read(established.user, (body) => this.#established(established, req, body));
  }

  #established(state: SocketAuth, req: IncomingMessage, body: Buffer): GateResult {
    const session = state.session!;
    const user = state.user;
    const extra: Record<string, string> = state.finalHeader ? { 'www-authenticate': state.finalHeader } : {};
    delete state.finalHeader;
    const ct = req.headers['content-type'];
    const protocol = encryptedProtocolOf(ct);
    const mustSeal = !this.#o.secure && !this.#o.allowUnencrypted;
    const expected = state.protocol ?? SPNEGO_ENCRYPTED;
    if (protocol !== undefined) {
      if (protocol.toLowerCase() !== expected.toLowerCase()) return this.#bad(`unsupported encryption protocol ${protocol}`);
      let plain: Uint8Array;
      try {
        plain = unwrapEncryptedBody(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), session, { protocol: expected }).plain;
      } catch (e) {
        // The streams are out of step: this socket's context is finished.
        this.#sockets.delete(req.socket);
        if (e instanceof PsRemoteError) return this.#bad(`${e.code}: ${e.message}`);
        throw e;
      }
      return {
        kind: 'pass',
        body: Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength),
        user,
        headers: extra,
        seal: (status, text) => {
          const sealed = buildEncryptedBody(new Uint8Array(Buffer.from(text, 'utf8')), session, { protocol: expected });
          return { status, headers: { ...extra, 'content-type': sealed.contentType }, body: Buffer.from(sealed.body) };
        },
      };
    }
    if (body.length > 0 && mustSeal) return this.#bad('unencrypted SOAP refused: this endpoint requires message encryption over http (AllowUnencrypted=false)');
    return this.#plain(body, user, extra);
  }

  #bad(reason: string): GateResult {
    return { kind: 'reply', status: 400, headers: { 'content-type': 'text/plain', 'content-length': Buffer.byteLength('Bad Request') }, body: 'Bad Request', reason };
  }
}
