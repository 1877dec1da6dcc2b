// Recordings of WinRM conversations, in one normalised model, loaded from the
// formats the project uses: pypsrp YAML, WinRMSharp YAML, winrm4j XML and our
// own JSON Lines format (fixtures/README.md). The replay server, `psremote
// decode` and the tests all read recordings through here.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PsRemoteError } from '../errors.js';
import { attribute, childElement, childElements, parseXml, serializeXml, type XmlElement } from '../util/xml.js';
import { operationOfAction, type Operation } from '../wsman/namespaces.js';
import { envelopeOf, readEnvelope, type ParsedEnvelope, type WSManMessage } from '../wsman/reader.js';
import { scrubXmlSecrets } from '../wsman/scrub.js';

export interface RecordedResponse {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Exchange {
  readonly operation: Operation;
  readonly action: string | undefined;
  readonly resourceUri: string | undefined;
  readonly shellId: string | undefined;
  readonly commandId: string | undefined;
  readonly signalCode: string | undefined;
  readonly request: string;
  readonly response: RecordedResponse;
  /** The recording says the server took this long (pypsrp `timeout`). */
  readonly delayMs?: number;
  /** The connection broke instead of an answer (pypsrp `http_error`). */
  readonly connectionError?: boolean;
  /** The server refused authentication (pypsrp `auth_error`). */
  readonly authError?: boolean;
}

export type RecordingFormat = 'pypsrp' | 'winrmsharp' | 'winrm4j' | 'psremote';

export interface Recording {
  readonly source: string;
  readonly format: RecordingFormat;
  readonly exchanges: readonly Exchange[];
}

export class RecordingError extends PsRemoteError {
  /** `item` counts from 0 in YAML/XML recordings; JSON Lines recordings give a 1-based `line` instead. */
  constructor(message: string, source: string, item?: number, cause?: unknown, unit: 'item' | 'line' = 'item') {
    super('PSR_RECORDING_INVALID', `${source}${item === undefined ? '' : ` ${unit} ${item}`}: ${message}`, cause === undefined ? undefined : { cause });
  }
}

/** What a request envelope says about itself: operation and targets. */
export interface RequestInfo {
  readonly operation: Operation;
  readonly action: string | undefined;
  readonly resourceUri: string | undefined;
  readonly messageId: string | undefined;
  readonly shellId: string | undefined;
  readonly commandId: string | undefined;
  readonly signalCode: string | undefined;
}

/** Reads operation, ShellId (selector or client-chosen in rsp:Shell) and CommandId from a request (wsman/reader.ts). */
export function describeRequest(xml: string | XmlElement | ParsedEnvelope | WSManMessage, where = 'request'): RequestInfo {
  const m = typeof xml === 'object' && 'envelope' in xml ? xml : readEnvelope(typeof xml === 'string' ? xml : 'body' in xml ? xml : envelopeOf(xml, { operation: where, role: 'request' }), { operation: where, role: 'request' });
  // The ids outlive the request (the endpoint's log, its shell table): copied, so
  // that they do not keep the whole request text alive as slices of it.
  return {
    operation: operationOfAction(m.envelope.action),
    action: m.envelope.action,
    resourceUri: m.resourceUri,
    messageId: m.envelope.messageId,
    shellId: detach(m.shellId),
    commandId: detach(m.commandId),
    signalCode: m.signalCode,
  };
}

/** A copy of `s` that shares no memory with the string it was cut from. */
function detach(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('utf8');
}

function exchange(request: string, response: RecordedResponse, extra: Partial<Exchange>, source: string, i: number, unit: 'item' | 'line' = 'item'): Exchange {
  if (!Number.isInteger(response.status) || response.status < 0 || response.status > 999) {
    throw new RecordingError(`response status ${String(response.status)} is not an HTTP status`, source, i, undefined, unit);
  }
  let info: RequestInfo;
  try {
    info = describeRequest(request, `${source} item ${i} request`);
  } catch (e) {
    throw new RecordingError(`request is not a SOAP envelope: ${(e as Error).message}`, source, i, e, unit);
  }
  return {
    operation: info.operation,
    action: info.action,
    resourceUri: info.resourceUri,
    shellId: info.shellId,
    commandId: info.commandId,
    signalCode: info.signalCode,
    request,
    response,
    ...extra,
  };
}

function loadPypsrp(doc: unknown, source: string): Recording {
  const messages = (doc as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) throw new RecordingError('no messages list', source);
  const exchanges = messages.map((m: Record<string, unknown> | null, i) => {
    if (!isObject(m)) throw new RecordingError(`message is ${describe(m)}, not a mapping`, source, i);
    if (typeof m.request !== 'string') throw new RecordingError('request is not a string', source, i);
    const status = m.transport_error ? Number((m.transport_error as { code?: number }).code ?? 500) : m.auth_error ? 401 : 200;
    const extra: Partial<Exchange> = {};
    if (m.http_error) Object.assign(extra, { connectionError: true });
    if (m.auth_error) Object.assign(extra, { authError: true });
    if (typeof m.timeout === 'number') Object.assign(extra, { delayMs: m.timeout * 1000 });
    return exchange(m.request, { status, body: typeof m.response === 'string' ? m.response : '' }, extra, source, i);
  });
  return { source, format: 'pypsrp', exchanges };
}

const UTF16_DECL = /^\s*<\?xml[^>]*encoding="utf-16"[^>]*\?>\s*/i;

function loadWinRMSharp(doc: unknown[], source: string): Recording {
  const exchanges = doc.map((item, i) => {
    if (!isObject(item)) throw new RecordingError(`item is ${describe(item)}, not a mapping`, source, i);
    const it = item as { Request?: { Body?: string }; Response?: { StatusCode?: number; Body?: string; Headers?: Record<string, string> } };
    if (typeof it.Request?.Body !== 'string' || !it.Response) throw new RecordingError('missing Request.Body or Response', source, i);
    const body = it.Response.Body ?? '';
    return exchange(
      it.Request.Body.replace(UTF16_DECL, ''),
      { status: Number(it.Response.StatusCode ?? 200), body: body.replace(UTF16_DECL, ''), ...(it.Response.Headers ? { headers: it.Response.Headers } : {}) },
      {},
      source,
      i,
    );
  });
  return { source, format: 'winrmsharp', exchanges };
}

function loadWinrm4j(text: string, source: string): Recording {
  // winrm4j's files carry an internal DTD subset that our strict parser refuses by
  // design; it only declares the element structure, so it is cut before parsing.
  const root = parseXml(text.replace(/<!DOCTYPE[^[>]*\[[\s\S]*?\]>/, ''), { where: source });
  const exchanges = childElements(root, '', 'item').map((item, i) => {
    const req = childElement(item, '', 'request');
    const res = childElement(item, '', 'response');
    const reqEnv = req && childElements(req)[0];
    const resEnv = res && childElements(res)[0];
    if (!reqEnv || !resEnv) throw new RecordingError('item without request and response envelopes', source, i);
    return exchange(serializeXml(reqEnv), { status: Number(attribute(res!, 'status') ?? 200), body: serializeXml(resEnv) }, {}, source, i);
  });
  return { source, format: 'winrm4j', exchanges };
}

/** Our own format: JSON Lines, a header line then one exchange per line (fixtures/README.md). */
function loadPsremote(text: string, source: string): Recording {
  const exchanges: Exchange[] = [];
  let header = true;
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const i = index + 1; // errors name the 1-based line of the file
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      throw new RecordingError('line is not JSON', source, i, e, 'line');
    }
    if (!isObject(parsed)) throw new RecordingError(`line is ${describe(parsed)}, not a JSON object`, source, i, undefined, 'line');
    const obj = parsed;
    if (header) {
      header = false;
      if (obj.format !== 'psremote-recording') throw new RecordingError('first line is not a psremote-recording header', source, i, undefined, 'line');
      return;
    }
    const res = (isObject(obj.response) ? obj.response : undefined) as { status?: number; body?: string; headers?: Record<string, string> } | undefined;
    if (typeof obj.request !== 'string' || !res || typeof res.body !== 'string') throw new RecordingError('exchange needs request and response.body', source, i, undefined, 'line');
    const extra: Partial<Exchange> = {};
    if (typeof obj.delayMs === 'number') Object.assign(extra, { delayMs: obj.delayMs });
    if (obj.connectionError === true) Object.assign(extra, { connectionError: true });
    exchanges.push(exchange(obj.request, { status: res.status ?? 200, body: res.body, ...(res.headers ? { headers: res.headers } : {}) }, extra, source, i, 'line'));
  });
  return { source, format: 'psremote', exchanges };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;
}

/** Parses recording text; the format is detected from the content. */
export function parseRecording(text: string, source = 'recording'): Recording {
  const t = text.replace(/^\uFEFF/, '');
  const trimmed = t.trimStart();
  if (trimmed.startsWith('{"format":"psremote-recording"') || trimmed.startsWith('{ "format"')) return loadPsremote(t, source);
  if (trimmed.startsWith('<')) return loadWinrm4j(t, source);
  let doc: unknown;
  try {
    // logLevel 'error': a library does not print YAML warnings on its caller's stderr.
    doc = parseYaml(t, { maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    throw new RecordingError(`not YAML, XML or JSON Lines: ${(e as Error).message}`, source, undefined, e);
  }
  if (Array.isArray(doc)) return loadWinRMSharp(doc, source);
  if (doc && typeof doc === 'object' && 'messages' in doc) return loadPypsrp(doc, source);
  throw new RecordingError('unrecognised recording format', source);
}

export function loadRecording(path: string): Recording {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RecordingError(`cannot read: ${(e as Error).message}`, path, undefined, e);
  }
  return parseRecording(text, basename(path));
}

const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie|www-authenticate)$/i;

/** Removes credentials from a recording before it is written anywhere. */
export function scrubRecording(rec: Recording): Recording {
  return {
    ...rec,
    exchanges: rec.exchanges.map((x) => ({
      ...x,
      request: scrubXmlSecrets(x.request),
      response: {
        ...x.response,
        body: scrubXmlSecrets(x.response.body),
        ...(x.response.headers
          ? { headers: Object.fromEntries(Object.entries(x.response.headers).filter(([k]) => !SECRET_HEADERS.test(k))) }
          : {}),
      },
    })),
  };
}

/** Writes a recording in psremote's own JSON Lines format (scrubbed). */
export function writeRecording(rec: Recording): string {
  const clean = scrubRecording(rec);
  const lines = [JSON.stringify({ format: 'psremote-recording', version: 1, source: rec.source })];
  for (const x of clean.exchanges) {
    lines.push(
      JSON.stringify({
        operation: x.operation,
        request: x.request,
        response: x.response,
        ...(x.delayMs !== undefined ? { delayMs: x.delayMs } : {}),
        ...(x.connectionError ? { connectionError: true } : {}),
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}
