// MIT's FILE credential cache, format version 4 (0x0504; MIT's ccache.txt):
// a header of tagged fields (tag 1 is the KDC time offset MIT keeps so later
// requests use the KDC's clock), the default principal, then credentials to
// the end of the file. All numbers big-endian, strings with 32-bit counts.
// MIT also stores configuration as fake credentials whose server is
// krb5_ccache_conf_data/<key>[/<principal>]@X-CACHECONF: with the value in
// the ticket field (pa_type, fast_avail, refresh_time, start_realm); they are
// kept apart from the tickets here and written back first, as kinit does.

import { RemoteProtocolError, limitExceeded } from '../../errors.js';
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { isSupportedEnctype, type KerberosKey } from './crypto/index.js';

export interface CcachePrincipal {
  readonly nameType: number;
  readonly realm: string;
  readonly components: string[];
}

export interface CcacheCredential {
  readonly client: CcachePrincipal;
  readonly server: CcachePrincipal;
  readonly key: KerberosKey;
  readonly authTime: Date;
  /** MIT writes 0 (absent) or authtime. */
  readonly startTime?: Date;
  readonly endTime: Date;
  readonly renewTill?: Date;
  readonly isSkey: boolean;
  readonly flags: number;
  readonly addresses: { readonly addrType: number; readonly address: Uint8Array }[];
  readonly authData: { readonly adType: number; readonly data: Uint8Array }[];
  /** The DER Ticket. */
  readonly ticket: Uint8Array;
  readonly secondTicket: Uint8Array;
}

export interface CcacheConfigEntry {
  readonly key: string;
  /** The principal the entry is about (e.g. pa_type's krbtgt), as MIT's unparsed name. */
  readonly principal?: string;
  readonly value: Uint8Array;
  readonly client: CcachePrincipal;
}

export interface Ccache {
  readonly defaultPrincipal: CcachePrincipal;
  /** KDC time minus local time, when MIT stored one (header tag 1). */
  readonly kdcTimeOffset?: { readonly seconds: number; readonly microseconds: number };
  readonly credentials: CcacheCredential[];
  readonly config: CcacheConfigEntry[];
}

export const CCACHE_CONF_REALM = 'X-CACHECONF:';
export const CCACHE_CONF_PREFIX = 'krb5_ccache_conf_data';
const MAX_CCACHE_BYTES = 16 * 1024 * 1024;
const MAX_COMPONENTS = 16;
const MAX_LIST = 1024;
const CODE = 'PSR_KRB_FILE_INVALID' as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const fail = (where: string, message: string): never => {
  throw new RemoteProtocolError(CODE, message, { where });
};
const toDate = (s: number): Date | undefined => (s === 0 ? undefined : new Date(s * 1000));

export function parseCcache(bytes: Uint8Array, where = 'ccache'): Ccache {
  if (bytes.byteLength > MAX_CCACHE_BYTES) throw new RemoteProtocolError(CODE, limitExceeded('ccache size', MAX_CCACHE_BYTES, bytes.byteLength), { where });
  const r = new ByteReader(bytes, { code: CODE, where });
  const version = r.u16be('file format version');
  if (version === 0x0501 || version === 0x0502 || version === 0x0503) fail(where, `ccache format 0x${version.toString(16)} is not supported (MIT has written 0x504 since 1.3)`);
  if (version !== 0x0504) fail(where, `not an MIT ccache: version 0x${version.toString(16)}, expected 0x504`);
  const header = new ByteReader(r.bytesView(r.u16be('header length'), 'header'), { code: CODE, where: `${where} header` });
  let kdcTimeOffset: Ccache['kdcTimeOffset'];
  while (header.remaining > 0) {
    const tag = header.u16be('header tag');
    const field = new ByteReader(header.bytesView(header.u16be('header field length'), `header tag ${tag}`), { code: CODE, where: `${where} header tag ${tag}` });
    if (tag === 1) kdcTimeOffset = { seconds: field.i32be('time offset'), microseconds: field.i32be('usec offset') };
  }
  const string = (rr: ByteReader, what: string): string => {
    const b = rr.bytesView(rr.u32be(`${what} length`), what);
    try {
      return utf8.decode(b);
    } catch {
      return fail(where, `${what} at offset ${rr.offset - b.byteLength} is not UTF-8`);
    }
  };
  const principal = (what: string): CcachePrincipal => {
    const nameType = r.u32be(`${what} name type`);
    const count = r.u32be(`${what} component count`);
    if (count > MAX_COMPONENTS) throw new RemoteProtocolError(CODE, limitExceeded(`${what} components`, MAX_COMPONENTS, count), { where });
    const realm = string(r, `${what} realm`);
    const components: string[] = [];
    for (let i = 0; i < count; i++) components.push(string(r, `${what} component ${i}`));
    return { nameType, realm, components };
  };
  const list = <T>(what: string, item: () => T): T[] => {
    const n = r.u32be(`${what} count`);
    if (n > MAX_LIST) throw new RemoteProtocolError(CODE, limitExceeded(what, MAX_LIST, n), { where });
    return Array.from({ length: n }, item);
  };
  const defaultPrincipal = principal('default principal');
  const credentials: CcacheCredential[] = [];
  const config: CcacheConfigEntry[] = [];
  while (r.remaining > 0) {
    const what = `credential at offset ${r.offset}`;
    if (credentials.length + config.length >= 4096) throw new RemoteProtocolError(CODE, limitExceeded('ccache credentials', 4096, credentials.length + config.length + 1), { where });
    const client = principal(`${what} client`);
    const server = principal(`${what} server`);
    const keytype = r.u16be(`${what} key type`);
    const keyvalue = r.bytesView(r.u32be(`${what} key length`), `${what} key`).slice();
    const authTime = r.u32be(`${what} authtime`);
    const startTime = r.u32be(`${what} starttime`);
    const endTime = r.u32be(`${what} endtime`);
    const renewTill = r.u32be(`${what} renew-till`);
    const isSkey = r.u8(`${what} is_skey`) !== 0;
    const flags = r.u32be(`${what} ticket flags`);
    const addresses = list(`${what} addresses`, () => ({ addrType: r.u16be('address type'), address: r.bytesView(r.u32be('address length'), 'address').slice() }));
    const authData = list(`${what} authdata`, () => ({ adType: r.u16be('authdata type'), data: r.bytesView(r.u32be('authdata length'), 'authdata').slice() }));
    const ticket = r.bytesView(r.u32be(`${what} ticket length`), `${what} ticket`).slice();
    const secondTicket = r.bytesView(r.u32be(`${what} second ticket length`), `${what} second ticket`).slice();
    if (server.realm === CCACHE_CONF_REALM && server.components[0] === CCACHE_CONF_PREFIX && server.components.length >= 2) {
      config.push({ key: server.components[1]!, ...(server.components[2] !== undefined && { principal: server.components[2] }), value: ticket, client });
      continue;
    }
    // An enctype psremote cannot use leaves the ticket unusable, not the cache unreadable.
    if (!isSupportedEnctype(keytype)) continue;
    if (keyvalue.byteLength !== (keytype === 18 ? 32 : 16)) fail(where, `${what}: a key of enctype ${keytype} cannot be ${keyvalue.byteLength} bytes`);
    credentials.push({
      client,
      server,
      key: { enctype: keytype, value: keyvalue },
      authTime: new Date(authTime * 1000),
      ...(toDate(startTime) && { startTime: toDate(startTime)! }),
      endTime: new Date(endTime * 1000),
      ...(toDate(renewTill) && { renewTill: toDate(renewTill)! }),
      isSkey,
      flags,
      addresses,
      authData,
      ticket,
      secondTicket,
    });
  }
  return { defaultPrincipal, credentials, config, ...(kdcTimeOffset && { kdcTimeOffset }) };
}

export function serializeCcache(c: Ccache): Uint8Array {
  const w = new ByteWriter(1024);
  const enc = new TextEncoder();
  const counted = (b: Uint8Array): void => void w.u32be(b.byteLength).bytes(b);
  const principal = (p: CcachePrincipal): void => {
    w.u32be(p.nameType).u32be(p.components.length);
    counted(enc.encode(p.realm));
    for (const comp of p.components) counted(enc.encode(comp));
  };
  const secs = (d: Date | undefined): number => (d === undefined ? 0 : Math.floor(d.getTime() / 1000) >>> 0);
  w.u16be(0x0504);
  if (c.kdcTimeOffset) {
    w.u16be(12).u16be(1).u16be(8);
    w.bytes(i32be(c.kdcTimeOffset.seconds)).bytes(i32be(c.kdcTimeOffset.microseconds));
  } else w.u16be(0);
  principal(c.defaultPrincipal);
  // MIT's kinit stores its config entries before the tickets; so does this.
  const creds: CcacheCredential[] = [
    ...c.config.map((e) => ({
      client: e.client,
      server: { nameType: 1, realm: CCACHE_CONF_REALM, components: [CCACHE_CONF_PREFIX, e.key, ...(e.principal === undefined ? [] : [e.principal])] },
      key: { enctype: 0 as never, value: new Uint8Array(0) },
      authTime: new Date(0),
      endTime: new Date(0),
      isSkey: false,
      flags: 0,
      addresses: [],
      authData: [],
      ticket: e.value,
      secondTicket: new Uint8Array(0),
    })),
    ...c.credentials,
  ];
  for (const cred of creds) {
    principal(cred.client);
    principal(cred.server);
    w.u16be(cred.key.enctype);
    counted(cred.key.value);
    w.u32be(secs(cred.authTime)).u32be(secs(cred.startTime)).u32be(secs(cred.endTime)).u32be(secs(cred.renewTill));
    w.u8(cred.isSkey ? 1 : 0);
    w.u32be(cred.flags >>> 0);
    w.u32be(cred.addresses.length);
    for (const a of cred.addresses) (w.u16be(a.addrType), counted(a.address));
    w.u32be(cred.authData.length);
    for (const a of cred.authData) (w.u16be(a.adType), counted(a.data));
    counted(cred.ticket);
    counted(cred.secondTicket);
  }
  return w.finish();
}

function i32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
}

/** MIT's text form of a principal: components joined by '/', then '@' realm (no escaping needed for ordinary names). */
export function unparsePrincipal(p: { readonly realm: string; readonly components: readonly string[] }): string {
  const esc = (s: string): string => s.replace(/[\\/@]/g, (m) => `\\${m}`);
  return `${p.components.map(esc).join('/')}@${esc(p.realm)}`;
}
