// MIT's profile format (krb5.conf(5)), the parts psremote uses:
// [libdefaults] default_realm, dns_lookup_kdc, udp_preference_limit,
// clockskew; [realms] REALM = { kdc = host[:port] ... }; [domain_realm]
// (`.example.com = R` for the subdomains, `example.com = R` for the host).
// Comments start with # or ; at the start of a line; a `*` after a value or
// a section's closing marks it final, which psremote treats as ordinary
// (one file). include/includedir lines are reported so the caller can read
// those files too (the I/O lives in transport/kerberos). Parse errors name
// the file and line.

import { RemoteProtocolError } from '../../errors.js';

export interface ProfileNode {
  [key: string]: (string | ProfileNode)[];
}

export interface Krb5Conf {
  readonly sections: Readonly<Record<string, ProfileNode>>;
  /** Paths from include and includedir lines, in order. */
  readonly includes: readonly { readonly kind: 'include' | 'includedir'; readonly path: string }[];
}

const MAX_CONF_BYTES = 1024 * 1024;

export function parseKrb5Conf(text: string, where = 'krb5.conf'): Krb5Conf {
  if (text.length > MAX_CONF_BYTES) throw new RemoteProtocolError('PSR_KRB_FILE_INVALID', `${where} is larger than ${MAX_CONF_BYTES} bytes`, { where });
  const sections: Record<string, ProfileNode> = {};
  const includes: { kind: 'include' | 'includedir'; path: string }[] = [];
  let section: ProfileNode | undefined;
  const stack: ProfileNode[] = [];
  const lines = text.split(/\r?\n/);
  const fail = (n: number, message: string): never => {
    throw new RemoteProtocolError('PSR_KRB_FILE_INVALID', `${where} line ${n + 1}: ${message}`, { where: `${where}:${n + 1}` });
  };
  lines.forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const inc = /^(include|includedir)\s+(.+)$/.exec(line);
    if (inc && stack.length === 0) {
      includes.push({ kind: inc[1] as 'include' | 'includedir', path: inc[2]!.trim() });
      return;
    }
    const sec = /^\[([^\]]+)\]\s*\*?$/.exec(line);
    if (sec) {
      if (stack.length > 0) fail(n, `section [${sec[1]}] starts inside an unclosed { }`);
      section = sections[sec[1]!] ??= {};
      return;
    }
    if (section === undefined) fail(n, 'a relation before the first [section]');
    const cur = stack.length > 0 ? stack[stack.length - 1]! : section!;
    if (/^}\s*\*?$/.test(line)) {
      if (stack.length === 0) fail(n, 'a } without a matching {');
      stack.pop();
      return;
    }
    const rel = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!rel) fail(n, `expected "name = value", found ${JSON.stringify(line.slice(0, 60))}`);
    const key = rel![1]!;
    let value = rel![2]!;
    if (value === '{') {
      if (stack.length >= 8) fail(n, 'subsections nested deeper than 8');
      const child: ProfileNode = {};
      (cur[key] ??= []).push(child);
      stack.push(child);
      return;
    }
    if (value.endsWith('*') && value.length > 1 && /\s\*$/.test(value)) value = value.slice(0, -1).trimEnd();
    // MIT strips one pair of double quotes around a value.
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    (cur[key] ??= []).push(value);
  });
  if (stack.length > 0) fail(text.trimEnd().split(/\r?\n/).length - 1, 'the file ends inside { }');
  return { sections, includes };
}

/** Later files' values come after earlier ones' (MIT reads the first value of a relation, so the first file wins). */
export function mergeKrb5Conf(confs: readonly Krb5Conf[]): Krb5Conf {
  const sections: Record<string, ProfileNode> = {};
  for (const c of confs) {
    for (const [name, node] of Object.entries(c.sections)) {
      const into = (sections[name] ??= {});
      for (const [k, v] of Object.entries(node)) (into[k] ??= []).push(...v);
    }
  }
  return { sections, includes: confs.flatMap((c) => c.includes) };
}

const first = (node: ProfileNode | undefined, key: string): string | undefined => {
  const v = node?.[key]?.find((x): x is string => typeof x === 'string');
  return v;
};

const bool = (v: string | undefined): boolean | undefined => (v === undefined ? undefined : /^(y|yes|true|t|1|on)$/i.test(v));

export function defaultRealm(c: Krb5Conf): string | undefined {
  return first(c.sections.libdefaults, 'default_realm');
}

/** The realms [realms] names, for "did you mean" when a realm is given in the wrong case. */
export function configuredRealms(c: Krb5Conf): string[] {
  return Object.keys(c.sections.realms ?? {});
}

/** The KDCs of a realm as host:port strings (port 88 when absent); IPv6 in brackets as MIT writes it. */
export function realmKdcs(c: Krb5Conf, realm: string): { host: string; port: number }[] {
  const nodes = (c.sections.realms?.[realm] ?? []).filter((n): n is ProfileNode => typeof n !== 'string');
  const out: { host: string; port: number }[] = [];
  for (const n of nodes) {
    for (const v of n.kdc ?? []) {
      if (typeof v !== 'string') continue;
      out.push(parseHostPort(v.replace(/^(tcp|udp|kkdcp):\/?\/?/i, ''), 88));
    }
  }
  return out;
}

export function parseHostPort(s: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m) return { host: s, port: defaultPort };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort };
}

/** [domain_realm]: the host itself, then `.parent` domains from the most specific. */
export function realmOfHost(c: Krb5Conf, host: string): string | undefined {
  const dr = c.sections.domain_realm;
  if (!dr) return undefined;
  const h = host.toLowerCase().replace(/\.$/, '');
  const exact = first(dr, h);
  if (exact) return exact;
  const labels = h.split('.');
  for (let i = 0; i < labels.length; i++) {
    const v = first(dr, `.${labels.slice(i).join('.')}`) ?? (i > 0 ? first(dr, labels.slice(i).join('.')) : undefined);
    if (v) return v;
  }
  return undefined;
}

export interface Krb5Libdefaults {
  readonly dnsLookupKdc: boolean;
  /** Requests larger than this go over TCP first (MIT's default 1465). */
  readonly udpPreferenceLimit: number;
  readonly forwardable: boolean;
}

export function libdefaults(c: Krb5Conf): Krb5Libdefaults {
  const l = c.sections.libdefaults;
  const udp = Number(first(l, 'udp_preference_limit') ?? '1465');
  return {
    dnsLookupKdc: bool(first(l, 'dns_lookup_kdc')) ?? bool(first(l, 'dns_fallback')) ?? true,
    udpPreferenceLimit: Number.isFinite(udp) ? udp : 1465,
    forwardable: bool(first(l, 'forwardable')) ?? false,
  };
}
