// MIT's keytab file format, version 0x502 (what ktutil, kadmin's ktadd and
// Windows' ktpass write; MIT's keytab.txt): 16-bit counted strings, 32-bit
// big-endian record sizes where a negative size marks a hole left by a
// deleted entry, and a 32-bit kvno after the key that overrides the 8-bit
// one when present and non-zero. Version 0x501 (host byte order, realm
// counted as a component) is from the 1990s and refused by name.

import { limitExceeded, RemoteProtocolError, UsageError } from '../../errors.js';
import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { isSupportedEnctype, type KerberosKey } from './crypto/index.js';

export interface KeytabPrincipal {
  readonly realm: string;
  readonly components: string[];
  /** MIT writes 1 (NT-PRINCIPAL) for users and services alike. */
  readonly nameType?: number;
}

export interface KeytabEntry {
  readonly principal: KeytabPrincipal;
  readonly kvno: number;
  readonly key: KerberosKey;
  /** When the key was written. */
  readonly timestamp: Date;
}

export interface ParsedKeytab {
  readonly entries: KeytabEntry[];
  /** Entries whose enctype psremote does not support (des, camellia, aes-sha2): skipped, counted here. */
  readonly skipped: { readonly enctype: number; readonly principal: string }[];
}

const MAX_KEYTAB_BYTES = 16 * 1024 * 1024;
const MAX_COMPONENTS = 16;
const CODE = 'PSR_KRB_FILE_INVALID' as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const fail = (where: string, message: string): never => {
  throw new RemoteProtocolError(CODE, message, { where });
};

export function parseKeytab(bytes: Uint8Array, where = 'keytab'): ParsedKeytab {
  if (bytes.byteLength > MAX_KEYTAB_BYTES) throw new RemoteProtocolError(CODE, limitExceeded('keytab size', MAX_KEYTAB_BYTES, bytes.byteLength), { where });
  const r = new ByteReader(bytes, { code: CODE, where });
  const version = r.u16be('keytab version');
  if (version === 0x0501) fail(where, 'keytab version 0x501 (host byte order) is not supported; rewrite it with ktutil');
  if (version !== 0x0502) fail(where, `not a keytab: version 0x${version.toString(16)}, expected 0x502`);
  const entries: KeytabEntry[] = [];
  const skipped: ParsedKeytab['skipped'] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    // A file can end with a partial length when a writer was interrupted; MIT stops there too.
    if (r.remaining < 4) break;
    const size = r.i32be('entry size');
    if (size < 0) {
      r.skip(-size, `hole at offset ${at}`);
      continue;
    }
    if (size === 0) break; // MIT: a zero size ends the file (pre-allocated space)
    const e = new ByteReader(r.bytesView(size, `entry at offset ${at}`), { code: CODE, where: `${where} entry at offset ${at}` });
    const str = (field: string): string => {
      const n = e.u16be(`${field} length`);
      try {
        return utf8.decode(e.bytesView(n, field));
      } catch (err) {
        if (err instanceof RemoteProtocolError) throw err;
        return fail(`${where} entry at offset ${at}`, `${field} is not UTF-8`);
      }
    };
    const count = e.u16be('component count');
    if (count > MAX_COMPONENTS) throw new RemoteProtocolError(CODE, limitExceeded('principal components', MAX_COMPONENTS, count), { where: `${where} entry at offset ${at}` });
    const realm = str('realm');
    const components: string[] = [];
    for (let i = 0; i < count; i++) components.push(str(`component ${i}`));
    const nameType = e.u32be('name type');
    const timestamp = new Date(e.u32be('timestamp') * 1000);
    let kvno = e.u8('kvno');
    const enctype = e.u16be('key type');
    const keyLength = e.u16be('key length');
    const value = e.bytesView(keyLength, 'key').slice();
    if (e.remaining >= 4) {
      const kvno32 = e.u32be('kvno (32-bit)');
      if (kvno32 !== 0) kvno = kvno32;
    }
    const principal = { realm, components, nameType };
    if (!isSupportedEnctype(enctype)) {
      skipped.push({ enctype, principal: `${components.join('/')}@${realm}` });
      continue;
    }
    const want = enctype === 18 ? 32 : 16;
    if (value.byteLength !== want) fail(`${where} entry at offset ${at}`, `a key of enctype ${enctype} is ${want} bytes, not ${value.byteLength}`);
    entries.push({ principal, kvno, key: { enctype, value }, timestamp });
  }
  return { entries, skipped };
}

export function serializeKeytab(entries: readonly KeytabEntry[]): Uint8Array {
  const w = new ByteWriter(64 + entries.length * 96);
  w.u16be(0x0502);
  const enc = new TextEncoder();
  for (const entry of entries) {
    const e = new ByteWriter(96);
    const str = (s: string): void => {
      const b = enc.encode(s);
      if (b.byteLength > 0xffff) throw new UsageError('keytab string longer than 65535 bytes');
      e.u16be(b.byteLength).bytes(b);
    };
    e.u16be(entry.principal.components.length);
    str(entry.principal.realm);
    for (const c of entry.principal.components) str(c);
    e.u32be(entry.principal.nameType ?? 1);
    e.u32be(Math.floor(entry.timestamp.getTime() / 1000) >>> 0);
    e.u8(entry.kvno & 0xff);
    e.u16be(entry.key.enctype);
    e.u16be(entry.key.value.byteLength).bytes(entry.key.value);
    e.u32be(entry.kvno >>> 0);
    const body = e.finish();
    w.u32be(body.byteLength).bytes(body);
  }
  return w.finish();
}

/** The entries for a principal, highest kvno first (what MIT uses by default). */
export function keytabKeysFor(keytab: ParsedKeytab, principal: { realm: string; components: readonly string[] }, kvno?: number): KeytabEntry[] {
  return keytab.entries
    .filter((e) => e.principal.realm === principal.realm && e.principal.components.join('/') === principal.components.join('/') && (kvno === undefined || e.kvno === kvno))
    .sort((a, b) => b.kvno - a.kvno);
}
