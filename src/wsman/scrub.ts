// What a recording must never keep, removed from SOAP text before it is
// written: password fields always, and on request the names that identify a
// site (host names, addresses, user names). Pure text in, text out, so the
// server's recordings and the client's share one definition. Names are also
// scrubbed inside PSRP data (base64 fragments of CLIXML, which carries computer
// and user names in PSSenderInfo, error records and paths).

import { decodeFragments, encodeFragment } from '../psrp/fragment.js';

// Password-like CLIXML/WSMan fields never leave the process in clear.
export function scrubXmlSecrets(xml: string): string {
  return xml.replace(/(<(\w+:)?(Password|password)\b[^>]*>)[^<]*(<\/)/g, '$1***$4');
}

/** Placeholders, by kind: they are valid where the originals were (a host name, an address, an account). */
export const SCRUBBED = { host: 'scrubbed.invalid', address: '192.0.2.1', user: 'scrubbed-user' } as const;

const IPV4 = /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g;
const escapeRe = (s: string) => s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, '\\$&');

export interface NameScrub {
  readonly hosts?: readonly string[];
  readonly users?: readonly string[];
}

/**
 * Replaces the given host and user names (case-insensitive, also as the name part
 * of DOMAIN\user or user@domain) and every IPv4 address. Loopback addresses are
 * kept: they identify no site and replay URLs use them. `psrp`: the body is to or
 * from a PowerShell shell, so its streams are PSRP fragments.
 */
export function scrubNames(text: string, names: NameScrub, psrp: boolean): string {
  const sorted = (xs: string[]) => [...new Set(xs)].sort((a, b) => b.length - a.length);
  const users = sorted((names.users ?? []).flatMap((u) => [u, u.split('\\').pop()!, u.split('@')[0]!]).filter((u) => u.length >= 2));
  const hosts = sorted((names.hosts ?? []).filter((h) => h && !/^[\d.]+$/.test(h) && !h.includes(':')));
  const plain = (t: string, asBytes: boolean) => {
    // In PSRP blobs the text is UTF-8 seen byte by byte (latin1), so names are matched as their UTF-8 bytes.
    const enc = (n: string) => (asBytes ? Buffer.from(n, 'utf8').toString('latin1') : n);
    let out = t;
    for (const h of hosts) out = out.replace(new RegExp(`(?<![\\w-])${escapeRe(enc(h))}(?![\\w-])`, 'gi'), SCRUBBED.host);
    for (const u of users) out = out.replace(new RegExp(`(?<![\\w-])${escapeRe(enc(u))}(?![\\w-])`, 'gi'), SCRUBBED.user);
    return out.replace(IPV4, (ip) => (ip.startsWith('127.') ? ip : SCRUBBED.address));
  };
  return plain(text, false).replace(PSRP_DATA, (all, open: string, b64: string, close: string) => {
    // WinRS streams are bytes in the console code page: scrubbed as bytes, no framing to keep.
    if (!psrp) return `${open}${Buffer.from(plain(Buffer.from(b64.trim(), 'base64').toString('latin1'), true), 'latin1').toString('base64')}${close}`;
    let frags;
    try {
      frags = decodeFragments(new Uint8Array(Buffer.from(b64.trim(), 'base64')));
    } catch {
      return all; // not PSRP after all: left as it is
    }
    if (frags.length === 0) return all;
    const parts = frags.map((f) => encodeFragment({ ...f, blob: new Uint8Array(Buffer.from(plain(Buffer.from(f.blob).toString('latin1'), true), 'latin1')) }));
    return `${open}${Buffer.concat(parts).toString('base64')}${close}`;
  });
}

const PSRP_DATA = /(<(?:[\w-]+:)?(?:creationXml|connectXml|connectResponseXml|Arguments|Stream)\b[^>]*>)([^<]*)(<\/)/g;
