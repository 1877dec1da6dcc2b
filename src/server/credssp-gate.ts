// The endpoint's side of CredSSP over HTTP, called from auth-gate.ts for
// `Authorization: CredSSP` requests and for the later requests of a socket
// that CredSSP authenticated. Each socket has its own inner TLS session
// (TlsTunnel, server side) and CredSspAcceptor; the handshake legs are
// answered with 401 + `WWW-Authenticate: CredSSP`, the leg with the
// delegated credentials carries the first real (sealed) request. Async
// because node:tls is: auth-gate's steps may be promises for this reason.
// The delegated password goes to `onAccepted` and to the shell's engine
// (`delegated`, a DelegatedCredential that hides it from logs and JSON) only.
// Inside SPNEGO the client may use NTLM (checked against `ntHash`) or, when
// the endpoint has a keytab, Kerberos (checked as the Kerberos gate does).

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { PsRemoteError } from '../errors.js';
import { CredSspAcceptor, STATUS_ACCESS_DENIED, STATUS_LOGON_FAILURE, type CredSspAccepted } from '../auth/credssp/context.js';
import { buildCredSspBody, credSspPieces, CREDSSP_ENCRYPTED, parseCredSspBody } from '../auth/credssp/encryption.js';
import { subjectPublicKey } from '../auth/credssp/public-key.js';
import { NtlmAcceptor } from '../auth/ntlm/acceptor.js';
import { KerberosAcceptor, type ReplayCache, type ServiceKey } from '../auth/kerberos/gss/acceptor.js';
import { DelegatedCredential } from '../auth/credssp/delegated.js';
import { encryptedProtocolOf } from '../auth/winrm-encryption.js';
import { TlsTunnel } from '../transport/http/credssp-tls.js';
import { X509Certificate } from 'node:crypto';
import type { GateReply, GateResult, GateStep } from './gate-types.js';

export interface CredSspGateOptions {
  /** The inner TLS certificate and key (PEM): the endpoint's https ones, or given for http. */
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ntHash: (user: string) => Uint8Array | undefined;
  readonly canonicalUser: (user: string) => string | undefined;
  /** Whether the outer transport is plain http and unencrypted SOAP is not allowed. */
  readonly mustSeal: boolean;
  readonly reject: (reason: string) => GateReply;
  readonly onAccepted?: ((accepted: CredSspAccepted, user: string) => void) | undefined;
  /** Kerberos inside CredSSP: the service keys, the clock and the replay cache the Kerberos gate uses too. */
  readonly kerberos?: { readonly keys: readonly ServiceKey[]; readonly now: () => Date; readonly replayCache: ReplayCache } | undefined;
}

interface SocketState {
  readonly tunnel: TlsTunnel;
  readonly acceptor: CredSspAcceptor;
  user?: string;
  /** Who the delegated credentials belong to (`DOMAIN\\user` or as given). */
  delegatedUser?: string;
  /** The delegated credential, for the shells this socket creates (in memory only; it never prints its password). */
  delegated?: DelegatedCredential;
}

const SOAP = 'application/soap+xml;charset=UTF-8';

export class CredSspGate {
  readonly #o: CredSspGateOptions;
  readonly #publicKey: Uint8Array;
  readonly #sockets = new WeakMap<Socket, SocketState>();

  constructor(o: CredSspGateOptions) {
    this.#o = o;
    this.#publicKey = subjectPublicKey(new Uint8Array(new X509Certificate(o.cert).raw));
  }

  /** Whether this socket finished CredSSP (its requests without Authorization belong here). */
  established(socket: Socket): boolean {
    return this.#sockets.get(socket)?.user !== undefined;
  }

  #new(socket: Socket): SocketState {
    this.#sockets.get(socket)?.tunnel.close();
    const k = this.#o.kerberos;
    const s: SocketState = {
      tunnel: new TlsTunnel({ server: { cert: this.#o.cert, key: this.#o.key } }),
      acceptor: new CredSspAcceptor({
        ntlm: new NtlmAcceptor({ lookup: (u) => this.#o.ntHash(u), requireSealing: true }),
        ...(k && k.keys.length > 0 ? { kerberos: new KerberosAcceptor({ keys: k.keys, now: k.now, replayCache: k.replayCache }) } : {}),
        publicKey: this.#publicKey,
      }),
    };
    this.#sockets.set(socket, s);
    socket.once('close', () => s.tunnel.close());
    return s;
  }

  #leg(records: Uint8Array, reason: string): GateReply {
    return { kind: 'reply', status: 401, headers: { 'www-authenticate': `CredSSP ${Buffer.from(records).toString('base64')}`, 'content-length': 0 }, body: '', reason };
  }

  async inbound(req: IncomingMessage, b64: string | undefined): Promise<GateStep> {
    const socket = req.socket;
    let s = this.#sockets.get(socket);
    if (b64 === undefined) return s?.user !== undefined ? this.#read(s, req) : this.#o.reject('no credentials');
    const token = new Uint8Array(Buffer.from(b64, 'base64'));
    // A ClientHello (handshake record, type 1) starts a new context on this socket, whatever was there.
    if (!s || (token[0] === 0x16 && token[5] === 0x01)) s = this.#new(socket);
    try {
      if (!s.tunnel.secure) return this.#leg(await s.tunnel.feed(token), 'CredSSP TLS handshake');
      if (s.user !== undefined) return this.#o.reject('CredSSP token on a socket that already completed CredSSP');
      let step;
      try {
        step = s.acceptor.step(await s.tunnel.receive(token));
      } catch (e) {
        if (!(e instanceof PsRemoteError)) throw e;
        const status = e.code === 'PSR_AUTH_REJECTED' ? STATUS_LOGON_FAILURE : STATUS_ACCESS_DENIED;
        const records = await s.tunnel.send(s.acceptor.errorReply(status)).catch(() => new Uint8Array(0));
        this.#sockets.delete(socket);
        return { ...this.#leg(records, `${e.code}: ${e.message}`) };
      }
      if (step.token) return this.#leg(await s.tunnel.send(step.token), 'CredSSP leg');
      const accepted = step.accepted!;
      const name = accepted.authenticated.user;
      // A Kerberos client is its principal (as the Kerberos gate names it); an NTLM one the configured account.
      s.user = accepted.authenticated.mechanism === 'kerberos' ? name : this.#o.canonicalUser(name) ?? name;
      s.delegated = new DelegatedCredential(accepted.delegated);
      s.delegatedUser = s.delegated.userName;
      this.#o.onAccepted?.(accepted, s.user);
      return this.#read(s, req);
    } catch (e) {
      this.#sockets.delete(socket);
      if (e instanceof PsRemoteError) return this.#o.reject(`${e.code}: ${e.message}`);
      throw e;
    }
  }

  #read(s: SocketState, req: IncomingMessage): GateStep {
    return { kind: 'read', user: s.user, delegatedUser: s.delegatedUser, delegated: s.delegated, finish: (body) => this.#finish(s, req, body) };
  }

  async #finish(s: SocketState, req: IncomingMessage, body: Buffer): Promise<GateResult> {
    const protocol = encryptedProtocolOf(req.headers['content-type']);
    const bad = (reason: string): GateResult => ({ kind: 'reply', status: 400, headers: { 'content-type': 'text/plain', 'content-length': 11 }, body: 'Bad Request', reason });
    if (protocol === undefined) {
      if (body.length > 0 && this.#o.mustSeal) return bad('unencrypted SOAP refused: this endpoint requires message encryption over http (AllowUnencrypted=false)');
      return { kind: 'pass', body, user: s.user, delegatedUser: s.delegatedUser, delegated: s.delegated, seal: (status, text) => ({ status, headers: { 'content-type': SOAP }, body: Buffer.from(text, 'utf8') }) };
    }
    if (protocol.toLowerCase() !== CREDSSP_ENCRYPTED.toLowerCase()) return bad(`unsupported encryption protocol ${protocol}`);
    const out: Buffer[] = [];
    try {
      for (const p of parseCredSspBody(new Uint8Array(body.buffer, body.byteOffset, body.byteLength))) {
        const plain = await s.tunnel.receive(p.records);
        if (plain.byteLength !== p.plainLength) return bad(`a decrypted part has ${plain.byteLength} bytes, OriginalContent says ${p.plainLength}`);
        out.push(Buffer.from(plain));
      }
    } catch (e) {
      this.#sockets.delete(req.socket);
      if (e instanceof PsRemoteError) return bad(`${e.code}: ${e.message}`);
      throw e;
    }
    return {
      kind: 'pass',
      body: Buffer.concat(out),
      user: s.user,
      delegatedUser: s.delegatedUser,
      delegated: s.delegated,
      seal: async (status, text) => {
        const pieces = [];
        for (const p of credSspPieces(new Uint8Array(Buffer.from(text, 'utf8')))) pieces.push({ plainLength: p.byteLength, records: await s.tunnel.send(p) });
        const sealed = buildCredSspBody(pieces, s.tunnel.cipherName() ?? '');
        return { status, headers: { 'content-type': sealed.contentType }, body: Buffer.from(sealed.body) };
      },
    };
  }
}
