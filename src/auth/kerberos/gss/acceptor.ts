// The acceptor of a Kerberos GSS-API context (RFC 4120 3.2.3, RFC 4121 4.1),
// sans-I/O: it decrypts the ticket with the service key of the keytab (by
// service name, enctype and kvno), then the authenticator with the ticket's
// session key; checks the client names match, the ticket's times and the
// authenticator's time against the injected clock with the skew window, the
// replay cache, the 0x8003 checksum with the channel bindings, and reads a
// delegated TGT. With mutual authentication it answers an AP-REP with a fresh
// acceptor subkey (AES; for rc4-hmac none, since MIT's initiator would keep
// its own subkey anyway) and its own initial sequence number.

import { createHash, randomBytes } from 'node:crypto';
import { UsageError } from '../../../errors.js';
import { AuthFailedError, AuthProtocolError, AuthRejectedError } from '../../errors.js';
import { OID_KRB5 } from '../../spnego/tokens.js';
import { decrypt, encrypt, enctypeName, isSupportedEnctype, randomKey, type KerberosKey } from '../crypto/index.js';
import { bindingsHash, CKSUMTYPE_GSSAPI, decodeGssChecksum, GSS_C_MUTUAL_FLAG } from './checksum.js';
import { KerberosSecurityContext } from './context.js';
import { KU_AP_REP_ENCPART, KU_AP_REQ_AUTHENTICATOR, KU_KRB_CRED_ENCPART, type KerberosPrincipal } from './initiator.js';
import { AP_OPT_MUTUAL_REQUIRED, decodeApReq, decodeAuthenticator } from '../messages/ap-req.js';
import { decodeEncTicketPart, type Ticket } from '../messages/ticket.js';
import { decodeEncKrbCredPart, decodeKrbCred, encodeApRep, encodeEncApRepPart, frameToken, TOK_AP_REP, TOK_AP_REQ, unframeToken, type KrbCredInfo } from './messages.js';

export const KU_TICKET = 2;
/** RFC 4120 / MS-KILE default: five minutes. */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;

/** A service key (keytab.ts parseKeytab gives these). */
export interface ServiceKey {
  readonly principal: { readonly realm: string; readonly components: readonly string[] };
  readonly kvno: number;
  readonly key: KerberosKey;
}

/**
 * Authenticators seen within the skew window (RFC 4120 3.2.3): an identical
 * one again is a replay. Bounded: entries expire after the window, and past
 * `max` live entries new contexts are refused rather than memory growing.
 */
export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  constructor(max = 100_000) {
    this.#max = max;
  }
  /** Records an authenticator; false when it was seen (a replay). */
  add(id: string, expires: number, now: number): boolean {
    if (this.#seen.size >= this.#max / 2) for (const [k, e] of this.#seen) if (e <= now) this.#seen.delete(k);
    const prev = this.#seen.get(id);
    if (prev !== undefined && prev > now) return false;
    if (this.#seen.size >= this.#max) throw new AuthRejectedError(`the Kerberos replay cache is full (${this.#max} authenticators within the skew window)`);
    this.#seen.set(id, expires);
    return true;
  }
}

export interface KerberosAcceptorOptions {
  readonly keys: readonly ServiceKey[];
  readonly now: () => Date;
  readonly replayCache: ReplayCache;
  readonly clockSkewMs?: number;
  /** The unhashed gss_channel_bindings_struct of the TLS channel; required to match when given. */
  readonly channelBindings?: Uint8Array;
  readonly random?: (n: number) => Uint8Array;
}

export interface DelegatedCredential {
  /** The forwarded TGT as the KRB-CRED carried it. */
  readonly ticket: Ticket;
  readonly info: KrbCredInfo;
  /** The KRB-CRED itself (what MIT stores from gss_accept_sec_context). */
  readonly krbCred: Uint8Array;
}

export interface KerberosAcceptResult {
  /** The AP-REP token (mutual authentication), or undefined. */
  readonly token: Uint8Array | undefined;
  readonly context: KerberosSecurityContext;
  readonly client: KerberosPrincipal;
  /** `name@REALM`. */
  readonly clientName: string;
  readonly service: KerberosPrincipal;
  readonly flags: number;
  readonly ticketEndTime: Date;
  readonly delegated?: DelegatedCredential;
  /** The OID the initiator framed its token with. */
  readonly oid: string;
}

const WHERE = 'Kerberos AP-REQ';
const rejected = (m: string) => new AuthRejectedError(m);

export function principalName(p: { realm: string; components: readonly string[] }): string {
  return `${p.components.join('/')}@${p.realm}`;
}

export class KerberosAcceptor {
  readonly #o: KerberosAcceptorOptions;
  #used = false;

  constructor(o: KerberosAcceptorOptions) {
    this.#o = o;
  }

  /** Accepts one AP-REQ token (framed, as HTTP and SPNEGO carry it). One use per acceptor. */
  accept(token: Uint8Array): KerberosAcceptResult {
    if (this.#used) throw new UsageError('a KerberosAcceptor accepts one AP-REQ');
    this.#used = true;
    const { tokId, message, oid } = unframeToken(token, WHERE);
    if (tokId !== TOK_AP_REQ) throw new AuthProtocolError(`expected an AP-REQ (TOK_ID 01 00), got TOK_ID ${tokId.toString(16).padStart(4, '0')}`, WHERE);
    const apReq = decodeApReq(message);
    const t = apReq.ticket;
    const sname = principalName({ realm: t.realm, components: t.sname.components });
    const candidates = this.#o.keys.filter((k) => k.principal.realm === t.realm && k.principal.components.join('/') === t.sname.components.join('/'));
    if (candidates.length === 0) throw rejected(`the ticket is for ${sname}, for which this server has no key (KRB_AP_ERR_NOT_US: a wrong SPN or keytab)`);
    const etype = t.encPart.etype;
    const byType = candidates.filter((k) => k.key.enctype === etype);
    if (byType.length === 0) throw rejected(`the ticket for ${sname} is encrypted with ${enctypeName(etype)}, and the keytab has no such key (KRB_AP_ERR_NOKEY)`);
    const kvno = t.encPart.kvno;
    const chosen = kvno === undefined ? byType : byType.filter((k) => k.kvno === kvno || (k.kvno & 0xff) === (kvno & 0xff));
    if (chosen.length === 0) throw rejected(`the ticket for ${sname} has key version ${kvno}, the keytab has ${byType.map((k) => k.kvno).join(', ')} (KRB_AP_ERR_BADKEYVER: the keytab is out of date)`);
    let ticketPlain: Uint8Array | undefined;
    for (const k of chosen.sort((a, b) => b.kvno - a.kvno)) {
      try {
        ticketPlain = decrypt(k.key, KU_TICKET, t.encPart.cipher, 'the service ticket');
        break;
      } catch {
        // another key of the same version and enctype may be the one
      }
    }
    if (!ticketPlain) throw rejected(`the ticket for ${sname} does not decrypt with the keytab's key (KRB_AP_ERR_BAD_INTEGRITY: the keytab does not match the KDC)`);
    const enc = decodeEncTicketPart(ticketPlain);
    if (!isSupportedEnctype(enc.key.keytype)) throw new AuthProtocolError(`the ticket's session key has unsupported enctype ${enc.key.keytype}`, WHERE);
    const sessionKey: KerberosKey = { enctype: enc.key.keytype, value: enc.key.keyvalue };
    if (apReq.authenticator.etype !== sessionKey.enctype) throw new AuthProtocolError('the authenticator is not encrypted with the session key enctype', WHERE);
    const auth = decodeAuthenticator(decrypt(sessionKey, KU_AP_REQ_AUTHENTICATOR, apReq.authenticator.cipher, 'the authenticator'));
    const client = { realm: enc.crealm, components: enc.cname.components, nameType: enc.cname.nameType };
    const clientName = principalName(client);
    if (auth.crealm !== enc.crealm || auth.cname.components.join('/') !== enc.cname.components.join('/')) {
      throw rejected(`the authenticator is for ${principalName({ realm: auth.crealm, components: auth.cname.components })}, the ticket for ${clientName} (KRB_AP_ERR_BADMATCH)`);
    }
    const now = this.#o.now().getTime();
    const skew = this.#o.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
    const ctime = auth.ctime.getTime() + Math.floor(auth.cusec / 1000);
    if (Math.abs(ctime - now) > skew) {
      throw rejected(`the client's clock (${auth.ctime.toISOString()}) differs from ours (${new Date(now).toISOString()}) by more than ${skew / 1000} s (KRB_AP_ERR_SKEW)`);
    }
    const start = (enc.startTime ?? enc.authTime).getTime();
    if (start - skew > now) throw rejected(`the ticket of ${clientName} is not valid before ${new Date(start).toISOString()} (KRB_AP_ERR_TKT_NYV)`);
    if (enc.endTime.getTime() + skew < now) throw rejected(`the ticket of ${clientName} expired at ${enc.endTime.toISOString()} (KRB_AP_ERR_TKT_EXPIRED)`);
    const id = `${clientName}|${sname}|${auth.ctime.getTime()}|${auth.cusec}|${createHash('sha256').update(apReq.authenticator.cipher).digest('hex')}`;
    if (!this.#o.replayCache.add(id, ctime + skew, now)) throw rejected(`a replayed authenticator from ${clientName} (KRB_AP_ERR_REPEAT)`);

    if (!auth.cksum || auth.cksum.cksumtype !== CKSUMTYPE_GSSAPI) {
      throw new AuthProtocolError(`the authenticator has no GSS-API checksum (cksumtype 0x8003)${auth.cksum ? `, but cksumtype ${auth.cksum.cksumtype}` : ''}`, WHERE);
    }
    const gss = decodeGssChecksum(auth.cksum.checksum);
    const zero = gss.bnd.every((b) => b === 0);
    if (this.#o.channelBindings) {
      if (zero) throw new AuthFailedError('PSR_AUTH_CHANNEL_BINDING', `${clientName} sent no channel bindings, and this https endpoint requires them`);
      if (!Buffer.from(gss.bnd).equals(Buffer.from(bindingsHash(this.#o.channelBindings)))) {
        throw new AuthFailedError('PSR_AUTH_CHANNEL_BINDING', `the channel bindings of ${clientName} do not match this TLS channel (a relay, or a TLS-terminating proxy)`);
      }
    } else if (!zero) {
      throw new AuthFailedError('PSR_AUTH_CHANNEL_BINDING', `${clientName} sent channel bindings, but this endpoint has no TLS channel to bind to`);
    }
    const delegated = gss.deleg ? this.#delegation(gss.deleg, sessionKey, auth.subkey) : undefined;

    const initiatorKey: KerberosKey = auth.subkey && isSupportedEnctype(auth.subkey.keytype) ? { enctype: auth.subkey.keytype, value: auth.subkey.keyvalue } : sessionKey;
    // Windows writes sequence numbers as signed 32-bit INTEGERs.
    const initSeq = (auth.seqNumber ?? 0) >>> 0;
    const mutual = (apReq.apOptions & AP_OPT_MUTUAL_REQUIRED) !== 0 || (gss.flags & GSS_C_MUTUAL_FLAG) !== 0;
    const service = { realm: t.realm, components: t.sname.components, nameType: t.sname.nameType };
    const base = { client, clientName, service, flags: gss.flags, ticketEndTime: enc.endTime, oid, ...(delegated ? { delegated } : {}) };
    if (!mutual) {
      return { ...base, token: undefined, context: new KerberosSecurityContext({ key: initiatorKey, initiator: false, acceptorSubkey: false, sendSeq: initSeq, recvSeq: initSeq }) };
    }
    const random = this.#o.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    const r = random(4);
    const mySeq = (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) & 0x3fffffff;
    // MIT's initiator ignores an rc4 acceptor subkey of the same enctype (RFC 1964 contexts keep the
    // initiator's subkey), so none is sent for rc4-hmac.
    const acceptorKey = initiatorKey.enctype === 23 ? undefined : randomKey(initiatorKey.enctype);
    const part = encodeEncApRepPart({ ctime: auth.ctime, cusec: auth.cusec, ...(acceptorKey ? { subkey: { keytype: acceptorKey.enctype, keyvalue: acceptorKey.value } } : {}), seqNumber: mySeq });
    const apRep = encodeApRep({ etype: sessionKey.enctype, cipher: encrypt(sessionKey, KU_AP_REP_ENCPART, part) });
    const context = new KerberosSecurityContext({ key: acceptorKey ?? initiatorKey, initiator: false, acceptorSubkey: acceptorKey !== undefined, sendSeq: mySeq, recvSeq: initSeq });
    return { ...base, token: frameToken(TOK_AP_REP, apRep, OID_KRB5), context };
  }

  #delegation(krbCred: Uint8Array, sessionKey: KerberosKey, subkey: { keytype: number; keyvalue: Uint8Array } | undefined): DelegatedCredential {
    const cred = decodeKrbCred(krbCred);
    let plain: Uint8Array | undefined;
    if (cred.encPart.etype === 0) plain = cred.encPart.cipher; // MIT may send it unencrypted (etype 0) inside the encrypted authenticator
    else {
      const keys: KerberosKey[] = [sessionKey];
      if (subkey && isSupportedEnctype(subkey.keytype)) keys.push({ enctype: subkey.keytype, value: subkey.keyvalue });
      for (const k of keys) {
        if (k.enctype !== cred.encPart.etype) continue;
        try {
          plain = decrypt(k, KU_KRB_CRED_ENCPART, cred.encPart.cipher, 'the delegated KRB-CRED');
          break;
        } catch {
          // try the next key
        }
      }
    }
    if (!plain) throw new AuthProtocolError('the delegated KRB-CRED does not decrypt with the session key or subkey', WHERE);
    const infos = decodeEncKrbCredPart(plain);
    if (infos.length !== cred.tickets.length || infos.length === 0) throw new AuthProtocolError(`the delegated KRB-CRED has ${cred.tickets.length} tickets and ${infos.length} KrbCredInfo`, WHERE);
    return { ticket: cred.tickets[0]!, info: infos[0]!, krbCred };
  }
}
