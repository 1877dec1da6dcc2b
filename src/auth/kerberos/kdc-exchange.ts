// The AS and TGS exchanges (RFC 4120 3.1, 3.3), sans-I/O: each step returns
// the request to send and the realm whose KDC must get it; the caller does
// the network and hands back the reply. The clock and the nonce come in.
//
// AS: the first AS-REQ carries no pre-authentication (the KDC then tells us
// the salt and enctypes in PREAUTH_REQUIRED's PA-ETYPE-INFO2, as MIT's client
// does); the retry carries PA-ENC-TIMESTAMP under the key made from them. A
// KDC that needs no pre-authentication answers the first request, and the
// reply's enc-part then decrypts only with the right password.
// TGS: PA-TGS-REQ holds an AP-REQ over the TGT whose authenticator checksums
// the KDC-REQ-BODY; a reply whose ticket is krbtgt/OTHER is a referral, and
// the next TGS-REQ goes to OTHER's KDC with it (at most MAX_REFERRALS hops).

import { decrypt, isSupportedEnctype, makeChecksum, SUPPORTED_ENCTYPES, stringToKey, type EncType, type KerberosKey } from './crypto/index.js';
import { KerberosError } from './errors.js';
import { kdcError } from './kdc-errors.js';
import { buildApReq } from './messages/ap-req.js';
import { toKerberosKey, type PaData } from './messages/common.js';
import * as C from './messages/constants.js';
import { decodeEncKdcRepPart, decodeKdcRep, decodeKrbError, encodeKdcReq, encodeKdcReqBody, kdcReplyKind, type EncKdcRepPart, type KdcRep, type KdcReqBody, type KrbError } from './messages/kdc.js';
import { buildPaEncTimestamp, decodeEtypeInfo2, decodeMethodData, encodePacRequest, type EtypeInfo2Entry } from './messages/padata.js';
import { decodeTicket } from './messages/ticket.js';
import { defaultSalt, samePrincipal, tgsPrincipal, toPrincipalName, unparsePrincipal, type Principal } from './principal.js';
import { AuthIntegrityError, AuthProtocolError } from '../errors.js';

export const MAX_REFERRALS = 5;

/** What a KDC exchange produced: everything a ccache entry or a GSS initiator needs. */
export interface KdcCredential {
  readonly client: Principal;
  readonly server: Principal;
  /** The DER Ticket. */
  readonly ticket: Uint8Array;
  readonly sessionKey: KerberosKey;
  readonly flags: number;
  readonly authTime: Date;
  readonly startTime?: Date;
  readonly endTime: Date;
  readonly renewTill?: Date;
  /** How the AS-REQ was pre-authenticated (2 for PA-ENC-TIMESTAMP), for the ccache's pa_type. */
  readonly paType?: number;
}

export type KdcStep = { readonly kind: 'send'; readonly realm: string; readonly request: Uint8Array } | { readonly kind: 'done'; readonly credential: KdcCredential };

export type ClientSecret = { readonly password: string } | { readonly keys: readonly KerberosKey[] };

export interface AsExchangeOptions {
  readonly client: Principal;
  /** Default krbtgt/REALM@REALM. */
  readonly server?: Principal;
  readonly secret: ClientSecret;
  readonly now: () => Date;
  /** A fresh random UInt32 per request (injected so tests can be exact). */
  readonly nonce: () => number;
  /** Ticket lifetime asked for (default 10 h, MIT's). */
  readonly lifetimeSeconds?: number;
  readonly renewableSeconds?: number;
  readonly forwardable?: boolean;
  readonly etypes?: readonly EncType[];
}

const DEFAULT_LIFETIME = 10 * 3600;

function parseReply(reply: Uint8Array, expect: 11 | 13): { rep: KdcRep } | { error: KrbError } {
  const kind = kdcReplyKind(reply);
  if (kind === 'KRB-ERROR') return { error: decodeKrbError(reply) };
  if (kind === (expect === 11 ? 'AS-REP' : 'TGS-REP')) return { rep: decodeKdcRep(reply, expect) };
  throw new AuthProtocolError(`the KDC answered with ${kind ?? `tag 0x${(reply[0] ?? 0).toString(16)}`}, expected ${expect === 11 ? 'AS-REP' : 'TGS-REP'} or KRB-ERROR`, 'KDC reply');
}

function credentialOf(rep: KdcRep, part: EncKdcRepPart, nonce: number, what: string): KdcCredential {
  if (part.nonce !== nonce && part.nonce >>> 0 !== nonce >>> 0) throw new AuthProtocolError(`${what}: the reply's nonce does not match the request (a replayed or forged reply)`, what);
  const c: KdcCredential = {
    client: { realm: rep.crealm, components: [...rep.cname.components] },
    server: { realm: part.srealm, components: [...part.sname.components] },
    ticket: rep.ticket.der,
    sessionKey: toKerberosKey(part.key, `${what} session key`),
    flags: part.flags,
    authTime: part.authTime,
    endTime: part.endTime,
    ...(part.startTime && { startTime: part.startTime }),
    ...(part.renewTill && { renewTill: part.renewTill }),
  };
  return c;
}

export class AsExchange {
  readonly #o: AsExchangeOptions;
  readonly #server: Principal;
  #nonce = 0;
  #preauthSent = false;
  #paKey: KerberosKey | undefined;
  #requestTime = new Date(0);
  #client: Principal;

  constructor(o: AsExchangeOptions) {
    this.#o = o;
    this.#client = o.client;
    this.#server = o.server ?? tgsPrincipal(o.client.realm);
  }

  get #etypes(): readonly EncType[] {
    const wanted = this.#o.etypes ?? SUPPORTED_ENCTYPES;
    if ('keys' in this.#o.secret) {
      const have = new Set(this.#o.secret.keys.map((k) => k.enctype));
      return wanted.filter((e) => have.has(e));
    }
    return wanted;
  }

  #request(padata: PaData[]): Uint8Array {
    this.#requestTime = this.#o.now();
    this.#nonce = this.#o.nonce() >>> 0 & 0x7fffffff;
    const now = this.#requestTime.getTime();
    const body: KdcReqBody = {
      kdcOptions: (this.#o.forwardable === false ? 0 : C.KDC_OPT_FORWARDABLE) | C.KDC_OPT_CANONICALIZE | (this.#o.renewableSeconds ? C.KDC_OPT_RENEWABLE : 0),
      cname: toPrincipalName(this.#client),
      realm: this.#client.realm,
      sname: toPrincipalName(this.#server),
      till: new Date(now + (this.#o.lifetimeSeconds ?? DEFAULT_LIFETIME) * 1000),
      ...(this.#o.renewableSeconds && { rtime: new Date(now + this.#o.renewableSeconds * 1000) }),
      nonce: this.#nonce,
      etypes: this.#etypes,
    };
    return encodeKdcReq({ msgType: C.MSG_AS_REQ, padata: [...padata, { type: C.PA_PAC_REQUEST, value: encodePacRequest(true) }], body });
  }

  start(): KdcStep {
    if (this.#etypes.length === 0) throw new KerberosError('PSR_KRB_NO_CREDENTIALS', `no key for ${unparsePrincipal(this.#client)} in an enctype psremote supports`);
    return { kind: 'send', realm: this.#client.realm, request: this.#request([]) };
  }

  #ctx() {
    return { client: unparsePrincipal(this.#client), server: unparsePrincipal(this.#server), exchange: 'AS' as const, now: this.#requestTime };
  }

  /** The client key for `etype`, made from the password with the KDC's salt and parameters, or from the keytab. */
  #key(etype: number, info: EtypeInfo2Entry | undefined): KerberosKey {
    if (!isSupportedEnctype(etype)) throw new KerberosError('PSR_KRB_ETYPE_NOSUPP', `the KDC of ${this.#client.realm} chose ${etype}, an enctype psremote does not support`);
    const secret = this.#o.secret;
    if ('password' in secret) return stringToKey(etype, secret.password, info?.salt ?? defaultSalt(this.#client), info?.s2kparams);
    const k = secret.keys.find((x) => x.enctype === etype);
    if (k === undefined) throw new KerberosError('PSR_KRB_ETYPE_NOSUPP', `the keytab has no ${etype} key for ${unparsePrincipal(this.#client)}, the enctype the KDC chose`);
    return k;
  }

  receive(reply: Uint8Array): KdcStep {
    const r = parseReply(reply, 11);
    if ('error' in r) {
      const e = r.error;
      if (e.errorCode === C.KDC_ERR_PREAUTH_REQUIRED && !this.#preauthSent) return this.#preauth(e);
      // A client referral (RFC 6806): the account lives in another realm.
      if (e.errorCode === C.KDC_ERR_WRONG_REALM && e.crealm !== undefined && e.crealm !== this.#client.realm && !this.#preauthSent) {
        this.#client = { realm: e.crealm, components: this.#client.components };
        return { kind: 'send', realm: e.crealm, request: this.#request([]) };
      }
      throw kdcError(e, this.#ctx());
    }
    const rep = r.rep;
    const info = etypeInfo(rep.padata).find((i) => i.etype === rep.encPart.etype);
    const key = this.#paKey?.enctype === rep.encPart.etype && info === undefined ? this.#paKey : this.#key(rep.encPart.etype, info);
    let plain: Uint8Array;
    try {
      plain = decrypt(key, C.KU_AS_REP_ENC_PART, rep.encPart.cipher, 'AS-REP enc-part');
    } catch (err) {
      if (err instanceof AuthIntegrityError) {
        throw new KerberosError('PSR_KRB_PREAUTH_FAILED', `the password or key for ${unparsePrincipal(this.#client)} is wrong: the KDC's reply does not decrypt with it`);
      }
      throw err;
    }
    const part = decodeEncKdcRepPart(plain);
    const cred = credentialOf(rep, part, this.#nonce, 'AS-REP');
    decodeTicket(cred.ticket);
    return { kind: 'done', credential: this.#preauthSent ? { ...cred, paType: C.PA_ENC_TIMESTAMP } : cred };
  }

  #preauth(e: KrbError): KdcStep {
    const methods = e.eData ? decodeMethodData(e.eData) : [];
    const infos = etypeInfo(methods);
    if (!methods.some((m) => m.type === C.PA_ENC_TIMESTAMP)) {
      throw new KerberosError('PSR_KRB_KDC_ERROR', `the KDC of ${this.#client.realm} requires pre-authentication for ${unparsePrincipal(this.#client)} but does not offer encrypted timestamp (offered: ${methods.map((m) => m.type).join(', ') || 'nothing'})`);
    }
    // The KDC lists the client's enctypes strongest first; take the first we can make a key for.
    const etypes = this.#etypes;
    const chosen = infos.find((i) => etypes.includes(i.etype as EncType)) ?? (infos.length === 0 ? { etype: etypes[0]! } : undefined);
    if (chosen === undefined) {
      throw new KerberosError('PSR_KRB_ETYPE_NOSUPP', `the KDC of ${this.#client.realm} has keys for ${unparsePrincipal(this.#client)} only in enctypes ${infos.map((i) => i.etype).join(', ')}; psremote supports 18, 17, 23`);
    }
    this.#paKey = this.#key(chosen.etype, chosen);
    this.#preauthSent = true;
    const req = this.#request([{ type: C.PA_ENC_TIMESTAMP, value: buildPaEncTimestamp(this.#paKey, this.#o.now()) }]);
    return { kind: 'send', realm: this.#client.realm, request: req };
  }
}

function etypeInfo(padata: readonly PaData[]): EtypeInfo2Entry[] {
  const p = padata.find((x) => x.type === C.PA_ETYPE_INFO2);
  return p ? decodeEtypeInfo2(p.value) : [];
}

export interface TgsExchangeOptions {
  /** The TGT (or a referral TGT) to ask with. */
  readonly tgt: KdcCredential;
  readonly server: Principal;
  readonly now: () => Date;
  readonly nonce: () => number;
  /** Ask for a FORWARDED TGT (for delegation in KRB-CRED): server must be krbtgt. */
  readonly forwarded?: boolean;
  readonly etypes?: readonly EncType[];
}

export class TgsExchange {
  readonly #o: TgsExchangeOptions;
  #tgt: KdcCredential;
  #nonce = 0;
  #hops = 0;
  #requestTime = new Date(0);

  constructor(o: TgsExchangeOptions) {
    this.#o = o;
    this.#tgt = o.tgt;
  }

  /** The realm whose KDC issues tickets for this TGT: krbtgt/REALM@ISSUER is used at REALM. */
  get #tgsRealm(): string {
    return this.#tgt.server.components[1] ?? this.#tgt.server.realm;
  }

  /**
   * What to ask this KDC for: the service when it is in this KDC's realm (or
   * its realm is unknown and the KDC may refer us), else first the cross-realm
   * TGT krbtgt/SERVICE-REALM@THIS-REALM, as MIT does with [domain_realm].
   */
  get #target(): Principal {
    const wanted = this.#o.server;
    return wanted.realm === this.#tgsRealm ? wanted : tgsPrincipal(wanted.realm, this.#tgsRealm);
  }

  #request(): KdcStep {
    this.#requestTime = this.#o.now();
    this.#nonce = this.#o.nonce() >>> 0 & 0x7fffffff;
    const now = this.#requestTime;
    const fwd = this.#o.forwarded === true;
    const body: KdcReqBody = {
      kdcOptions: C.KDC_OPT_FORWARDABLE | C.KDC_OPT_CANONICALIZE | (fwd ? C.KDC_OPT_FORWARDED : 0),
      realm: this.#tgsRealm,
      sname: toPrincipalName(this.#target),
      till: this.#tgt.endTime.getTime() > now.getTime() ? this.#tgt.endTime : new Date(now.getTime() + DEFAULT_LIFETIME * 1000),
      nonce: this.#nonce,
      etypes: this.#o.etypes ?? SUPPORTED_ENCTYPES,
    };
    const bodyDer = encodeKdcReqBody(body);
    const key = this.#tgt.sessionKey;
    const ms = now.getTime();
    const apReq = buildApReq({
      ticket: this.#tgt.ticket,
      sessionKey: key,
      usage: C.KU_TGS_REQ_AUTHENTICATOR,
      authenticator: {
        crealm: this.#tgt.client.realm,
        cname: toPrincipalName(this.#tgt.client),
        cksum: makeChecksum(key, C.KU_TGS_REQ_AUTH_CKSUM, bodyDer),
        cusec: (ms % 1000) * 1000,
        ctime: new Date(ms - (ms % 1000)),
      },
    });
    const request = encodeKdcReq({ msgType: C.MSG_TGS_REQ, padata: [{ type: C.PA_TGS_REQ, value: apReq }], body }, bodyDer);
    return { kind: 'send', realm: this.#tgsRealm, request };
  }

  start(): KdcStep {
    if (this.#o.forwarded && (this.#tgt.flags & C.TKT_FLG_FORWARDABLE) === 0) {
      throw new KerberosError('PSR_KRB_POLICY', `the ticket-granting ticket of ${unparsePrincipal(this.#tgt.client)} is not forwardable, so it cannot be delegated (kinit -f, or psremote kinit, asks for forwardable tickets)`);
    }
    return this.#request();
  }

  receive(reply: Uint8Array): KdcStep {
    const r = parseReply(reply, 13);
    if ('error' in r) {
      throw kdcError(r.error, { client: unparsePrincipal(this.#tgt.client), server: unparsePrincipal(this.#target), exchange: 'TGS', now: this.#requestTime });
    }
    let plain: Uint8Array;
    try {
      plain = decrypt(this.#tgt.sessionKey, C.KU_TGS_REP_ENC_PART_SESSION, r.rep.encPart.cipher, 'TGS-REP enc-part');
    } catch (err) {
      if (err instanceof AuthIntegrityError) throw new AuthProtocolError('TGS-REP enc-part does not decrypt with the TGT session key (a forged or corrupted reply)', 'TGS-REP');
      throw err;
    }
    const cred = credentialOf(r.rep, decodeEncKdcRepPart(plain), this.#nonce, 'TGS-REP');
    const wanted = this.#o.server;
    const isReferral = cred.server.components[0] === 'krbtgt' && cred.server.components.length === 2 && !(wanted.components[0] === 'krbtgt' && samePrincipal({ ...cred.server }, { ...wanted, realm: cred.server.realm }));
    if (isReferral && cred.server.components[1] !== this.#tgsRealm) {
      if (++this.#hops > MAX_REFERRALS) throw new KerberosError('PSR_KRB_KDC_ERROR', `more than ${MAX_REFERRALS} cross-realm hops for ${unparsePrincipal(wanted)}`);
      this.#tgt = cred;
      return this.#request();
    }
    return { kind: 'done', credential: cred };
  }
}
