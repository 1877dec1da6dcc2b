// CredSSP (MS-CSSP 3.1.5) both sides, sans-I/O: TSRequest bytes in and out.
// The caller runs the outer TLS session and passes the TLS application data;
// this file never sees a socket. The inner mechanism is NTLM or Kerberos in
// SPNEGO (inner.ts); with NTLM the legs are:
//
//   client                                    server
//   {v, negoTokens:[NegTokenInit+NEGOTIATE]} →
//                                            ← {v, negoTokens:[CHALLENGE]}
//   {v, negoTokens:[AUTHENTICATE+mechListMIC],
//    pubKeyAuth: wrap(binding), clientNonce}  →
//                                            ← {v, negoTokens:[accept-completed+mechListMIC],
//                                               pubKeyAuth: wrap(server binding)}
//   {v, authInfo: wrap(TSCredentials)}        →   (done: the server has the password)
//
// With Kerberos the AP-REQ/AP-REP round comes first, then {v, pubKeyAuth,
// clientNonce} → ← {v, pubKeyAuth}, then authInfo (inner.ts says why).
// wrap is the mechanism's GSS_WrapEx (inner.ts).
// The server answers a failure with {v, errorCode: NTSTATUS} (versions 3+).
// Versions below `minVersion` (default 6, the CVE-2018-0886 fix) are refused
// on both sides before anything secret is sent.

import { randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import { AuthFailedError, AuthProtocolError, AuthRejectedError } from '../errors.js';
import type { KerberosAcceptor } from '../kerberos/gss/acceptor.js';
import type { KerberosInitiator } from '../kerberos/gss/initiator.js';
import type { NtlmAcceptor } from '../ntlm/acceptor.js';
import type { NtlmInitiator } from '../ntlm/initiator.js';
import { innerAcceptorFor, kerberosInner, ntlmInner, type CredSspAuthenticated, type CredSspInnerAcceptor, type CredSspInnerInitiator, type CredSspMechanism } from './inner.js';
import { bindingValue, verifyBinding } from './public-key.js';
import { CredType, CREDSSP_VERSION, decodeTSCredentials, decodeTSPasswordCreds, decodeTSRequest, encodePasswordCredentials, encodeTSRequest, type TSPasswordCreds, type TSRequest } from './ts-request.js';

/** NTSTATUS values the acceptor sends back in errorCode. */
export const STATUS_LOGON_FAILURE = 0xc000006d;
export const STATUS_INVALID_PARAMETER = 0xc000000d;
export const STATUS_NOT_SUPPORTED = 0xc00000bb;
export const STATUS_ACCESS_DENIED = 0xc0000022;

const NTSTATUS_NAMES: Readonly<Record<number, string>> = {
  [STATUS_LOGON_FAILURE]: 'STATUS_LOGON_FAILURE',
  [STATUS_INVALID_PARAMETER]: 'STATUS_INVALID_PARAMETER',
  [STATUS_NOT_SUPPORTED]: 'STATUS_NOT_SUPPORTED',
  [STATUS_ACCESS_DENIED]: 'STATUS_ACCESS_DENIED',
};

export function ntstatusName(code: number): string {
  const u = code >>> 0;
  return `0x${u.toString(16).padStart(8, '0')}${NTSTATUS_NAMES[u] ? ` (${NTSTATUS_NAMES[u]})` : ''}`;
}

const WHERE = 'CredSSP';
export const DEFAULT_MIN_VERSION = 6;
/** SPNEGO legs before the keys are known: NTLM and Kerberos both need one; more is a peer going round in circles. */
const MAX_NEGOTIATION_LEGS = 4;

function checkVersion(version: number, min: number, who: string): void {
  if (version < min) {
    throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `${who} speaks CredSSP version ${version}; at least version ${min} is required (older versions lack the nonce-bound public-key hash, CVE-2018-0886)`);
  }
}

function onlyToken(m: TSRequest, what: string): Uint8Array {
  if (!m.negoTokens || m.negoTokens.length !== 1) throw new AuthProtocolError(`the TSRequest ${what} has ${m.negoTokens?.length ?? 0} negoTokens, expected 1`, WHERE);
  return m.negoTokens[0]!;
}

/** `DOMAIN\user` → domain + user; a UPN or a bare name is sent whole with the given (or empty) domain, as Windows does. */
export function splitUser(username: string, domain = ''): { domainName: string; userName: string } {
  const i = username.indexOf('\\');
  return i >= 0 ? { domainName: username.slice(0, i), userName: username.slice(i + 1) } : { domainName: domain, userName: username };
}

export interface CredSspInitiatorOptions {
  /** The inner mechanism: NTLM (with the same credentials) or Kerberos (a service ticket for the SPN); exactly one. */
  readonly ntlm?: NtlmInitiator;
  readonly kerberos?: KerberosInitiator;
  /** The delegated credentials: user as given (`DOMAIN\user`, UPN or bare) and the password. */
  readonly username: string;
  readonly password: string;
  readonly domain?: string | undefined;
  /** The outer TLS server certificate's subjectPublicKey (public-key.ts). */
  readonly serverPublicKey: Uint8Array;
  readonly minVersion?: number;
  /** Version to announce (default 6); lower only to test against old peers. */
  readonly version?: number;
  readonly random?: (n: number) => Uint8Array;
}

export class CredSspInitiator {
  readonly #o: CredSspInitiatorOptions;
  readonly #inner: CredSspInnerInitiator;
  readonly #version: number;
  #peerVersion = 0;
  #legs = 0;
  #nonce: Uint8Array | undefined;
  #state: 'initial' | 'negotiating' | 'bound' | 'complete' | 'failed' = 'initial';

  constructor(options: CredSspInitiatorOptions) {
    if (!options.ntlm === !options.kerberos) throw new UsageError('CredSSP needs exactly one inner mechanism: ntlm or kerberos');
    this.#o = options;
    this.#inner = options.kerberos ? kerberosInner(options.kerberos) : ntlmInner(options.ntlm!);
    this.#version = options.version ?? CREDSSP_VERSION;
  }

  get complete(): boolean {
    return this.#state === 'complete';
  }
  /** The mechanism negotiated inside SPNEGO. */
  get mechanism(): CredSspMechanism {
    return this.#inner.mechanism;
  }

  /** The first TSRequest. */
  initial(): Uint8Array {
    if (this.#state !== 'initial') throw new UsageError(`CredSSP initial() called in state ${this.#state}`);
    this.#state = 'negotiating';
    return encodeTSRequest({ version: this.#version, negoTokens: [this.#inner.initial()] });
  }

  /** One server TSRequest in, the next of ours out. After the last one `complete` is true. */
  step(input: Uint8Array): Uint8Array {
    const state = this.#state;
    this.#state = 'failed';
    const m = decodeTSRequest(input);
    if (m.errorCode !== undefined) throw new AuthRejectedError(`the server refused CredSSP authentication: NTSTATUS ${ntstatusName(m.errorCode)}`);
    checkVersion(m.version, this.#o.minVersion ?? DEFAULT_MIN_VERSION, 'the server');
    if (state === 'negotiating') {
      if (this.#legs === 0) this.#peerVersion = m.version;
      else if (m.version !== this.#peerVersion) throw new AuthProtocolError(`the server changed its CredSSP version from ${this.#peerVersion} to ${m.version}`, WHERE);
      if (++this.#legs > MAX_NEGOTIATION_LEGS) throw new AuthProtocolError(`the SPNEGO exchange inside CredSSP did not complete in ${MAX_NEGOTIATION_LEGS} legs`, WHERE);
      const out = this.#inner.step(onlyToken(m, 'answering SPNEGO'));
      if (!this.#inner.established) {
        if (!out) throw new AuthProtocolError('the inner mechanism is not established and has nothing to send', WHERE);
        this.#state = 'negotiating';
        return encodeTSRequest({ version: this.#version, negoTokens: [out] });
      }
      const version = Math.min(m.version, this.#version);
      this.#nonce = version >= 5 ? (this.#o.random ?? ((n) => new Uint8Array(randomBytes(n))))(32) : undefined;
      const pubKeyAuth = this.#inner.wrap(bindingValue('client-to-server', version, this.#o.serverPublicKey, this.#nonce));
      this.#state = 'bound';
      return encodeTSRequest({ version: this.#version, ...(out ? { negoTokens: [out] } : {}), pubKeyAuth, ...(this.#nonce ? { clientNonce: this.#nonce } : {}) });
    }
    if (state !== 'bound') throw new UsageError(`CredSSP step() called in state ${state}`);
    if (m.version !== this.#peerVersion) throw new AuthProtocolError(`the server changed its CredSSP version from ${this.#peerVersion} to ${m.version}`, WHERE);
    this.#inner.finish(m.negoTokens ? onlyToken(m, 'completing SPNEGO') : undefined);
    if (!m.pubKeyAuth) throw new AuthProtocolError("the server's TSRequest has no pubKeyAuth (its public-key binding)", WHERE);
    verifyBinding('server-to-client', Math.min(this.#peerVersion, this.#version), this.#o.serverPublicKey, this.#nonce, this.#inner.unwrap(m.pubKeyAuth, 'pubKeyAuth'));
    // Only now, with the server proven to hold the TLS key we see, does the password leave.
    const creds: TSPasswordCreds = { ...splitUser(this.#o.username, this.#o.domain), password: this.#o.password };
    const authInfo = this.#inner.wrap(encodePasswordCredentials(creds));
    this.#state = 'complete';
    return encodeTSRequest({ version: this.#version, authInfo });
  }
}

export interface CredSspAcceptorOptions {
  /** NTLM for clients that offer it; Kerberos (one-use acceptor with the keytab) for clients that offer Kerberos first. At least one. */
  readonly ntlm?: NtlmAcceptor | undefined;
  readonly kerberos?: KerberosAcceptor | undefined;
  /** This endpoint's TLS certificate's subjectPublicKey. */
  readonly publicKey: Uint8Array;
  readonly minVersion?: number;
  readonly version?: number;
}

export interface CredSspAccepted {
  /** Who the inner mechanism authenticated. */
  readonly authenticated: CredSspAuthenticated;
  /** The credentials the client delegated. Secret: never log the password. */
  readonly delegated: TSPasswordCreds;
}

export interface CredSspAcceptStep {
  /** The TSRequest to send back (absent after the client's last one). */
  readonly token?: Uint8Array;
  readonly accepted?: CredSspAccepted;
}

export class CredSspAcceptor {
  readonly #o: CredSspAcceptorOptions;
  readonly #version: number;
  #inner: CredSspInnerAcceptor | undefined;
  #peerVersion = 0;
  #legs = 0;
  #result: CredSspAuthenticated | undefined;
  #state: 'initial' | 'negotiating' | 'want-pubkey' | 'want-credentials' | 'complete' | 'failed' = 'initial';

  constructor(options: CredSspAcceptorOptions) {
    if (!options.ntlm && !options.kerberos) throw new UsageError('a CredSSP acceptor needs NTLM or Kerberos (or both)');
    this.#o = options;
    this.#version = options.version ?? CREDSSP_VERSION;
  }

  get state(): string {
    return this.#state;
  }

  /** The TSRequest that tells the client why it failed (MS-CSSP 3.1.5: errorCode from version 3). */
  errorReply(code: number): Uint8Array {
    return encodeTSRequest({ version: this.#version, errorCode: code >>> 0 });
  }

  /** One client TSRequest. Throws a typed error (then answer with errorReply) on any failure. */
  step(input: Uint8Array): CredSspAcceptStep {
    const state = this.#state;
    this.#state = 'failed';
    const m = decodeTSRequest(input);
    if (m.errorCode !== undefined) throw new AuthRejectedError(`the client ended CredSSP with NTSTATUS ${ntstatusName(m.errorCode)}`);
    checkVersion(m.version, this.#o.minVersion ?? DEFAULT_MIN_VERSION, 'the client');
    if (state === 'initial') {
      this.#peerVersion = m.version;
      this.#inner = innerAcceptorFor(onlyToken(m, 'opening SPNEGO'), this.#o);
    } else if (m.version !== this.#peerVersion) throw new AuthProtocolError(`the client changed its CredSSP version from ${this.#peerVersion} to ${m.version}`, WHERE);
    const version = Math.min(this.#peerVersion, this.#version);
    const inner = this.#inner!;
    if (state === 'initial' || state === 'negotiating') {
      if (++this.#legs > MAX_NEGOTIATION_LEGS) throw new AuthProtocolError(`the SPNEGO exchange inside CredSSP did not complete in ${MAX_NEGOTIATION_LEGS} legs`, WHERE);
      const s = inner.step(onlyToken(m, 'carrying SPNEGO'));
      if (!s.authenticated) {
        this.#state = 'negotiating';
        return { token: encodeTSRequest({ version: this.#version, negoTokens: [s.token] }) };
      }
      this.#result = s.authenticated;
      if (!m.pubKeyAuth) {
        // Kerberos: the keys are known only now; the client's binding comes in its next TSRequest.
        this.#state = 'want-pubkey';
        return { token: encodeTSRequest({ version: this.#version, negoTokens: [s.token] }) };
      }
      const pubKeyAuth = this.#bind(m, version, inner);
      this.#state = 'want-credentials';
      return { token: encodeTSRequest({ version: this.#version, negoTokens: [s.token], pubKeyAuth }) };
    }
    if (state === 'want-pubkey') {
      if (m.negoTokens) throw new AuthProtocolError('the client sent SPNEGO tokens after the inner mechanism completed', WHERE);
      if (!m.pubKeyAuth) throw new AuthProtocolError("the client's TSRequest has no pubKeyAuth (its public-key binding)", WHERE);
      const pubKeyAuth = this.#bind(m, version, inner);
      this.#state = 'want-credentials';
      return { token: encodeTSRequest({ version: this.#version, pubKeyAuth }) };
    }
    if (state !== 'want-credentials') throw new UsageError(`CredSSP step() called in state ${state}`);
    if (!m.authInfo) throw new AuthProtocolError("the client's last TSRequest has no authInfo (the delegated credentials)", WHERE);
    const c = decodeTSCredentials(inner.unwrap(m.authInfo, 'authInfo'));
    if (c.credType !== CredType.Password) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the client delegated credentials of type ${c.credType}; this endpoint takes passwords (type 1) only`);
    const delegated = decodeTSPasswordCreds(c.credentials);
    this.#state = 'complete';
    return { accepted: { authenticated: this.#result!, delegated } };
  }

  /** Checks the client's pubKeyAuth and returns ours. */
  #bind(m: TSRequest, version: number, inner: CredSspInnerAcceptor): Uint8Array {
    if (version >= 5 && m.clientNonce?.byteLength !== 32) throw new AuthProtocolError(`CredSSP version ${version} needs a 32-byte clientNonce, got ${m.clientNonce?.byteLength ?? 'none'}`, WHERE);
    const nonce = version >= 5 ? m.clientNonce : undefined;
    verifyBinding('client-to-server', version, this.#o.publicKey, nonce, inner.unwrap(m.pubKeyAuth!, 'pubKeyAuth'));
    return inner.wrap(bindingValue('server-to-client', version, this.#o.publicKey, nonce));
  }
}
