// The initiator of a Kerberos GSS-API context (RFC 4121 4.1), sans-I/O: from a
// service ticket and its session key it makes the AP-REQ (authenticator with
// the 0x8003 checksum: flags, channel bindings, optionally a KRB-CRED with a
// forwarded TGT; a fresh subkey and a random initial sequence number), then
// checks the AP-REP (mutual authentication: the acceptor proves it could read
// the authenticator by echoing ctime/cusec) and takes the acceptor's subkey.
// The clock and the random source are injected.

import { randomBytes } from 'node:crypto';
import { UsageError } from '../../../errors.js';
import { AuthProtocolError, AuthRejectedError } from '../../errors.js';
import { OID_KRB5 } from '../../spnego/tokens.js';
import { decrypt, encrypt, isSupportedEnctype, randomKey, type EncType, type KerberosKey } from '../crypto/index.js';
import { bindingsHash, CKSUMTYPE_GSSAPI, encodeGssChecksum, GSS_C_CONF_FLAG, GSS_C_INTEG_FLAG, GSS_C_MUTUAL_FLAG, GSS_C_REPLAY_FLAG, GSS_C_SEQUENCE_FLAG } from './checksum.js';
import { KerberosSecurityContext } from './context.js';
import { krbErrorName } from './error-names.js';
import { AP_OPT_MUTUAL_REQUIRED, buildApReq } from '../messages/ap-req.js';
import { decodeKrbError } from '../messages/kdc.js';
import { decodeApRep, decodeEncApRepPart, encodeEncKrbCredPart, encodeKrbCred, frameToken, TOK_AP_REP, TOK_AP_REQ, TOK_KRB_ERROR, unframeToken } from './messages.js';

export const KU_AP_REQ_AUTHENTICATOR = 11;
export const KU_AP_REP_ENCPART = 12;
export const KU_KRB_CRED_ENCPART = 14;

export interface KerberosPrincipal {
  readonly realm: string;
  readonly components: readonly string[];
  /** NT-PRINCIPAL (1) when absent. */
  readonly nameType?: number;
}

/** What the initiator needs of a service ticket (transport/kerberos/credentials.ts ServiceTicket has it). */
export interface InitiatorTicket {
  /** The DER Ticket. */
  readonly ticket: Uint8Array;
  readonly sessionKey: KerberosKey;
  readonly client: KerberosPrincipal;
}

/** A TGT to forward (GSS_C_DELEG_FLAG), with what KrbCredInfo says about it. */
export interface ForwardableTgt extends InitiatorTicket {
  readonly server: KerberosPrincipal;
  readonly flags: number;
  readonly authTime: Date;
  readonly startTime?: Date;
  readonly endTime: Date;
  readonly renewTill?: Date;
}

export interface KerberosInitiatorOptions {
  readonly ticket: InitiatorTicket;
  readonly now: () => Date;
  /** The unhashed gss_channel_bindings_struct (auth/channel-bindings.ts certificateChannelBindings). */
  readonly channelBindings?: Uint8Array;
  /** Forward this TGT to the acceptor. */
  readonly delegate?: ForwardableTgt;
  /** Mutual authentication (default true; WinRM requires it). */
  readonly mutual?: boolean;
  /** The OID in the framing (the krb5 one; SPNEGO may say the MS one). */
  readonly oid?: string;
  readonly random?: (n: number) => Uint8Array;
}

const WHERE = 'Kerberos AP-REP';

/** The KRB-CRED that forwards a TGT, encrypted in the service ticket's session key (as MIT and Windows do). */
export function makeKrbCred(tgt: ForwardableTgt, key: KerberosKey, now: Date): Uint8Array {
  const info = {
    key: { keytype: tgt.sessionKey.enctype, keyvalue: tgt.sessionKey.value },
    prealm: tgt.client.realm,
    pname: { nameType: tgt.client.nameType ?? 1, components: tgt.client.components },
    flags: tgt.flags,
    authTime: tgt.authTime,
    ...(tgt.startTime ? { startTime: tgt.startTime } : {}),
    endTime: tgt.endTime,
    ...(tgt.renewTill ? { renewTill: tgt.renewTill } : {}),
    srealm: tgt.server.realm,
    sname: { nameType: tgt.server.nameType ?? 2, components: tgt.server.components },
  };
  const plain = encodeEncKrbCredPart([info], new Date(Math.floor(now.getTime() / 1000) * 1000), (now.getTime() % 1000) * 1000);
  return encodeKrbCred([tgt.ticket], { etype: key.enctype, cipher: encrypt(key, KU_KRB_CRED_ENCPART, plain) });
}

/** The typed error of a KRB-ERROR token (an acceptor's refusal), or undefined for another token. */
export function krbErrorOfToken(token: Uint8Array): AuthRejectedError | undefined {
  try {
    const { tokId, message } = unframeToken(token, WHERE);
    if (tokId !== TOK_KRB_ERROR) return undefined;
    const e = decodeKrbError(message);
    return new AuthRejectedError(`the server refused the Kerberos AP-REQ: ${krbErrorName(e.errorCode)}${e.eText ? ` (${e.eText})` : ''}`);
  } catch {
    return undefined;
  }
}

export class KerberosInitiator {
  readonly #o: KerberosInitiatorOptions;
  readonly flags: number;
  #state: 'initial' | 'sent' | 'complete' = 'initial';
  #ctime: Date | undefined;
  #cusec = 0;
  #subkey: KerberosKey | undefined;
  #seq = 0;
  #context: KerberosSecurityContext | undefined;

  constructor(o: KerberosInitiatorOptions) {
    this.#o = o;
    this.flags = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    if (o.mutual === false) this.flags &= ~GSS_C_MUTUAL_FLAG;
  }

  get complete(): boolean {
    return this.#state === 'complete';
  }

  /** The established context (after step(), or right after initial() without mutual authentication). */
  get context(): KerberosSecurityContext {
    if (!this.#context) throw new UsageError(`the Kerberos context is not established (state ${this.#state})`);
    return this.#context;
  }

  /** The InitialContextToken carrying the AP-REQ. */
  initial(): Uint8Array {
    if (this.#state !== 'initial') throw new UsageError(`Kerberos initial() called in state ${this.#state}`);
    const { ticket, now } = this.#o;
    const random = this.#o.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const sessionKey = ticket.sessionKey;
    if (!isSupportedEnctype(sessionKey.enctype)) throw new UsageError(`unsupported session key enctype ${String(sessionKey.enctype)}`);
    const t = now();
    this.#ctime = new Date(Math.floor(t.getTime() / 1000) * 1000);
    this.#cusec = (t.getTime() % 1000) * 1000 + (random(1)[0]! % 250);
    this.#subkey = { enctype: sessionKey.enctype as EncType, value: this.#o.random ? random(randomKey(sessionKey.enctype).value.byteLength) : randomKey(sessionKey.enctype).value };
    const r = random(4);
    this.#seq = (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) & 0x3fffffff;
    const deleg = this.#o.delegate ? makeKrbCred(this.#o.delegate, sessionKey, t) : undefined;
    const checksum = encodeGssChecksum({ bnd: bindingsHash(this.#o.channelBindings), flags: this.flags, ...(deleg ? { deleg } : {}) });
    const apReq = buildApReq({
      ticket: ticket.ticket,
      sessionKey,
      apOptions: this.flags & GSS_C_MUTUAL_FLAG ? AP_OPT_MUTUAL_REQUIRED : 0,
      usage: KU_AP_REQ_AUTHENTICATOR,
      authenticator: {
        crealm: ticket.client.realm,
        cname: { nameType: ticket.client.nameType ?? 1, components: ticket.client.components },
        cksum: { cksumtype: CKSUMTYPE_GSSAPI, checksum },
        cusec: this.#cusec,
        ctime: this.#ctime,
        subkey: { keytype: this.#subkey.enctype, keyvalue: this.#subkey.value },
        seqNumber: this.#seq,
      },
    });
    this.#state = 'sent';
    if (!(this.flags & GSS_C_MUTUAL_FLAG)) {
      this.#context = new KerberosSecurityContext({ key: this.#subkey, initiator: true, acceptorSubkey: false, sendSeq: this.#seq, recvSeq: this.#seq });
      this.#state = 'complete';
    }
    return frameToken(TOK_AP_REQ, apReq, this.#o.oid ?? OID_KRB5);
  }

  /** Checks the acceptor's AP-REP (or its KRB-ERROR, as a typed error) and establishes the context. */
  step(token: Uint8Array): KerberosSecurityContext {
    if (this.#state !== 'sent') throw new UsageError(`Kerberos step() called in state ${this.#state}`);
    const { tokId, message } = unframeToken(token, WHERE);
    if (tokId === TOK_KRB_ERROR) throw krbErrorOfToken(token)!;
    if (tokId !== TOK_AP_REP) throw new AuthProtocolError(`expected an AP-REP (TOK_ID 02 00), got TOK_ID ${tokId.toString(16).padStart(4, '0')}`, WHERE);
    const enc = decodeApRep(message);
    const sessionKey = this.#o.ticket.sessionKey;
    if (enc.etype !== sessionKey.enctype) throw new AuthProtocolError(`the AP-REP is encrypted with enctype ${enc.etype}, not the session key's ${sessionKey.enctype}`, WHERE);
    const part = decodeEncApRepPart(decrypt(sessionKey, KU_AP_REP_ENCPART, enc.cipher, 'AP-REP enc-part'));
    if (part.ctime.getTime() !== this.#ctime!.getTime() || part.cusec !== this.#cusec) {
      throw new AuthRejectedError('the AP-REP does not echo our authenticator time: mutual authentication failed');
    }
    let key: KerberosKey = this.#subkey!;
    let acceptorSubkey = false;
    if (part.subkey) {
      if (!isSupportedEnctype(part.subkey.keytype)) throw new AuthProtocolError(`the acceptor subkey has unsupported enctype ${part.subkey.keytype}`, WHERE);
      key = { enctype: part.subkey.keytype, value: part.subkey.keyvalue };
      acceptorSubkey = true;
    }
    this.#context = new KerberosSecurityContext({ key, initiator: true, acceptorSubkey, sendSeq: this.#seq, recvSeq: part.seqNumber ?? this.#seq });
    this.#state = 'complete';
    return this.#context;
  }
}
