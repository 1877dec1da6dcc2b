// Reading the server's tokens out of WWW-Authenticate, shared by the NTLM and
// Kerberos schemes (Windows sends one header per scheme; proxies may join them).

/** The token of `scheme` in WWW-Authenticate headers (one header, several, or comma-joined), decoded from base64. */
export function tokenFrom(header: string | string[] | undefined, scheme: string): Uint8Array | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const v of values) {
    for (const part of v.split(',')) {
      const m = /^\s*(\S+)\s+([A-Za-z0-9+/=]+)\s*$/.exec(part);
      if (m && m[1]!.toLowerCase() === scheme.toLowerCase()) return new Uint8Array(Buffer.from(m[2]!, 'base64'));
    }
  }
  return undefined;
}
