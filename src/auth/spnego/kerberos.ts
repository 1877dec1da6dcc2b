// Kerberos inside SPNEGO (RFC 4178, MS-SPNG), both sides, sans-I/O. The
// initiator lists both Kerberos OIDs, the "erroneous" 1.2.840.48018.1.2.2
// first as Windows does (MS-SPNG 3.3.5.1: old Windows acceptors know only
// that one) and 1.2.840.113554.1.2.2, with the AP-REQ as the optimistic
// mechToken. The acceptor's NegTokenResp carries the AP-REP; its mechListMIC
// (GSS_GetMIC over the DER of the initiator's mechTypes) is verified when
// present: RFC 4178 5 makes it optional when the first mechanism was chosen
// and its optimistic token accepted, which MIT's acceptor relies on, while
// Windows sends one. psremote's acceptor always sends one, which MIT and
// Windows initiators verify.

import { AuthFailedError, AuthProtocolError, AuthRejectedError } from '../errors.js';
import type { KerberosAcceptor, KerberosAcceptResult } from '../kerberos/gss/acceptor.js';
import type { KerberosSecurityContext } from '../kerberos/gss/context.js';
import type { KerberosInitiator } from '../kerberos/gss/initiator.js';
import type { DerLimits } from './der.js';
import { SpnegoInitiator } from './initiator.js';
import { decodeNegotiationToken, encodeMechTypes, encodeNegTokenResp, OID_KRB5, OID_MS_KRB5, type NegTokenInit } from './tokens.js';

const WHERE = 'SPNEGO';
const KERBEROS_OIDS: readonly string[] = [OID_MS_KRB5, OID_KRB5];

export const isKerberosOid = (oid: string | undefined): boolean => oid !== undefined && KERBEROS_OIDS.includes(oid);

export class SpnegoKerberosInitiator extends SpnegoInitiator<never> {
  readonly kerberos: KerberosInitiator;
  protected readonly offered = KERBEROS_OIDS;

  constructor(kerberos: KerberosInitiator, limits?: DerLimits) {
    super(limits);
    this.kerberos = kerberos;
  }

  protected optimisticToken(): Uint8Array {
    return this.kerberos.initial();
  }

  /** The acceptor's NegTokenResp (with the AP-REP): establishes the context and checks the mechListMIC. */
  finish(token: Uint8Array | undefined): KerberosSecurityContext {
    this.expect('finish', 'sent');
    if (!token) throw new AuthProtocolError('the server completed SPNEGO without its NegTokenResp (no AP-REP for mutual authentication)', WHERE);
    const t = this.response(token, 'with the AP-REP');
    if (t.negState === 'reject') throw new AuthRejectedError('the server rejected the SPNEGO negotiation (negState reject)');
    if (t.supportedMech !== undefined && !isKerberosOid(t.supportedMech)) {
      throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `the server chose mechanism ${t.supportedMech}, but only Kerberos was offered`);
    }
    if (!t.responseToken) throw new AuthProtocolError('the NegTokenResp carries no Kerberos AP-REP', WHERE);
    const context = this.kerberos.step(t.responseToken);
    if (t.mechListMIC) context.verifyMic(encodeMechTypes(this.offered), t.mechListMIC);
    else if (t.negState === 'request-mic') throw new AuthProtocolError('the server asks for a mechListMIC leg, which psremote does not send after the optimistic Kerberos token', WHERE);
    if (t.negState !== undefined && t.negState !== 'accept-completed') throw new AuthProtocolError(`the final NegTokenResp has negState ${t.negState}, expected accept-completed`, WHERE);
    this.state = 'complete';
    return context;
  }
}

/** Whether a NegTokenInit is one for Kerberos: Kerberos first in mechTypes, with its optimistic AP-REQ. */
export function wantsKerberos(t: NegTokenInit): boolean {
  return isKerberosOid(t.mechTypes[0]) && t.mechToken !== undefined;
}

export class SpnegoKerberosAcceptor {
  readonly kerberos: KerberosAcceptor;
  readonly #limits: DerLimits | undefined;

  constructor(kerberos: KerberosAcceptor, limits?: DerLimits) {
    this.kerberos = kerberos;
    this.#limits = limits;
  }

  /** One leg: the NegTokenInit with the AP-REQ in, the NegTokenResp with the AP-REP and mechListMIC out. */
  accept(token: Uint8Array): { token: Uint8Array; result: KerberosAcceptResult } {
    const t = decodeNegotiationToken(token, this.#limits);
    if (t.kind !== 'init') throw new AuthProtocolError('the first SPNEGO token is a NegTokenResp, expected a NegTokenInit', WHERE);
    if (!wantsKerberos(t)) throw new AuthFailedError('PSR_AUTH_NEGOTIATION', `SPNEGO offers ${t.mechTypes.join(', ')} first without a Kerberos token; expected Kerberos first`);
    const result = this.kerberos.accept(t.mechToken!);
    if (t.mechListMIC) result.context.verifyMic(t.mechTypesDer, t.mechListMIC);
    const mechListMIC = result.context.getMic(t.mechTypesDer);
    const out = encodeNegTokenResp({ negState: 'accept-completed', supportedMech: t.mechTypes[0]!, ...(result.token ? { responseToken: result.token } : {}), mechListMIC });
    return { token: out, result };
  }
}
