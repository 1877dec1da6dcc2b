// The mechanism inside CredSSP's SPNEGO (MS-CSSP 3.1.5 step 1: "SPNEGO ...
// may be Kerberos or NTLM"), both sides, sans-I/O. context.ts runs the
// TSRequest legs and only asks these adapters for the next SPNEGO token,
// whether the keys are known yet, and GSS_WrapEx / GSS_UnwrapEx for
// pubKeyAuth and authInfo.
//
// The two differ in where the keys appear. NTLM: NEGOTIATE → CHALLENGE →
// AUTHENTICATE; the client knows the keys after the CHALLENGE, so its
// pubKeyAuth rides with the AUTHENTICATE, and the server's last SPNEGO token
// (accept-completed + mechListMIC) rides with the server's pubKeyAuth.
// Kerberos: AP-REQ → AP-REP; both sides know the keys after one round, so
// the client's pubKeyAuth goes in a TSRequest of its own without negoTokens
// (what Windows and pyspnego send) and the server answers with pubKeyAuth
// alone.
//
// Wrapped bytes: NTLM's are the 16-byte signature then the sealed bytes;
// Kerberos' are one GSS wrap token (CFX, RFC 4121, sealed), as Windows'
// SSPI EncryptMessage of a stream gives for CredSSP.

import { InternalError } from '../../errors.js';
import { AuthFailedError, AuthProtocolError } from '../errors.js';
import type { KerberosAcceptor, KerberosAcceptResult } from '../kerberos/gss/acceptor.js';
import type { KerberosSecurityContext } from '../kerberos/gss/context.js';
import type { KerberosInitiator } from '../kerberos/gss/initiator.js';
import type { NtlmAcceptor } from '../ntlm/acceptor.js';
import type { NtlmInitiator } from '../ntlm/initiator.js';
import { SIGNATURE_LENGTH, type NtlmSessionSecurity } from '../ntlm/session-security.js';
import { SpnegoKerberosAcceptor, SpnegoKerberosInitiator, wantsKerberos } from '../spnego/kerberos.js';
import { SpnegoNtlmAcceptor, SpnegoNtlmInitiator } from '../spnego/ntlm.js';
import { decodeNegotiationToken } from '../spnego/tokens.js';
import { concatBytes } from '../../util/bytes.js';

const WHERE = 'CredSSP';

export type CredSspMechanism = 'ntlm' | 'kerberos';

interface Wrapper {
  wrap(plain: Uint8Array): Uint8Array;
  unwrap(data: Uint8Array, what: string): Uint8Array;
}

function ntlmWrapper(s: NtlmSessionSecurity): Wrapper {
  return {
    wrap: (plain) => {
      const { signature, sealed } = s.wrap(plain);
      return concatBytes([signature, sealed]);
    },
    unwrap: (data, what) => {
      if (data.byteLength < SIGNATURE_LENGTH) throw new AuthProtocolError(`${what} is ${data.byteLength} bytes, shorter than an NTLM signature`, WHERE);
      return s.unwrap(data.subarray(SIGNATURE_LENGTH), data.subarray(0, SIGNATURE_LENGTH));
    },
  };
}

function kerberosWrapper(c: KerberosSecurityContext): Wrapper {
  return { wrap: (plain) => c.wrapToken(plain), unwrap: (data) => c.unwrapToken(data) };
}

export interface CredSspInnerInitiator extends Wrapper {
  readonly mechanism: CredSspMechanism;
  /** The NegTokenInit with the optimistic token. */
  initial(): Uint8Array;
  /** A server SPNEGO token while negotiating: ours back, or undefined when none is due (Kerberos after the AP-REP). */
  step(token: Uint8Array): Uint8Array | undefined;
  /** Whether the keys are known, so pubKeyAuth can be sealed. */
  readonly established: boolean;
  /** The SPNEGO token that came with the server's pubKeyAuth (NTLM's mechListMIC answer), if any. */
  finish(token: Uint8Array | undefined): void;
}

/**
 * The wrap/unwrap of a context whose keys arrive with its last leg. Used before
 * then it is the caller's bug (CredSSP seals pubKeyAuth only once established),
 * said as such rather than as a TypeError on undefined.
 */
class LateWrapper implements Wrapper {
  #w: Wrapper | undefined;
  get established(): boolean {
    return this.#w !== undefined;
  }
  protected keys(w: Wrapper): void {
    this.#w = w;
  }
  wrap(plain: Uint8Array): Uint8Array {
    return this.#keyed().wrap(plain);
  }
  unwrap(data: Uint8Array, what: string): Uint8Array {
    return this.#keyed().unwrap(data, what);
  }
  #keyed(): Wrapper {
    if (!this.#w) throw new InternalError('CredSSP: the inner context was asked to wrap before its keys exist');
    return this.#w;
  }
}

class NtlmInner extends LateWrapper implements CredSspInnerInitiator {
  readonly mechanism = 'ntlm';
  private readonly spnego: SpnegoNtlmInitiator;
  constructor(private readonly ntlm: NtlmInitiator) {
    super();
    this.spnego = new SpnegoNtlmInitiator(ntlm);
  }
  initial(): Uint8Array {
    return this.spnego.initial();
  }
  step(token: Uint8Array): Uint8Array | undefined {
    const out = this.spnego.step(token);
    // The session exists once the AUTHENTICATE is made.
    this.keys(ntlmWrapper(this.ntlm.session));
    return out;
  }
  finish(token: Uint8Array | undefined): void {
    this.spnego.finish(token);
  }
}

class KerberosInner extends LateWrapper implements CredSspInnerInitiator {
  readonly mechanism = 'kerberos';
  constructor(private readonly spnego: SpnegoKerberosInitiator) {
    super();
  }
  initial(): Uint8Array {
    return this.spnego.initial();
  }
  step(token: Uint8Array): Uint8Array | undefined {
    this.keys(kerberosWrapper(this.spnego.finish(token)));
    return undefined;
  }
  finish(token: Uint8Array | undefined): void {
    if (token) throw new AuthProtocolError('the server sent another SPNEGO token after Kerberos completed', WHERE);
  }
}

export function ntlmInner(ntlm: NtlmInitiator): CredSspInnerInitiator {
  return new NtlmInner(ntlm);
}

export function kerberosInner(kerberos: KerberosInitiator): CredSspInnerInitiator {
  return new KerberosInner(new SpnegoKerberosInitiator(kerberos));
}

/** Who the inner mechanism authenticated. */
export interface CredSspAuthenticated {
  readonly mechanism: CredSspMechanism;
  /** NTLM: the user as the AUTHENTICATE named it; Kerberos: `name@REALM` of the ticket. */
  readonly user: string;
  /** Kerberos: the whole acceptance (service, flags, ticket end time). */
  readonly kerberos?: KerberosAcceptResult;
}

export interface CredSspInnerAcceptStep {
  readonly token: Uint8Array;
  /** Set when the keys are known and the client authenticated. */
  readonly authenticated?: CredSspAuthenticated;
}

export interface CredSspInnerAcceptor extends Wrapper {
  step(token: Uint8Array): CredSspInnerAcceptStep;
}

/**
 * The acceptor for the client's first SPNEGO token: Kerberos when it offers
 * Kerberos first with an AP-REQ and this endpoint has a keytab, NTLM
 * otherwise (when it has NTLM).
 */
export function innerAcceptorFor(first: Uint8Array, o: { readonly ntlm?: NtlmAcceptor | undefined; readonly kerberos?: KerberosAcceptor | undefined }): CredSspInnerAcceptor {
  const t = decodeNegotiationToken(first);
  if (t.kind === 'init' && wantsKerberos(t)) {
    if (o.kerberos) return new KerberosInnerAcceptor(new SpnegoKerberosAcceptor(o.kerberos));
    if (!o.ntlm) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'the client offers Kerberos inside CredSSP, and this endpoint has neither a keytab nor NTLM users');
  }
  if (!o.ntlm) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the client offers ${t.kind === 'init' ? t.mechTypes.join(', ') : 'no NegTokenInit'} inside CredSSP; this endpoint accepts Kerberos only`);
  return new NtlmInnerAcceptor(new SpnegoNtlmAcceptor(o.ntlm));
}

class KerberosInnerAcceptor extends LateWrapper implements CredSspInnerAcceptor {
  constructor(private readonly spnego: SpnegoKerberosAcceptor) {
    super();
  }
  step(token: Uint8Array): CredSspInnerAcceptStep {
    if (this.established) throw new AuthProtocolError('another SPNEGO token after Kerberos completed', WHERE);
    const { token: out, result } = this.spnego.accept(token);
    this.keys(kerberosWrapper(result.context));
    return { token: out, authenticated: { mechanism: 'kerberos', user: result.clientName, kerberos: result } };
  }
}

class NtlmInnerAcceptor extends LateWrapper implements CredSspInnerAcceptor {
  constructor(private readonly spnego: SpnegoNtlmAcceptor) {
    super();
  }
  step(token: Uint8Array): CredSspInnerAcceptStep {
    const s = this.spnego.step(token);
    if (!s.result) return { token: s.token };
    if (!s.result.session?.canSeal) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'CredSSP needs NTLM sealing, which the client did not negotiate');
    this.keys(ntlmWrapper(s.result.session));
    return { token: s.token, authenticated: { mechanism: 'ntlm', user: s.result.user } };
  }
}
