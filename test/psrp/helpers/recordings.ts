// Pulls the base64 PSRP payloads out of the pypsrp recordings
// (fixtures/upstream/jborean93-pypsrp/tests/tests_pypsrp/responses/*.yml).
// Elements are matched by namespace URI (util/xml), never by prefix.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseXml, type XmlElement, attribute, textContent } from '../../../src/util/xml.js';

export const RECORDINGS_DIR = join(
  import.meta.dirname,
  '../../../fixtures/upstream/jborean93-pypsrp/tests/tests_pypsrp/responses',
);

const RSP = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';
const PS = 'http://schemas.microsoft.com/powershell';
const WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd';

export interface RecordedPayload {
  /** Index of the request/response pair in the recording. */
  readonly exchange: number;
  readonly direction: 'client->server' | 'server->client';
  /** creationXml, Arguments, Send, connectXml, connectResponseXml, ReceiveResponse */
  readonly element: string;
  /** rsp:Stream Name (stdin, pr, stdout) where there is one. */
  readonly stream: string | undefined;
  /** ShellId the exchange belongs to (upper case as recorded). */
  readonly shellId: string | undefined;
  readonly bytes: Uint8Array;
}

export function recordingFiles(): string[] {
  return readdirSync(RECORDINGS_DIR)
    .filter((f) => f.endsWith('.yml') && !f.startsWith('_'))
    .sort();
}

function* walk(el: XmlElement): Generator<XmlElement> {
  yield el;
  for (const c of el.children) if (c.type === 'element') yield* walk(c);
}

function b64(el: XmlElement): Uint8Array {
  return new Uint8Array(Buffer.from(textContent(el).trim(), 'base64'));
}

function shellIdOf(env: XmlElement): string | undefined {
  for (const el of walk(env)) {
    if (el.ns === WSMAN && el.local === 'Selector' && attribute(el, 'Name') === 'ShellId') return textContent(el).trim();
    if (el.ns === RSP && el.local === 'Shell') {
      const id = attribute(el, 'ShellId');
      if (id !== undefined) return id;
    }
  }
  return undefined;
}

function isPowerShellResource(env: XmlElement): boolean {
  for (const el of walk(env)) {
    if (el.ns === WSMAN && el.local === 'ResourceURI') {
      return textContent(el).trim().startsWith('http://schemas.microsoft.com/powershell/');
    }
  }
  return false;
}

export function recordedPayloads(file: string): RecordedPayload[] {
  const doc = parseYaml(readFileSync(join(RECORDINGS_DIR, file), 'utf8')) as {
    messages: { request: string; response: string }[];
  };
  const out: RecordedPayload[] = [];
  doc.messages.forEach((m, exchange) => {
    if (typeof m.request !== 'string' || !m.request.startsWith('<')) return;
    const req = parseXml(m.request, { where: `${file}#${exchange} request` });
    // WinRS (cmd) exchanges in the same recordings carry plain stdin/stdout, not PSRP.
    if (!isPowerShellResource(req)) return;
    let shellId = shellIdOf(req);
    for (const el of walk(req)) {
      if (el.ns === PS && el.local === 'creationXml') {
        out.push({ exchange, direction: 'client->server', element: 'creationXml', stream: undefined, shellId, bytes: b64(el) });
      } else if (el.ns === PS && el.local === 'connectXml') {
        out.push({ exchange, direction: 'client->server', element: 'connectXml', stream: undefined, shellId, bytes: b64(el) });
      } else if (el.ns === RSP && el.local === 'Arguments') {
        out.push({ exchange, direction: 'client->server', element: 'Arguments', stream: undefined, shellId, bytes: b64(el) });
      } else if (el.ns === RSP && el.local === 'Send') {
        for (const s of el.children) {
          if (s.type === 'element' && s.ns === RSP && s.local === 'Stream') {
            out.push({ exchange, direction: 'client->server', element: 'Send', stream: attribute(s, 'Name'), shellId, bytes: b64(s) });
          }
        }
      }
    }
    if (typeof m.response !== 'string' || !m.response.startsWith('<')) return;
    const rsp = parseXml(m.response, { where: `${file}#${exchange} response` });
    shellId ??= shellIdOf(rsp);
    for (const el of walk(rsp)) {
      if (el.ns === PS && el.local === 'connectResponseXml') {
        out.push({ exchange, direction: 'server->client', element: 'connectResponseXml', stream: undefined, shellId, bytes: b64(el) });
      } else if (el.ns === RSP && el.local === 'ReceiveResponse') {
        for (const s of el.children) {
          if (s.type === 'element' && s.ns === RSP && s.local === 'Stream') {
            const bytes = b64(s);
            if (bytes.byteLength === 0) continue;
            out.push({ exchange, direction: 'server->client', element: 'ReceiveResponse', stream: attribute(s, 'Name'), shellId, bytes });
          }
        }
      }
    }
  });
  return out;
}
