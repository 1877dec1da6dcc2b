// CredSSP (MS-CSSP 3.1.5) both sides, sans-I/O: TSRequest bytes in and out.
// The caller runs the outer TLS session and passes the TLS application data;
// this file never sees a socket. The inner mechanism is NTLM in SPNEGO.
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
// wrap is NTLM's GSS_WrapEx: the 16-byte signature then the sealed bytes.
// The server answers a failure with {v, errorCode: NTSTATUS} (versions 3+).
// Versions below `minVersion` (default 6, the CVE-2018-0886 fix) are refused
// on both sides before anything secret is sent.

import { randomBytes } from 'node:crypto';
import { UsageError } from '../../errors.js';
import { AuthFailedError, AuthProtocolError, AuthRejectedError } from '../errors.js';
import type { NtlmAcceptor, NtlmAcceptResult } from '../ntlm/acceptor.js';
import type { NtlmInitiator } from '../ntlm/initiator.js';
import type { NtlmSessionSecurity } from '../ntlm/session-security.js';
import { SIGNATURE_LENGTH } from '../ntlm/session-security.js';
import { SpnegoNtlmAcceptor, SpnegoNtlmInitiator } from '../spnego/ntlm.js';
import { concatBytes } from '../../util/bytes.js';
import { bindingValue, verifyBinding } from './public-key.js';
import { CRED_TYPE_PASSWORD, CREDSSP_VERSION, decodeTSCredentials, decodeTSPasswordCreds, decodeTSRequest, encodePasswordCredentials, encodeTSRequest, type TSPasswordCreds, type TSRequest } from './ts-request.js';

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

function wrap(s: NtlmSessionSecurity, plain: Uint8Array): Uint8Array {
  const { signature, sealed } = s.wrap(plain);
  return concatBytes([signature, sealed]);
}

function unwrap(s: NtlmSessionSecurity, data: Uint8Array, what: string): Uint8Array {
  if (data.byteLength < SIGNATURE_LENGTH) throw new AuthProtocolError(`${what} is ${data.byteLength} bytes, shorter than an NTLM signature`, WHERE);
  return s.unwrap(data.subarray(SIGNATURE_LENGTH), data.subarray(0, SIGNATURE_LENGTH));
}

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
  readonly ntlm: NtlmInitiator;
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
  readonly #spnego: SpnegoNtlmInitiator;
  readonly #version: number;
  #peerVersion = 0;
  #nonce: Uint8Array | undefined;
  #state: 'initial' | 'negotiating' | 'bound' | 'complete' | 'failed' = 'initial';

  constructor(options: CredSspInitiatorOptions) {
    this.#o = options;
    this.#spnego = new SpnegoNtlmInitiator(options.ntlm);
    this.#version = options.version ?? CREDSSP_VERSION;
  }

  get complete(): boolean {
    return this.#state === 'complete';
  }
  /** The NTLM session that seals pubKeyAuth and authInfo (WinRM messages are sealed with TLS instead). */
  get session(): NtlmSessionSecurity {
    return this.#o.ntlm.session;
  }

  /** The first TSRequest. */
  initial(): Uint8Array {
    if (this.#state !== 'initial') throw new UsageError(`CredSSP initial() called in state ${this.#state}`);
    this.#state = 'negotiating';
    return encodeTSRequest({ version: this.#version, negoTokens: [this.#spnego.initial()] });
  }

  /** One server TSRequest in, the next of ours out. After the last one `complete` is true. */
  step(input: Uint8Array): Uint8Array {
    const state = this.#state;
    this.#state = 'failed';
    const m = decodeTSRequest(input);
    if (m.errorCode !== undefined) throw new AuthRejectedError(`the server refused CredSSP authentication: NTSTATUS ${ntstatusName(m.errorCode)}`);
    checkVersion(m.version, this.#o.minVersion ?? DEFAULT_MIN_VERSION, 'the server');
    const version = Math.min(m.version, this.#version);
    if (state === 'negotiating') {
      this.#peerVersion = m.version;
      const authenticate = this.#spnego.step(onlyToken(m, 'carrying the CHALLENGE'));
      this.#nonce = version >= 5 ? (this.#o.random ?? ((n) => new Uint8Array(randomBytes(n))))(32) : undefined;
      const pubKeyAuth = wrap(this.session, bindingValue('client-to-server', version, this.#o.serverPublicKey, this.#nonce));
      this.#state = 'bound';
      return encodeTSRequest({ version: this.#version, negoTokens: [authenticate], pubKeyAuth, ...(this.#nonce ? { clientNonce: this.#nonce } : {}) });
    }
    if (state !== 'bound') throw new UsageError(`CredSSP step() called in state ${state}`);
    if (m.version !== this.#peerVersion) throw new AuthProtocolError(`the server changed its CredSSP version from ${this.#peerVersion} to ${m.version}`, WHERE);
    this.#spnego.finish(m.negoTokens ? onlyToken(m, 'completing SPNEGO') : undefined);
    if (!m.pubKeyAuth) throw new AuthProtocolError("the server's TSRequest has no pubKeyAuth (its public-key binding)", WHERE);
    verifyBinding('server-to-client', Math.min(this.#peerVersion, this.#version), this.#o.serverPublicKey, this.#nonce, unwrap(this.session, m.pubKeyAuth, 'pubKeyAuth'));
    // Only now, with the server proven to hold the TLS key we see, does the password leave.
    const creds: TSPasswordCreds = { ...splitUser(this.#o.username, this.#o.domain), password: this.#o.password };
    const authInfo = wrap(this.session, encodePasswordCredentials(creds));
    this.#state = 'complete';
    return encodeTSRequest({ version: this.#version, authInfo });
  }
}

export interface CredSspAcceptorOptions {
  readonly ntlm: NtlmAcceptor;
  /** This endpoint's TLS certificate's subjectPublicKey. */
  readonly publicKey: Uint8Array;
  readonly minVersion?: number;
  readonly version?: number;
}

export interface CredSspAccepted {
  /** The user NTLM authenticated. */
  readonly authenticated: NtlmAcceptResult;
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
  readonly #spnego: SpnegoNtlmAcceptor;
  readonly #version: number;
  #peerVersion = 0;
  #result: NtlmAcceptResult | undefined;
  #state: 'initial' | 'want-authenticate' | 'want-credentials' | 'complete' | 'failed' = 'initial';

  constructor(options: CredSspAcceptorOptions) {
    this.#o = options;
    this.#spnego = new SpnegoNtlmAcceptor(options.ntlm);
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
      const s = this.#spnego.step(onlyToken(m, 'opening SPNEGO'));
      this.#state = 'want-authenticate';
      return { token: encodeTSRequest({ version: this.#version, negoTokens: [s.token] }) };
    }
    if (m.version !== this.#peerVersion) throw new AuthProtocolError(`the client changed its CredSSP version from ${this.#peerVersion} to ${m.version}`, WHERE);
    const version = Math.min(this.#peerVersion, this.#version);
    if (state === 'want-authenticate') {
      const s = this.#spnego.step(onlyToken(m, 'carrying the AUTHENTICATE'));
      const result = s.result!;
      if (!result.session?.canSeal) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'CredSSP needs NTLM sealing, which the client did not negotiate');
      if (!m.pubKeyAuth) throw new AuthProtocolError("the client's TSRequest has no pubKeyAuth (its public-key binding)", WHERE);
      if (version >= 5 && m.clientNonce?.byteLength !== 32) throw new AuthProtocolError(`CredSSP version ${version} needs a 32-byte clientNonce, got ${m.clientNonce?.byteLength ?? 'none'}`, WHERE);
      const nonce = version >= 5 ? m.clientNonce : undefined;
      verifyBinding('client-to-server', version, this.#o.publicKey, nonce, unwrap(result.session, m.pubKeyAuth, 'pubKeyAuth'));
      this.#result = result;
      const pubKeyAuth = wrap(result.session, bindingValue('server-to-client', version, this.#o.publicKey, nonce));
      this.#state = 'want-credentials';
      return { token: encodeTSRequest({ version: this.#version, negoTokens: [s.token], pubKeyAuth }) };
    }
    if (state !== 'want-credentials') throw new UsageError(`CredSSP step() called in state ${state}`);
    if (!m.authInfo) throw new AuthProtocolError("the client's last TSRequest has no authInfo (the delegated credentials)", WHERE);
    const c = decodeTSCredentials(unwrap(this.#result!.session!, m.authInfo, 'authInfo'));
    if (c.credType !== CRED_TYPE_PASSWORD) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the client delegated credentials of type ${c.credType}; this endpoint takes passwords (type 1) only`);
    const delegated = decodeTSPasswordCreds(c.credentials);
    this.#state = 'complete';
    return { accepted: { authenticated: this.#result!, delegated } };
  }
}
