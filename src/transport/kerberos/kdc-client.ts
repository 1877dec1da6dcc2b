// Talking to a KDC (RFC 4120 7.2): UDP datagrams, or TCP with a 4-byte
// big-endian length before each message. Small requests go over UDP first
// unless the configuration prefers TCP; a KRB_ERR_RESPONSE_TOO_BIG over UDP
// moves that KDC to TCP. KDCs come from an explicit host:port, the
// krb5.conf [realms] entry, or DNS SRV _kerberos._tcp/_udp.REALM (the
// resolver is injectable). Each KDC has its own timeout; the caller's
// AbortSignal ends everything. Replies are bounded before allocation.

import { createSocket } from 'node:dgram';
import { promises as dns } from 'node:dns';
import { connect } from 'node:net';
import { AbortError, TimeoutError } from '../../errors.js';
import { KerberosError } from '../../auth/kerberos/errors.js';
import { realmKdcs, libdefaults, configuredRealms, type Krb5Conf } from '../../auth/kerberos/krb5-conf.js';
import { KRB_MAX_MESSAGE } from '../../auth/kerberos/messages/der.js';
import { KRB_ERR_RESPONSE_TOO_BIG } from '../../auth/kerberos/messages/constants.js';
import { decodeKrbError, kdcReplyKind } from '../../auth/kerberos/messages/kdc.js';

export interface KdcAddress {
  readonly host: string;
  readonly port: number;
  /** Where it came from, for error messages: "krb5.conf", "DNS SRV", "option". */
  readonly source: string;
  readonly transport?: 'tcp' | 'udp';
}

export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export type SrvResolver = (name: string) => Promise<SrvRecord[]>;

export interface KdcClientOptions {
  readonly conf: Krb5Conf;
  /** host[:port] given by the user: only that KDC, for every realm. */
  readonly kdc?: string;
  readonly resolveSrv?: SrvResolver;
  /** Per-KDC timeout (default 5 s over TCP, 1 s per UDP try). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const defaultResolver: SrvResolver = async (name) => (await dns.resolveSrv(name)).map((r) => ({ name: r.name, port: r.port, priority: r.priority, weight: r.weight }));

export async function locateKdcs(realm: string, o: KdcClientOptions): Promise<KdcAddress[]> {
  if (o.kdc !== undefined) {
    const m = /^\[([^\]]+)\](?::(\d+))?$|^([^:]+)(?::(\d+))?$/.exec(o.kdc);
    if (!m) throw new KerberosError('PSR_KRB_CONFIG', `--kdc ${JSON.stringify(o.kdc)} is not host[:port]`);
    return [{ host: m[1] ?? m[3]!, port: Number(m[2] ?? m[4] ?? 88), source: 'option' }];
  }
  const fromConf = realmKdcs(o.conf, realm).map((k) => ({ ...k, source: 'krb5.conf' }));
  if (fromConf.length > 0) return fromConf;
  const caseHint = (): string => {
    const other = configuredRealms(o.conf).find((r) => r.toLowerCase() === realm.toLowerCase());
    return other ? `; krb5.conf has ${other}: realm names are case-sensitive` : '';
  };
  if (!libdefaults(o.conf).dnsLookupKdc) throw new KerberosError('PSR_KRB_CONFIG', `no KDC for realm ${realm}: krb5.conf names none and dns_lookup_kdc is off${caseHint()}`);
  const resolve = o.resolveSrv ?? defaultResolver;
  const found: KdcAddress[] = [];
  for (const [proto, transport] of [['_tcp', 'tcp'], ['_udp', 'udp']] as const) {
    try {
      const recs = await resolve(`_kerberos.${proto}.${realm}`);
      recs.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
      for (const r of recs) if (r.name !== '' && r.name !== '.') found.push({ host: r.name.replace(/\.$/, ''), port: r.port, source: 'DNS SRV', transport });
    } catch {
      // No record of this kind; the other may exist.
    }
  }
  if (found.length === 0) throw new KerberosError('PSR_KRB_CONFIG', `no KDC for realm ${realm}: krb5.conf names none and DNS has no _kerberos._tcp.${realm} SRV record${caseHint()}`);
  return found;
}

function abortable<T>(signal: AbortSignal | undefined, timeoutMs: number, what: string, run: (done: (err: Error | null, v?: T) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError());
    let settled = false;
    let cleanup: () => void = () => {};
    const finish = (err: Error | null, v?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      cleanup();
      if (err) reject(err);
      else resolve(v as T);
    };
    const onAbort = (): void => finish(new AbortError());
    const timer = setTimeout(() => finish(new TimeoutError(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = run(finish);
  });
}

export function sendTcp(kdc: KdcAddress, request: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
  const what = `KDC ${kdc.host}:${kdc.port} (tcp)`;
  return abortable<Uint8Array>(signal, timeoutMs, what, (done) => {
    const sock = connect({ host: kdc.host, port: kdc.port });
    const chunks: Buffer[] = [];
    let have = 0;
    let want = -1;
    sock.on('connect', () => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(request.byteLength);
      sock.write(Buffer.concat([len, request]));
    });
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      have += d.byteLength;
      if (want < 0 && have >= 4) {
        const all = Buffer.concat(chunks);
        const n = all.readUInt32BE(0);
        // The top bit is reserved for extensions (RFC 4120 7.2.2); nobody sends them.
        if (n & 0x80000000 || n > KRB_MAX_MESSAGE) return done(new KerberosError('PSR_KRB_KDC_ERROR', `${what}: reply length ${n >>> 0} is over the ${KRB_MAX_MESSAGE}-byte limit`));
        want = n;
        chunks.length = 0;
        chunks.push(all);
      }
      if (want >= 0 && have >= 4 + want) done(null, new Uint8Array(Buffer.concat(chunks).subarray(4, 4 + want)));
    });
    sock.on('error', (e) => done(new KerberosError('PSR_KRB_KDC_UNREACHABLE', `${what}: ${e.message}`, { cause: e })));
    sock.on('close', () => done(new KerberosError('PSR_KRB_KDC_UNREACHABLE', `${what}: the connection closed before a whole reply (${have} bytes)`)));
    return () => sock.destroy();
  });
}

export function sendUdp(kdc: KdcAddress, request: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
  const what = `KDC ${kdc.host}:${kdc.port} (udp)`;
  return abortable<Uint8Array>(signal, timeoutMs, what, (done) => {
    const sock = createSocket(kdc.host.includes(':') ? 'udp6' : 'udp4');
    sock.on('message', (m) => done(null, new Uint8Array(m)));
    sock.on('error', (e) => done(new KerberosError('PSR_KRB_KDC_UNREACHABLE', `${what}: ${e.message}`, { cause: e })));
    sock.send(request, kdc.port, kdc.host, (e) => e && done(new KerberosError('PSR_KRB_KDC_UNREACHABLE', `${what}: ${e.message}`, { cause: e })));
    return () => sock.close();
  });
}

const isTooBig = (reply: Uint8Array): boolean => {
  if (kdcReplyKind(reply) !== 'KRB-ERROR') return false;
  try {
    return decodeKrbError(reply).errorCode === KRB_ERR_RESPONSE_TOO_BIG;
  } catch {
    return false;
  }
};

export type KdcSend = (realm: string, request: Uint8Array) => Promise<Uint8Array>;

/** A function that sends one request to the realm's KDCs in turn and returns the first reply. */
export function kdcSender(o: KdcClientOptions): KdcSend {
  const limit = libdefaults(o.conf).udpPreferenceLimit;
  return async (realm, request) => {
    const kdcs = await locateKdcs(realm, o);
    const failures: string[] = [];
    for (const kdc of kdcs) {
      if (o.signal?.aborted) throw new AbortError();
      try {
        const udpFirst = kdc.transport === 'udp' || (kdc.transport === undefined && request.byteLength <= limit);
        if (udpFirst) {
          try {
            const reply = await sendUdp(kdc, request, o.timeoutMs ?? 1000, o.signal);
            if (!isTooBig(reply)) return reply;
          } catch (e) {
            if (e instanceof AbortError || kdc.transport === 'udp') throw e;
            // Fall through to TCP on the same KDC: many firewalls drop UDP 88.
          }
        }
        return await sendTcp(kdc, request, o.timeoutMs ?? 5000, o.signal);
      } catch (e) {
        if (e instanceof AbortError) throw e;
        failures.push(e instanceof Error ? e.message : String(e));
      }
    }
    throw new KerberosError('PSR_KRB_KDC_UNREACHABLE', `cannot reach a KDC for realm ${realm}: ${failures.join('; ')}`);
  };
}
