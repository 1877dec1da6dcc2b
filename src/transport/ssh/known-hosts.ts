// Host-key checks for PowerShell over SSH, as OpenSSH's client does them: the
// server's key must be listed for the host in a known_hosts file (plain or
// hashed `|1|salt|hmac` host names, `[host]:port` for ports other than 22), or
// match a pinned SHA-256 fingerprint. Unknown keys are refused: no trust on
// first use.

import { createHash, createHmac } from 'node:crypto';

/** OpenSSH's fingerprint form: `SHA256:` + unpadded base64 of the key blob's SHA-256. */
export function sshFingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

function hostPatterns(host: string, port: number): string[] {
  return port === 22 ? [host] : [`[${host}]:${port}`];
}

function hostMatches(field: string, names: readonly string[]): boolean {
  let matched = false;
  for (const entry of field.split(',')) {
    if (entry.startsWith('|1|')) {
      const [salt, hash] = entry.slice(3).split('|');
      if (!salt || !hash) continue;
      const key = Buffer.from(salt, 'base64');
      if (names.some((n) => createHmac('sha1', key).update(n).digest('base64') === hash)) matched = true;
      continue;
    }
    // A negated pattern excludes the host whatever else matches.
    const negated = entry.startsWith('!');
    const pattern = negated ? entry.slice(1) : entry;
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (names.some((n) => re.test(n))) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type KnownHostsVerdict = 'match' | 'mismatch' | 'unknown' | 'revoked';

/** Looks the key up in known_hosts text for host:port. */
export function checkKnownHosts(text: string, host: string, port: number, keyBlob: Uint8Array): KnownHostsVerdict {
  const names = hostPatterns(host, port);
  const wanted = Buffer.from(keyBlob).toString('base64');
  let listed = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]!.startsWith('@')) marker = fields.shift();
    const [hosts, , key] = fields;
    if (!hosts || !key || !hostMatches(hosts, names)) continue;
    if (marker === '@revoked') {
      if (key === wanted) return 'revoked';
      continue;
    }
    if (marker !== undefined) continue; // @cert-authority: certificates are not supported
    if (key === wanted) return 'match';
    listed = true;
  }
  return listed ? 'mismatch' : 'unknown';
}
