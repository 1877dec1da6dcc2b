// A deliberately small cookie jar: WinRM front ends (Exchange Online, load
// balancers) set affinity cookies that must come back on every connection.
// One jar per transport, so one endpoint; attributes other than expiry are
// ignored because every request goes to the same origin and path.

const MAX_COOKIES = 50;
const MAX_COOKIE_BYTES = 4096;

interface Entry {
  value: string;
  expires: number | undefined;
}

export class CookieJar {
  readonly #cookies = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Takes the `Set-Cookie` header values of one response. */
  store(setCookie: string | readonly string[] | undefined): void {
    if (setCookie === undefined) return;
    for (const line of typeof setCookie === 'string' ? [setCookie] : setCookie) {
      if (line.length > MAX_COOKIE_BYTES) continue;
      const [pair, ...attrs] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let expires: number | undefined;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=', 2).map((s) => s.trim());
        if (k?.toLowerCase() === 'max-age' && /^-?\d+$/.test(v)) expires = this.#now() + Number(v) * 1000;
        else if (k?.toLowerCase() === 'expires' && expires === undefined) {
          const t = Date.parse(v);
          if (!Number.isNaN(t)) expires = t;
        }
      }
      if (expires !== undefined && expires <= this.#now()) {
        this.#cookies.delete(name);
        continue;
      }
      if (!this.#cookies.has(name) && this.#cookies.size >= MAX_COOKIES) continue;
      this.#cookies.set(name, { value, expires });
    }
  }

  /** The `Cookie` header value, or undefined when the jar is empty. */
  header(): string | undefined {
    const now = this.#now();
    const parts: string[] = [];
    for (const [name, e] of this.#cookies) {
      if (e.expires !== undefined && e.expires <= now) {
        this.#cookies.delete(name);
        continue;
      }
      parts.push(`${name}=${e.value}`);
    }
    return parts.length ? parts.join('; ') : undefined;
  }

  get size(): number {
    return this.#cookies.size;
  }
}
