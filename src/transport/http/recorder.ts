// Recording from the client side (`record: FILE`, `--record FILE`): every
// exchange as the WSMan layer sees it, that is after TLS and after NTLM/Kerberos
// message encryption were removed, so a recording holds the plain SOAP and
// never a sealed body, a key, a header or a token. One JSON line per exchange,
// in the format `serve --record` writes (fixtures/README.md), appended as it
// happens so that a killed process still leaves everything up to that point.

import { appendFileSync, writeFileSync } from 'node:fs';
import { scrubNames, scrubXmlSecrets, SCRUBBED, type NameScrub } from '../../wsman/scrub.js';
import { POWERSHELL_RESOURCE_PREFIX } from '../../wsman/namespaces.js';

export interface RecordOptions {
  readonly path: string;
  /** Also replace host names, addresses and user names (the endpoint's host and `names`). */
  readonly scrubHosts?: boolean;
  /** More names to scrub with scrubHosts (the user name of the credentials, other host names). */
  readonly names?: NameScrub;
}

// Files this process started: a second transport (another host of a fan-out, a
// reconnect) appends to the same recording instead of starting it again.
const started = new Set<string>();

export class ClientRecorder {
  readonly path: string;
  readonly #names: NameScrub | undefined;

  constructor(options: string | RecordOptions, endpoint: { hostname: string; display: string }) {
    const o = typeof options === 'string' ? { path: options } : options;
    this.path = o.path;
    this.#names = o.scrubHosts ? { hosts: [endpoint.hostname, ...(o.names?.hosts ?? [])], users: o.names?.users ?? [] } : undefined;
    const source = o.scrubHosts ? endpoint.display.replace(endpoint.hostname, /^[\d.]+$/.test(endpoint.hostname) && !endpoint.hostname.startsWith('127.') ? SCRUBBED.address : endpoint.hostname.startsWith('127.') ? endpoint.hostname : SCRUBBED.host) : endpoint.display;
    if (started.has(this.path)) return;
    started.add(this.path);
    writeFileSync(this.path, `${JSON.stringify({ format: 'psremote-recording', version: 1, source: `client recording of ${source}` })}\n`, { mode: 0o600 });
  }

  #clean(text: string, psrp: boolean): string {
    const t = scrubXmlSecrets(text);
    return this.#names ? scrubNames(t, this.#names, psrp) : t;
  }

  /** One exchange; `response` undefined when the connection broke instead. */
  append(operation: string, request: string, response: { status: number; body: string } | undefined): void {
    const psrp = request.includes(POWERSHELL_RESOURCE_PREFIX);
    const line = {
      operation,
      request: this.#clean(request, psrp),
      response: response ? { status: response.status, body: this.#clean(response.body, psrp) } : { status: 0, body: '' },
      ...(response ? {} : { connectionError: true }),
    };
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}
