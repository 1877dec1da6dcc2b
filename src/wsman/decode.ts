// Turns captured WS-Management traffic into one plain JSON object per envelope:
// the engine behind `psremote decode`, a tool users reach for when a session
// misbehaves, so its output follows a fixed contract (docs/cli.md):
// envelope, action, shellId, commandId, fault, exitCode, commandState,
// streams (WinRS output) and psrp (messages completed in this envelope).

import { RemoteProtocolError } from '../errors.js';
import { MessageDecoder } from '../psrp/decode.js';
import { Destination } from '../psrp/message.js';
import { POWERSHELL_RESOURCE_PREFIX } from './namespaces.js';
import { decodeBase64Strict, readEnvelope, type WSManMessage } from './reader.js';
import { EnvelopeStream } from './envelope-stream.js';
import { parseValue } from '../psrp/clixml-bridge.js';
import { toPlain } from '../clixml/index.js';

export interface DecodedPsrpMessage {
  readonly type: string;
  readonly destination: 'client' | 'server' | number;
  readonly rpid: string;
  readonly pid: string | null;
  readonly data: unknown;
  readonly error?: string;
}

export interface DecodedEnvelope {
  readonly envelope: number;
  readonly action: string | null;
  readonly shellId: string | null;
  readonly commandId: string | null;
  readonly fault: { subcode: string | null; wsmanCode: number | null; message: string } | null;
  readonly exitCode: number | null;
  readonly commandState: string | null;
  readonly streams: { name: string; commandId: string | null; end: boolean; text: string }[];
  readonly psrp: DecodedPsrpMessage[];
}

export interface EnvelopeDecoderOptions {
  /** CLIXML text → plain JSON value. */
  readonly clixmlToJson?: (clixml: string) => unknown;
}

/**
 * Decodes envelopes in wire order. Keeps one PSRP defragmenter per direction and
 * shell across envelopes, so a message is listed where its last fragment arrived.
 */
export class EnvelopeDecoder {
  readonly #decoders = new Map<string, MessageDecoder>();
  readonly #shellKinds = new Map<string, 'powershell' | 'other'>();
  readonly #toJson: (clixml: string) => unknown;
  #index = 0;
  #lastRequestShell: string | undefined;
  #lastRequestCommand: string | undefined;

  constructor(options: EnvelopeDecoderOptions = {}) {
    this.#toJson = options.clixmlToJson ?? clixmlToJson;
  }

  decode(xml: string | Uint8Array): DecodedEnvelope {
    const index = this.#index++;
    const where = `envelope ${index}`;
    let m: WSManMessage;
    try {
      m = readEnvelope(xml, { operation: where });
    } catch (e) {
      throw new RemoteProtocolError('PSR_WSMAN_INVALID', `${where}: ${(e as Error).message}`, { cause: e });
    }
    const env = m.envelope;
    const isResponse = m.isResponse;
    // Responses name neither shell nor command in their headers: they answer the request before them.
    const shellId = m.selectorShellId ?? (isResponse ? this.#lastRequestShell : undefined) ?? m.bodyShellId;
    let commandId = m.commandId;
    const resourceUri = m.resourceUri;
    const ps = this.#isPowerShell(shellId, resourceUri);
    const b64 = (text: string, what: string) => decodeBase64Strict(text, `${where} ${what}`, { operation: where });
    const psrpPayloads: Uint8Array[] = [];
    const streams: DecodedEnvelope['streams'] = [];
    if (m.creationXml !== undefined) psrpPayloads.push(b64(m.creationXml, 'creationXml'));
    if (ps) for (const a of m.arguments) psrpPayloads.push(b64(a, 'Arguments'));
    for (const s of m.streams) {
      const data = b64(s.text, 'rsp:Stream');
      if (ps) psrpPayloads.push(data);
      else streams.push({ name: s.name, commandId: s.commandId ?? null, end: s.end, text: data.toString('utf8') });
    }
    if (m.connectXml !== undefined) psrpPayloads.push(b64(m.connectXml, 'connectXml'));
    if (m.connectResponseXml !== undefined) psrpPayloads.push(b64(m.connectResponseXml, 'connectResponseXml'));
    const commandState = m.commandState ? m.commandState.state : null;
    const exitCode = m.commandState?.exitCode ?? null;
    if (!isResponse) {
      this.#lastRequestShell = shellId;
      this.#lastRequestCommand = commandId;
      if (shellId && resourceUri) this.#shellKinds.set(shellId.toUpperCase(), resourceUri.startsWith(POWERSHELL_RESOURCE_PREFIX) ? 'powershell' : 'other');
    } else {
      commandId ??= this.#lastRequestCommand;
    }

    const psrp: DecodedPsrpMessage[] = [];
    if (psrpPayloads.length > 0) {
      const key = `${isResponse ? 'from-server' : 'to-server'}|${(shellId ?? '').toUpperCase()}`;
      let dec = this.#decoders.get(key);
      if (!dec) this.#decoders.set(key, (dec = new MessageDecoder({ where: `${where} PSRP` })));
      for (const p of psrpPayloads) {
        for (const m of dec.receive(p)) {
          let data: unknown = null;
          let error: string | undefined;
          try {
            data = m.clixml === '' ? null : this.#toJson(m.clixml);
          } catch (e) {
            error = (e as Error).message;
          }
          if (m.error) error ??= m.error.message;
          psrp.push({
            type: m.specName,
            destination: m.message.destination === Destination.Client ? 'client' : m.message.destination === Destination.Server ? 'server' : m.message.destination,
            rpid: m.message.runspacePoolId,
            pid: m.pipelineId ?? null,
            data,
            ...(error ? { error } : {}),
          });
        }
      }
    }

    return {
      envelope: index,
      action: env.action ?? null,
      shellId: shellId ?? null,
      commandId: commandId ?? null,
      fault: env.fault ? { subcode: env.fault.subcode ?? null, wsmanCode: env.fault.wsmanCode ?? null, message: env.fault.message } : null,
      exitCode,
      commandState,
      streams,
      psrp,
    };
  }

  #isPowerShell(shellId: string | undefined, resourceUri: string | undefined): boolean {
    if (resourceUri) return resourceUri.startsWith(POWERSHELL_RESOURCE_PREFIX);
    if (shellId) return this.#shellKinds.get(shellId.toUpperCase()) === 'powershell';
    return false;
  }
}

/**
 * Splits concatenated envelopes (as captured in wire order) into separate
 * documents, cut where EnvelopeStream cuts a byte stream (one cutting for
 * streams and captures); what follows the last end tag is one more document,
 * which the decoder then refuses, typed, as not an envelope.
 */
export function splitEnvelopes(text: string): string[] {
  // No size cap here: the text is in memory already, and each envelope is read with the reader's own limit.
  const stream = new EnvelopeStream({ maxBytes: Number.MAX_SAFE_INTEGER, operation: 'decode' });
  const docs = stream.cut(Buffer.from(text, 'utf8'));
  const rest = stream.endCut();
  if (rest) docs.push(rest);
  return docs.map((d) => d.toString('utf8').trim());
}

// Plain view of a CLIXML value (docs/clixml.md, "Plain view").
function clixmlToJson(clixml: string): unknown {
  return toPlain(parseValue(clixml, {}, 'CLIXML'));
}
