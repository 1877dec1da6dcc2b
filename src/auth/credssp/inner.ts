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

export function ntlmInner(ntlm: NtlmInitiator): CredSspInnerInitiator {
  const spnego = new SpnegoNtlmInitiator(ntlm);
  // The session exists once the AUTHENTICATE is made.
  let w: Wrapper | undefined;
  return {
    mechanism: 'ntlm',
    initial: () => spnego.initial(),
    step(token) {
      const out = spnego.step(token);
      w = ntlmWrapper(ntlm.session);
      return out;
    },
    get established() {
      return w !== undefined;
    },
    finish: (token) => spnego.finish(token),
    wrap: (p) => w!.wrap(p),
    unwrap: (d, what) => w!.unwrap(d, what),
  };
}

export function kerberosInner(kerberos: KerberosInitiator): CredSspInnerInitiator {
  const spnego = new SpnegoKerberosInitiator(kerberos);
  let w: Wrapper | undefined;
  return {
    mechanism: 'kerberos',
    initial: () => spnego.initial(),
    step(token) {
      w = kerberosWrapper(spnego.finish(token));
      return undefined;
    },
    get established() {
      return w !== undefined;
    },
    finish(token) {
      if (token) throw new AuthProtocolError('the server sent another SPNEGO token after Kerberos completed', WHERE);
    },
    wrap: (p) => w!.wrap(p),
    unwrap: (d, what) => w!.unwrap(d, what),
  };
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
    if (o.kerberos) return kerberosAcceptor(o.kerberos);
    if (!o.ntlm) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'the client offers Kerberos inside CredSSP, and this endpoint has neither a keytab nor NTLM users');
  }
  if (!o.ntlm) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the client offers ${t.kind === 'init' ? t.mechTypes.join(', ') : 'no NegTokenInit'} inside CredSSP; this endpoint accepts Kerberos only`);
  return ntlmAcceptor(o.ntlm);
}

function kerberosAcceptor(kerberos: KerberosAcceptor): CredSspInnerAcceptor {
  const spnego = new SpnegoKerberosAcceptor(kerberos);
  let w: Wrapper | undefined;
  return {
    step(token) {
      if (w) throw new AuthProtocolError('another SPNEGO token after Kerberos completed', WHERE);
      const { token: out, result } = spnego.accept(token);
      w = kerberosWrapper(result.context);
      return { token: out, authenticated: { mechanism: 'kerberos', user: result.clientName, kerberos: result } };
    },
    wrap: (p) => w!.wrap(p),
    unwrap: (d, what) => w!.unwrap(d, what),
  };
}

function ntlmAcceptor(ntlm: NtlmAcceptor): CredSspInnerAcceptor {
  const spnego = new SpnegoNtlmAcceptor(ntlm);
  let w: Wrapper | undefined;
  return {
    step(token) {
      const s = spnego.step(token);
      if (!s.result) return { token: s.token };
      if (!s.result.session?.canSeal) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', 'CredSSP needs NTLM sealing, which the client did not negotiate');
      w = ntlmWrapper(s.result.session);
      return { token: s.token, authenticated: { mechanism: 'ntlm', user: s.result.user } };
    },
    wrap: (p) => w!.wrap(p),
    unwrap: (d, what) => w!.unwrap(d, what),
  };
}
