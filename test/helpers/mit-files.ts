// Minimal readers of MIT's FILE ccache (format 4) and keytab (format 2) for the
// GSS-API tests, so they can take a service ticket that MIT's kinit/kvno got,
// and the service keys kadmin.local exported, without psremote's own ticket
// acquisition (src/auth/kerberos/keytab.ts and ccache.ts are the product's;
// these are test-only, written from MIT's ccache_file_format and
// keytab_file_format documents, and trust their input).

import { readFileSync } from 'node:fs';
import type { EncType, KerberosKey } from '../../src/auth/kerberos/crypto/index.js';

export interface MitPrincipal {
  readonly nameType: number;
  readonly realm: string;
  readonly components: string[];
}

export interface MitCredential {
  readonly client: MitPrincipal;
  readonly server: MitPrincipal;
  readonly key: KerberosKey;
  readonly authTime: Date;
  readonly startTime: Date;
  readonly endTime: Date;
  readonly renewTill: Date;
  readonly flags: number;
  readonly ticket: Uint8Array;
}

class R {
  at = 0;
  constructor(readonly b: Buffer) {}
  u8() {
    return this.b.readUInt8(this.at++);
  }
  u16() {
    const v = this.b.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32() {
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  i32() {
    const v = this.b.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  bytes(n: number) {
    const v = new Uint8Array(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return v;
  }
  data32() {
    return this.bytes(this.u32());
  }
  data16() {
    return this.bytes(this.u16());
  }
}

function principal(r: R): MitPrincipal {
  const nameType = r.u32();
  const n = r.u32();
  const realm = Buffer.from(r.data32()).toString('utf8');
  const components: string[] = [];
  for (let i = 0; i < n; i++) components.push(Buffer.from(r.data32()).toString('utf8'));
  return { nameType, realm, components };
}

export function readMitCcache(path: string): { principal: MitPrincipal; credentials: MitCredential[] } {
  const r = new R(readFileSync(path.replace(/^FILE:/, '')));
  if (r.u16() !== 0x0504) throw new Error(`${path} is not a format-4 ccache`);
  r.bytes(r.u16());
  const def = principal(r);
  const credentials: MitCredential[] = [];
  while (r.at < r.b.byteLength) {
    const client = principal(r);
    const server = principal(r);
    const enctype = r.u16() as EncType;
    const value = r.data32();
    const [authTime, startTime, endTime, renewTill] = [r.u32(), r.u32(), r.u32(), r.u32()].map((s) => new Date(s * 1000)) as [Date, Date, Date, Date];
    r.u8();
    const flags = r.u32();
    for (let i = r.u32(); i > 0; i--) (r.u16(), r.data32());
    for (let i = r.u32(); i > 0; i--) (r.u16(), r.data32());
    const ticket = r.data32();
    r.data32();
    if (server.realm === 'X-CACHECONF:') continue;
    credentials.push({ client, server, key: { enctype, value }, authTime, startTime, endTime, renewTill, flags, ticket });
  }
  return { principal: def, credentials };
}

export interface MitKeytabEntry {
  readonly principal: { readonly realm: string; readonly components: string[] };
  readonly kvno: number;
  readonly key: KerberosKey;
}

export function readMitKeytab(path: string): MitKeytabEntry[] {
  const r = new R(readFileSync(path.replace(/^FILE:/, '')));
  if (r.u16() !== 0x0502) throw new Error(`${path} is not a format-2 keytab`);
  const out: MitKeytabEntry[] = [];
  while (r.at < r.b.byteLength) {
    const size = r.i32();
    if (size <= 0) {
      r.at += -size;
      continue;
    }
    const end = r.at + size;
    const n = r.u16();
    const realm = Buffer.from(r.data16()).toString('utf8');
    const components: string[] = [];
    for (let i = 0; i < n; i++) components.push(Buffer.from(r.data16()).toString('utf8'));
    r.u32();
    r.u32();
    let kvno = r.u8();
    const enctype = r.u16() as EncType;
    const value = r.data16();
    if (end - r.at >= 4) kvno = r.u32();
    r.at = end;
    out.push({ principal: { realm, components }, kvno, key: { enctype, value } });
  }
  return out;
}
