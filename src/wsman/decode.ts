// Turns captured WS-Management traffic into one plain JSON object per envelope:
// the engine behind `psremote decode`, a tool users reach for when a session
// misbehaves, so its output follows a fixed contract (docs/cli.md):
// envelope, action, shellId, commandId, fault, exitCode, commandState,
// streams (WinRS output) and psrp (messages completed in this envelope).

import { RemoteProtocolError } from '../errors.js';
import { attribute, childElement, childElements, textContent } from '../util/xml.js';
import { MessageDecoder } from '../psrp/decode.js';
import { Destination } from '../psrp/message.js';
import { NS, POWERSHELL_RESOURCE_PREFIX } from './namespaces.js';
import { decodeBase64Strict, parseEnvelope, type ParsedEnvelope } from './response.js';
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

const RESPONSE_ACTION = /Response$|\/fault$/;

// winrm4j qualifies CommandId with the shell namespace (ns1:CommandId) and Windows accepts it.
const commandIdOf = (el: Parameters<typeof attribute>[0]) => attribute(el, 'CommandId') ?? attribute(el, 'CommandId', NS.shell);

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
    let env: ParsedEnvelope;
    try {
      env = parseEnvelope(xml, { operation: where });
    } catch (e) {
      throw new RemoteProtocolError('PSR_WSMAN_INVALID', `${where}: ${(e as Error).message}`, { cause: e });
    }
    const isResponse = env.action !== undefined ? RESPONSE_ACTION.test(env.action) : childElement(env.body, NS.identity, 'IdentifyResponse') !== undefined;
    // Responses name neither shell nor command in their headers: they answer the request before them.
    let shellId = selectorShellId(env) ?? (isResponse ? this.#lastRequestShell : undefined);
    let commandId: string | undefined;
    const psrpPayloads: Uint8Array[] = [];
    const streams: DecodedEnvelope['streams'] = [];
    let exitCode: number | null = null;
    let commandState: string | null = null;
    const resourceUri = env.header && textOf(childElement(env.header, NS.wsman, 'ResourceURI'));
    const b64 = (text: string, what: string) => decodeBase64Strict(text, `${where} ${what}`, { operation: where });

    for (const el of childElements(env.body)) {
      if (el.ns === NS.shell && el.local === 'Shell') {
        shellId ??= attribute(el, 'ShellId') ?? textOf(childElement(el, NS.shell, 'ShellId'));
        const cx = childElement(el, NS.powershell, 'creationXml');
        if (cx) psrpPayloads.push(b64(textContent(cx), 'creationXml'));
      }
      if (el.ns === NS.transfer && el.local === 'ResourceCreated') {
        for (const sel of childElements(el).flatMap((c) => childElements(c, NS.wsman, 'SelectorSet')).flatMap((s) => childElements(s, NS.wsman, 'Selector'))) {
          if (attribute(sel, 'Name') === 'ShellId') shellId ??= textContent(sel).trim();
        }
      }
      if (el.ns !== NS.shell && el.ns !== NS.powershell) continue;
      commandId ??= commandIdOf(el);
      switch (el.local) {
        case 'CommandLine':
          for (const a of childElements(el, NS.shell, 'Arguments')) if (this.#isPowerShell(shellId, resourceUri)) psrpPayloads.push(b64(textContent(a), 'Arguments'));
          break;
        case 'CommandResponse':
          commandId ??= textOf(childElement(el, NS.shell, 'CommandId'));
          break;
        case 'Receive': {
          const ds = childElement(el, NS.shell, 'DesiredStream');
          commandId ??= ds && commandIdOf(ds);
          break;
        }
        case 'Send':
        case 'ReceiveResponse':
          for (const s of childElements(el, NS.shell, 'Stream')) {
            const data = b64(textContent(s), 'rsp:Stream');
            const cid = attribute(s, 'CommandId');
            commandId ??= cid;
            if (this.#isPowerShell(shellId, resourceUri)) psrpPayloads.push(data);
            else streams.push({ name: attribute(s, 'Name') ?? '', commandId: cid ?? null, end: /^true$/i.test(attribute(s, 'End') ?? ''), text: data.toString('utf8') });
          }
          {
            const cs = childElement(el, NS.shell, 'CommandState');
            if (cs) {
              commandId ??= attribute(cs, 'CommandId');
              const state = attribute(cs, 'State') ?? '';
              commandState = state.slice(state.lastIndexOf('/') + 1);
              const ec = textOf(childElement(cs, NS.shell, 'ExitCode'));
              exitCode = ec !== undefined && /^-?\d+$/.test(ec) ? Number(ec) : null;
            }
          }
          break;
        case 'Connect': {
          const cx = childElement(el, NS.powershell, 'connectXml');
          if (cx) psrpPayloads.push(b64(textContent(cx), 'connectXml'));
          break;
        }
        case 'ConnectResponse': {
          const cx = childElement(el, NS.powershell, 'connectResponseXml');
          if (cx) psrpPayloads.push(b64(textContent(cx), 'connectResponseXml'));
          break;
        }
      }
    }
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

function textOf(el: ReturnType<typeof childElement>): string | undefined {
  return el ? textContent(el).trim() : undefined;
}

function selectorShellId(env: ParsedEnvelope): string | undefined {
  const set = env.header && childElement(env.header, NS.wsman, 'SelectorSet');
  for (const s of set ? childElements(set, NS.wsman, 'Selector') : []) if (attribute(s, 'Name') === 'ShellId') return textContent(s).trim();
  return undefined;
}

/** Splits concatenated envelopes (as captured in wire order) into separate documents. */
export function splitEnvelopes(text: string): string[] {
  const out: string[] = [];
  const re = /<\/(?:[\w-]+:)?Envelope\s*>/g;
  let start = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(text.slice(start, m.index + m[0].length).trim());
    start = m.index + m[0].length;
  }
  const rest = text.slice(start).trim();
  if (rest) out.push(rest);
  return out.map((s) => s.replace(/^<\?xml[^>]*\?>\s*/, ''));
}

// Plain view of a CLIXML value (docs/clixml.md, "Plain view").
function clixmlToJson(clixml: string): unknown {
  return toPlain(parseValue(clixml, {}, 'CLIXML'));
}
