// The one reader of WS-Management envelopes. The client (wsman-client.ts and
// the parse* helpers of response.ts), `psremote decode` (decode.ts), the
// recordings (server/recording.ts) and the local endpoint all read an envelope
// through readEnvelope, so that they cannot disagree on what it says: which
// operation, shell and command it names, its streams (End is xs:boolean), its
// CommandState (an ExitCode that is not an integer is an error, not a null) and
// its fault. HTTP status and faults of an answer are interpreted once, in
// readResponse. No I/O: text or bytes in, a typed record out (spec-notes/ms-wsmv.md,
// "One envelope reader").

import { RemoteProtocolError } from '../errors.js';
import { attribute, childElement, childElements, parseXml, textContent, type XmlElement } from '../util/xml.js';
import { decodeBase64Checked } from '../util/base64.js';
import { WSManFaultError, parseFault, type WSManFault } from './fault.js';
import { ACTION, COMMAND_STATE_PREFIX, NS, operationOfAction, type Operation } from './namespaces.js';

/** One `rsp:Stream` of a Send or a ReceiveResponse; `text` is its base64 as written. */
export interface WireStream {
  readonly name: string;
  readonly commandId: string | undefined;
  readonly end: boolean;
  readonly text: string;
}

export interface WireCommandState {
  readonly commandId: string | undefined;
  /** Last segment of the state URI: `Done`, `Running`, `Pending`. */
  readonly state: string;
  readonly exitCode: number | undefined;
}

/** What an envelope, request or response, says about itself. */
export interface WSManMessage {
  readonly envelope: ParsedEnvelope;
  /** The operation a request asks for; for a response, the one it answers (undefined for a fault). */
  readonly operation: Operation | undefined;
  readonly isResponse: boolean;
  readonly resourceUri: string | undefined;
  /** ShellId from the SelectorSet header. */
  readonly selectorShellId: string | undefined;
  /** ShellId named in the body (rsp:Shell, ResourceCreated), when the headers name none. */
  readonly bodyShellId: string | undefined;
  readonly shellId: string | undefined;
  readonly commandId: string | undefined;
  readonly signalCode: string | undefined;
  /** Receive's SequenceId, or a ReceiveResponse's SequenceID. */
  readonly sequenceId: string | undefined;
  readonly streams: readonly WireStream[];
  readonly commandState: WireCommandState | undefined;
  /** Base64 payloads as written: creationXml, connectXml, connectResponseXml, and rsp:Arguments (text for cmd). */
  readonly creationXml: string | undefined;
  readonly connectXml: string | undefined;
  readonly connectResponseXml: string | undefined;
  readonly arguments: readonly string[];
}

/** PSR_WSMAN_INVALID naming the operation answered and the host. */
export function invalidEnvelope(message: string, ctx: ParseContext, cause?: unknown): RemoteProtocolError {
  const where = [ctx.operation && `${ctx.operation} response`, ctx.host && `from ${ctx.host}`].filter(Boolean).join(' ');
  return new RemoteProtocolError('PSR_WSMAN_INVALID', message, {
    ...(where ? { where } : {}),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Default cap on a response body we agree to parse (MaxEnvelopeSize is far smaller in practice). */
export const MAX_RESPONSE_CHARS = 64 * 1024 * 1024;

export interface ParsedEnvelope {
  readonly root: XmlElement;
  readonly header: XmlElement | undefined;
  readonly body: XmlElement;
  readonly action: string | undefined;
  readonly messageId: string | undefined;
  readonly relatesTo: string | undefined;
  /** The fault, when the body is `s:Fault`. */
  readonly fault: WSManFault | undefined;
}

export interface ParseContext {
  /** Operation the response answers, for error messages. */
  readonly operation?: string;
  readonly host?: string;
  readonly httpStatus?: number;
  readonly maxChars?: number;
  /** Words errors use for the envelope (default 'response'). */
  readonly role?: 'request' | 'response';
}


const stripUuid = (s: string | undefined) => (s === undefined ? undefined : s.trim().replace(/^uuid:/i, ''));

/** Parses any SOAP envelope (request or response). Throws PSR_WSMAN_INVALID for non-SOAP input. */
export function parseEnvelope(input: string | Uint8Array, ctx: ParseContext = {}): ParsedEnvelope {
  const role = ctx.role ?? 'response';
  let root: XmlElement;
  try {
    root = parseXml(input, { maxLength: ctx.maxChars ?? MAX_RESPONSE_CHARS, where: ctx.operation ? `${ctx.operation} ${role}` : 'envelope' });
  } catch (e) {
    const head = typeof input === 'string' ? input.slice(0, 60) : Buffer.from(input.subarray(0, 60)).toString('utf8');
    throw invalidEnvelope(`${role} is not XML (${(e as Error).message}); it starts with ${JSON.stringify(head)}`, ctx, e);
  }
  return envelopeOf(root, ctx);
}

/** The envelope of an XML document already parsed. */
export function envelopeOf(root: XmlElement, ctx: ParseContext = {}): ParsedEnvelope {
  if (root.ns !== NS.soap || root.local !== 'Envelope') {
    throw invalidEnvelope(`${ctx.role ?? 'response'} root is {${root.ns}}${root.local}, not a SOAP 1.2 Envelope`, ctx);
  }
  const header = childElement(root, NS.soap, 'Header');
  const body = childElement(root, NS.soap, 'Body');
  if (!body) throw invalidEnvelope('SOAP envelope has no Body', ctx);
  const h = (ns: string, local: string) => {
    const el = header && childElement(header, ns, local);
    return el ? textContent(el).trim() : undefined;
  };
  const faultEl = childElement(body, NS.soap, 'Fault');
  return {
    root,
    header,
    body,
    action: h(NS.addressing, 'Action'),
    messageId: stripUuid(h(NS.addressing, 'MessageID')),
    relatesTo: stripUuid(h(NS.addressing, 'RelatesTo')),
    fault: faultEl ? parseFault(faultEl) : undefined,
  };
}

/** Raises a typed error when the response does not answer the request we sent. */
export function checkRelatesTo(env: ParsedEnvelope, sentMessageId: string, ctx: ParseContext = {}): void {
  if (env.relatesTo === undefined) return; // Identify responses carry none
  if (env.relatesTo.toUpperCase() !== sentMessageId.replace(/^uuid:/i, '').toUpperCase()) {
    throw invalidEnvelope(`RelatesTo ${env.relatesTo} does not match the MessageID sent (${sentMessageId})`, ctx);
  }
}

// xs:boolean is true|false|1|0; Windows writes "true". Case is forgiven, as two
// of the three readers this one replaces did (spec-notes/ms-wsmv.md).
const TRUE = /^\s*(?:true|1)\s*$/i;

// winrm4j qualifies CommandId with the shell namespace (ns1:CommandId) and Windows accepts it.
const commandIdOf = (el: XmlElement) => attribute(el, 'CommandId') ?? attribute(el, 'CommandId', NS.shell);

const RESPONSE_OPERATION = new Map<string, Operation>(
  (['Create', 'Delete', 'Get', 'Put', 'Enumerate', 'Pull', 'Command', 'Send', 'Receive', 'Signal', 'Disconnect', 'Reconnect', 'Connect'] as const).map((op) => [
    ACTION[`${op}Response`],
    op,
  ]),
);
const RESPONSE_ACTION = /Response$|\/fault$/;

const textOf = (el: XmlElement | undefined) => (el ? textContent(el).trim() : undefined);

/** Reads one envelope. Throws RemoteProtocolError PSR_WSMAN_INVALID for what is not one, or breaks the schema. */
export function readEnvelope(input: string | Uint8Array | ParsedEnvelope, ctx: ParseContext = {}): WSManMessage {
  const env = typeof input === 'object' && 'body' in input ? input : parseEnvelope(input, ctx);
  const header = env.header;
  const action = env.action;
  const isResponse = action !== undefined ? RESPONSE_ACTION.test(action) : childElement(env.body, NS.identity, 'IdentifyResponse') !== undefined;
  const operation = isResponse ? (action === undefined ? 'Identify' : RESPONSE_OPERATION.get(action)) : operationOfAction(action);
  let selectorShellId: string | undefined;
  const set = header && childElement(header, NS.wsman, 'SelectorSet');
  for (const s of set ? childElements(set, NS.wsman, 'Selector') : []) {
    if (attribute(s, 'Name') === 'ShellId') {
      selectorShellId = textContent(s).trim();
      break;
    }
  }
  let bodyShellId: string | undefined;
  let commandId: string | undefined;
  let signalCode: string | undefined;
  let sequenceId: string | undefined;
  let commandState: WireCommandState | undefined;
  let creationXml: string | undefined;
  let connectXml: string | undefined;
  let connectResponseXml: string | undefined;
  const streams: WireStream[] = [];
  const args: string[] = [];
  for (const el of childElements(env.body)) {
    if (el.ns === NS.transfer && el.local === 'ResourceCreated') {
      for (const sel of childElements(el).flatMap((c) => childElements(c, NS.wsman, 'SelectorSet')).flatMap((s) => childElements(s, NS.wsman, 'Selector'))) {
        if (attribute(sel, 'Name') === 'ShellId') bodyShellId ??= textContent(sel).trim();
      }
    }
    if (el.ns !== NS.shell) continue;
    commandId ??= commandIdOf(el);
    switch (el.local) {
      case 'Shell': {
        bodyShellId ??= attribute(el, 'ShellId') ?? textOf(childElement(el, NS.shell, 'ShellId'));
        const cx = childElement(el, NS.powershell, 'creationXml');
        if (cx) creationXml = textContent(cx);
        break;
      }
      case 'CommandLine':
        for (const a of childElements(el, NS.shell, 'Arguments')) args.push(textContent(a));
        break;
      case 'CommandResponse':
        commandId ??= textOf(childElement(el, NS.shell, 'CommandId'));
        break;
      case 'Receive': {
        const ds = childElement(el, NS.shell, 'DesiredStream');
        commandId ??= ds && commandIdOf(ds);
        sequenceId = attribute(el, 'SequenceId')?.trim();
        break;
      }
      case 'Signal':
        signalCode = textOf(childElement(el, NS.shell, 'Code'));
        break;
      case 'Send':
      case 'ReceiveResponse': {
        if (el.local === 'ReceiveResponse') sequenceId = attribute(el, 'SequenceID');
        for (const s of childElements(el, NS.shell, 'Stream')) {
          const name = attribute(s, 'Name');
          if (!name) throw invalidEnvelope('rsp:Stream without Name', ctx);
          const cid = commandIdOf(s);
          commandId ??= cid;
          streams.push({ name, commandId: cid, end: TRUE.test(attribute(s, 'End') ?? ''), text: textContent(s) });
        }
        const cs = childElement(el, NS.shell, 'CommandState');
        if (cs) {
          const stateUri = attribute(cs, 'State') ?? '';
          const exit = textOf(childElement(cs, NS.shell, 'ExitCode'));
          if (exit !== undefined && !/^-?\d+$/.test(exit)) throw invalidEnvelope(`rsp:ExitCode "${exit}" is not an integer`, ctx);
          commandState = {
            commandId: attribute(cs, 'CommandId'),
            state: stateUri.startsWith(COMMAND_STATE_PREFIX) ? stateUri.slice(COMMAND_STATE_PREFIX.length) : stateUri.slice(stateUri.lastIndexOf('/') + 1),
            exitCode: exit === undefined ? undefined : Number(exit),
          };
          commandId ??= commandState.commandId;
        }
        break;
      }
      case 'Connect': {
        const cx = childElement(el, NS.powershell, 'connectXml');
        if (cx) connectXml = textContent(cx);
        break;
      }
      case 'ConnectResponse': {
        const cx = childElement(el, NS.powershell, 'connectResponseXml');
        if (cx) connectResponseXml = textContent(cx);
        break;
      }
    }
  }
  return {
    envelope: env,
    operation,
    isResponse,
    resourceUri: textOf(header && childElement(header, NS.wsman, 'ResourceURI')),
    selectorShellId,
    bodyShellId,
    shellId: selectorShellId ?? bodyShellId,
    commandId,
    signalCode,
    sequenceId,
    streams,
    commandState,
    creationXml,
    connectXml,
    connectResponseXml,
    arguments: args,
  };
}

/** Bytes of base64 text (whitespace allowed between groups), or a typed error naming `what`. */
export function decodeBase64Strict(s: string, what: string, ctx: ParseContext): Buffer {
  // Whitespace is rare (no server sends it): looking for it first cost more than
  // the decoding (bench/client-profile.bench.ts). Text with any makes the
  // checked decoding fail, since Node's decoder skips it, and is retried without it.
  const b = decodeBase64Checked(s) ?? (/\s/.test(s) ? decodeBase64Checked(s.replace(/\s+/g, '')) : undefined);
  if (!b) throw invalidEnvelope(`${what} is not valid base64`, ctx);
  return b;
}

/** A stream's bytes, strictly decoded. */
export function streamBytes(s: WireStream, ctx: ParseContext = {}): Buffer {
  return decodeBase64Strict(s.text, `rsp:Stream ${s.name}`, ctx);
}

/** What an HTTP answer to a WS-Management request means, decided in one place. */
export type ResponseOutcome =
  /** A 200 answer that is no fault. */
  | { readonly type: 'message'; readonly status: number; readonly message: WSManMessage }
  /** A SOAP fault (Windows sends them with 400 or 500; some servers with 200). */
  | { readonly type: 'fault'; readonly status: number; readonly message: WSManMessage; readonly error: WSManFaultError }
  /** Another status than 200 with a SOAP body that is no fault: the transport's business. */
  | { readonly type: 'httpStatus'; readonly status: number; readonly message: WSManMessage };

export interface ResponseContext extends ParseContext {
  /** The MessageID of the request answered: the answer's RelatesTo must name it. */
  readonly sentMessageId?: string | undefined;
}

/**
 * The error a fault is, named by the operation it answered, its host and the
 * HTTP status it came with: every reader of an answer (readResponse, the
 * parse* helpers, the shell cores) makes it here, so a fault reads the same wherever it is met.
 */
export function faultError(fault: WSManFault, ctx: ParseContext = {}): WSManFaultError {
  return new WSManFaultError(fault, {
    ...(ctx.operation ? { operation: ctx.operation } : {}),
    ...(ctx.httpStatus ? { httpStatus: ctx.httpStatus } : {}),
    ...(ctx.host ? { host: ctx.host } : {}),
  });
}

/** Reads an answer, checks its RelatesTo, and sorts it into message, fault or bad status. */
export function readResponse(status: number, body: string | Uint8Array, ctx: ResponseContext = {}): ResponseOutcome {
  const message = readEnvelope(body, { ...ctx, httpStatus: status });
  const env = message.envelope;
  if (ctx.sentMessageId !== undefined) checkRelatesTo(env, ctx.sentMessageId, ctx);
  if (env.fault) return { type: 'fault', status, message, error: faultError(env.fault, { ...ctx, httpStatus: status }) };
  if (status !== 200) return { type: 'httpStatus', status, message };
  return { type: 'message', status, message };
}
