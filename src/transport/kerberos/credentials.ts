// Kerberos credentials for the GSS-API initiator: a service ticket for an
// SPN, a forwarded TGT for delegation, and `kinit` (a TGT written to a FILE
// ccache). Sources, in order: a password; a keytab given as an option; the
// ccache (option, KRB5CCNAME, /tmp/krb5cc_<uid>) holding a TGT of the
// principal; the client keytab of KRB5_CLIENT_KTNAME. A valid service ticket
// already in the ccache (from MIT's kvno or curl) is used as it is; psremote
// never writes service tickets into the user's ccache (only kinit writes one).

import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseCcache, serializeCcache, type Ccache, type CcacheCredential } from '../../auth/kerberos/ccache.js';
import type { KerberosKey } from '../../auth/kerberos/crypto/index.js';
import { KerberosError } from '../../auth/kerberos/errors.js';
import { AsExchange, TgsExchange, type ClientSecret, type KdcCredential, type KdcStep } from '../../auth/kerberos/kdc-exchange.js';
import { parseKeytab, keytabKeysFor } from '../../auth/kerberos/keytab.js';
import { defaultRealm, realmOfHost, configuredRealms, type Krb5Conf } from '../../auth/kerberos/krb5-conf.js';
import { NT_PRINCIPAL } from '../../auth/kerberos/messages/constants.js';
import { parsePrincipal, samePrincipal, tgsPrincipal, toPrincipalName, unparsePrincipal, type Principal } from '../../auth/kerberos/principal.js';
import { UsageError } from '../../errors.js';
import { ccachePath, keytabPath, loadKrb5Conf } from './config.js';
import { kdcSender, type KdcSend, type SrvResolver } from './kdc-client.js';

export interface KerberosCredentialOptions {
  /** user@REALM */
  principal: string;
  password?: string;
  /** path; default KRB5_CLIENT_KTNAME */
  keytab?: string;
  /** path; default KRB5CCNAME */
  ccache?: string;
  /** host:port */
  kdc?: string;
  krb5Config?: string;
  signal?: AbortSignal;
  now?: () => Date;
  /** For tests: DNS SRV lookups. */
  resolveSrv?: SrvResolver;
  /** For tests: the environment instead of process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per-KDC timeout in ms. */
  timeoutMs?: number;
}

export interface ServiceTicket {
  /** DER Ticket */
  ticket: Uint8Array;
  sessionKey: KerberosKey;
  client: { realm: string; components: string[] };
  server: { realm: string; components: string[] };
  flags: number;
  authTime: Date;
  endTime: Date;
  renewTill?: Date;
}

interface Context {
  readonly conf: Krb5Conf;
  readonly client: Principal;
  readonly now: () => Date;
  readonly send: KdcSend;
  readonly env: NodeJS.ProcessEnv;
  readonly o: KerberosCredentialOptions;
}

function context(o: KerberosCredentialOptions): Context {
  const env = o.env ?? process.env;
  const conf = loadKrb5Conf(o.krb5Config, env);
  const client = parsePrincipal(o.principal, defaultRealm(conf));
  return {
    conf,
    client,
    now: o.now ?? (() => new Date()),
    env,
    o,
    send: kdcSender({ conf, ...(o.kdc !== undefined && { kdc: o.kdc }), ...(o.resolveSrv && { resolveSrv: o.resolveSrv }), ...(o.signal && { signal: o.signal }), ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }) }),
  };
}

async function drive(ex: { start(): KdcStep; receive(r: Uint8Array): KdcStep }, send: KdcSend): Promise<KdcCredential> {
  let step = ex.start();
  for (let i = 0; i < 12; i++) {
    if (step.kind === 'done') return step.credential;
    step = ex.receive(await send(step.realm, step.request));
  }
  throw new KerberosError('PSR_KRB_KDC_ERROR', 'the KDC exchange did not finish in 12 round trips');
}

const nonce = (): number => randomInt(1, 0x7fffffff);

function keytabSecret(path: string, client: Principal): ClientSecret | undefined {
  if (!existsSync(path)) return undefined;
  const kt = parseKeytab(new Uint8Array(readFileSync(path)), `keytab ${path}`);
  const keys = keytabKeysFor(kt, client);
  if (keys.length === 0) return undefined;
  const top = keys[0]!.kvno;
  return { keys: keys.filter((k) => k.kvno === top).map((k) => k.key) };
}

function asTgt(ctx: Context, secret: ClientSecret): Promise<KdcCredential> {
  return drive(new AsExchange({ client: ctx.client, secret, now: ctx.now, nonce, forwardable: true }), ctx.send);
}

function readCcache(path: string): Ccache | undefined {
  if (!existsSync(path)) return undefined;
  return parseCcache(new Uint8Array(readFileSync(path)), `ccache ${path}`);
}

const fromCcache = (c: CcacheCredential): KdcCredential => ({
  client: { realm: c.client.realm, components: c.client.components },
  server: { realm: c.server.realm, components: c.server.components },
  ticket: c.ticket,
  sessionKey: c.key,
  flags: c.flags,
  authTime: c.authTime,
  endTime: c.endTime,
  ...(c.startTime && { startTime: c.startTime }),
  ...(c.renewTill && { renewTill: c.renewTill }),
});

/** The TGT to ask with: from a password, an explicit keytab, the ccache, or the client keytab, in that order. */
async function tgt(ctx: Context): Promise<KdcCredential> {
  const o = ctx.o;
  if (o.password !== undefined) return asTgt(ctx, { password: o.password });
  if (o.keytab !== undefined) {
    const secret = keytabSecret(keytabPath(o.keytab, ctx.env)!, ctx.client);
    if (!secret) throw new KerberosError('PSR_KRB_NO_CREDENTIALS', `the keytab ${o.keytab} has no key for ${unparsePrincipal(ctx.client)}${existsSync(keytabPath(o.keytab, ctx.env)!) ? '' : ' (the file does not exist)'}`);
    return asTgt(ctx, secret);
  }
  const ccPath = ccachePath(o.ccache, ctx.env);
  const cache = readCcache(ccPath);
  let expired: CcacheCredential | undefined;
  if (cache && samePrincipal(cache.defaultPrincipal, ctx.client)) {
    const krbtgt = tgsPrincipal(ctx.client.realm);
    const found = cache.credentials.find((c) => samePrincipal(c.server, krbtgt) && samePrincipal(c.client, ctx.client));
    if (found && found.endTime.getTime() > ctx.now().getTime()) return fromCcache(found);
    expired = found;
  }
  const ktPath = keytabPath(undefined, ctx.env);
  const secret = ktPath ? keytabSecret(ktPath, ctx.client) : undefined;
  if (secret) return asTgt(ctx, secret);
  if (expired) {
    throw new KerberosError('PSR_KRB_TICKET_EXPIRED', `the ticket-granting ticket of ${unparsePrincipal(ctx.client)} in ${ccPath} expired at ${expired.endTime.toISOString()}: log in again (psremote kinit ${unparsePrincipal(ctx.client)})`);
  }
  const other = cache && !samePrincipal(cache.defaultPrincipal, ctx.client) ? ` (the ccache ${ccPath} holds ${unparsePrincipal(cache.defaultPrincipal)})` : cache ? '' : ` (no ccache at ${ccPath})`;
  throw new KerberosError('PSR_KRB_NO_CREDENTIALS', `no Kerberos credentials for ${unparsePrincipal(ctx.client)}: give a password or a keytab, or log in with psremote kinit${other}`);
}

/** A still-valid ticket for `server` that MIT's tools (kvno, curl, ssh) left in the ccache. */
function cachedTicket(ctx: Context, server: Principal): KdcCredential | undefined {
  const cache = readCcache(ccachePath(ctx.o.ccache, ctx.env));
  if (!cache || !samePrincipal(cache.defaultPrincipal, ctx.client)) return undefined;
  // A minute's margin so the ticket does not expire between here and the server.
  const now = ctx.now().getTime() + 60_000;
  const hit = cache.credentials.find((c) => samePrincipal(c.server, server) && samePrincipal(c.client, ctx.client) && c.endTime.getTime() > now && !c.isSkey);
  return hit && fromCcache(hit);
}

const publicTicket = (c: KdcCredential): ServiceTicket => ({
  ticket: c.ticket,
  sessionKey: c.sessionKey,
  client: { realm: c.client.realm, components: [...c.client.components] },
  server: { realm: c.server.realm, components: [...c.server.components] },
  flags: c.flags,
  authTime: c.authTime,
  endTime: c.endTime,
  ...(c.renewTill && { renewTill: c.renewTill }),
});

/** The service principal of an SPN such as HTTP/host.example: its realm from [domain_realm], else the client's (the KDC refers us on). */
export function servicePrincipal(spn: string, conf: Krb5Conf, clientRealm: string): Principal {
  const parsed = parsePrincipal(spn, '');
  if (parsed.components.length < 2) throw new UsageError(`SPN ${JSON.stringify(spn)} must be service/host, e.g. HTTP/server.example.com`);
  const host = parsed.components[1]!;
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) {
    throw new UsageError(`SPN ${JSON.stringify(spn)} names an IP address: Kerberos needs the server's host name (its SPN is HTTP/<name>); connect by name or give --spn`);
  }
  const realm = parsed.realm !== '' ? parsed.realm : (realmOfHost(conf, host) ?? clientRealm);
  return { realm, components: parsed.components };
}

export async function acquireServiceTicket(spn: string, opts: KerberosCredentialOptions): Promise<ServiceTicket> {
  const ctx = context(opts);
  checkRealmCase(ctx);
  const server = servicePrincipal(spn, ctx.conf, ctx.client.realm);
  const cached = opts.password === undefined && opts.keytab === undefined ? cachedTicket(ctx, server) : undefined;
  if (cached) return publicTicket(cached);
  const t = await tgt(ctx);
  const cred = await drive(new TgsExchange({ tgt: t, server, now: ctx.now, nonce }), ctx.send);
  return publicTicket(cred);
}

export async function acquireForwardedTgt(opts: KerberosCredentialOptions): Promise<ServiceTicket> {
  const ctx = context(opts);
  checkRealmCase(ctx);
  const t = await tgt(ctx);
  const cred = await drive(new TgsExchange({ tgt: t, server: tgsPrincipal(t.client.realm), now: ctx.now, nonce, forwarded: true }), ctx.send);
  return publicTicket(cred);
}

/** Logs in with a password or keytab and writes the TGT to a new FILE ccache at `out` (replacing it atomically). */
export async function kinit(opts: KerberosCredentialOptions & { out: string }): Promise<void> {
  const ctx = context(opts);
  checkRealmCase(ctx);
  let secret: ClientSecret | undefined;
  if (opts.password !== undefined) secret = { password: opts.password };
  else {
    const kt = keytabPath(opts.keytab, ctx.env);
    secret = kt ? keytabSecret(kt, ctx.client) : undefined;
    if (!secret) throw new KerberosError('PSR_KRB_NO_CREDENTIALS', `kinit needs a password or a keytab with a key for ${unparsePrincipal(ctx.client)}`);
  }
  const cred = await asTgt(ctx, secret);
  writeCcache(opts.out, cred);
}

export function writeCcache(path: string, cred: KdcCredential): void {
  const p = (x: Principal, nameType = toPrincipalName(x).nameType) => ({ nameType, realm: x.realm, components: [...x.components] });
  const client = p(cred.client, NT_PRINCIPAL);
  const cache: Ccache = {
    defaultPrincipal: client,
    kdcTimeOffset: { seconds: 0, microseconds: 0 },
    config: cred.paType === undefined ? [] : [{ key: 'pa_type', principal: unparsePrincipal(cred.server), value: new TextEncoder().encode(String(cred.paType)), client }],
    credentials: [
      {
        client,
        server: p(cred.server),
        key: cred.sessionKey,
        authTime: cred.authTime,
        ...(cred.startTime && { startTime: cred.startTime }),
        endTime: cred.endTime,
        ...(cred.renewTill && { renewTill: cred.renewTill }),
        isSkey: false,
        flags: cred.flags,
        addresses: [],
        authData: [],
        ticket: cred.ticket,
        secondTicket: new Uint8Array(0),
      },
    ],
  };
  const tmp = `${path}.psremote-${process.pid}`;
  writeFileSync(tmp, serializeCcache(cache), { mode: 0o600 });
  renameSync(tmp, path);
}

/** A realm typed in the wrong case is the commonest Kerberos mistake: say so before the KDC does it obscurely. */
function checkRealmCase(ctx: Context): void {
  const realms = configuredRealms(ctx.conf);
  if (realms.includes(ctx.client.realm) || ctx.o.kdc !== undefined) return;
  const other = realms.find((r) => r.toLowerCase() === ctx.client.realm.toLowerCase());
  if (other) {
    throw new KerberosError('PSR_KRB_CONFIG', `realm ${ctx.client.realm} is not configured, but ${other} is: realm names are case-sensitive, use ${unparsePrincipal({ ...ctx.client, realm: other })}`);
  }
}

/** What `psremote klist` shows: the ccache psremote would use. */
export function listCcache(opts: { ccache?: string; env?: NodeJS.ProcessEnv }): { path: string; cache: Ccache | undefined } {
  const path = ccachePath(opts.ccache, opts.env ?? process.env);
  return { path, cache: readCcache(path) };
}
