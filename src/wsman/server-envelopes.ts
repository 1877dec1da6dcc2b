// Response envelopes of a WS-Management server, shaped like Windows' own (as
// recorded in fixtures/upstream: same namespaces, prefixes, elements and fault
// codes): what the server shell core (server-shell.ts) answers with, and the
// local endpoint through it. Pure string building.

import { escapeXmlAttr as attr, escapeXmlText as text } from '../util/xml.js';
import { ACTION, ANONYMOUS, COMMAND_STATE_PREFIX, NS } from './namespaces.js';

const ENV_OPEN =
  `<s:Envelope xml:lang="en-US" xmlns:s="${NS.soap}" xmlns:a="${NS.addressing}" xmlns:x="${NS.transfer}" ` +
  `xmlns:w="${NS.wsman}" xmlns:rsp="${NS.shell}" xmlns:p="${NS.wsmv}">`;

export function envelope(action: string, relatesTo: string | undefined, body: string, messageId: string): string {
  return (
    `${ENV_OPEN}<s:Header><a:Action>${text(action)}</a:Action><a:MessageID>uuid:${messageId.toUpperCase()}</a:MessageID>` +
    `<a:To>${ANONYMOUS}</a:To>${relatesTo ? `<a:RelatesTo>uuid:${text(relatesTo)}</a:RelatesTo>` : ''}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

export function commandResponseBody(commandId: string): string {
  return `<rsp:CommandResponse><rsp:CommandId>${text(commandId)}</rsp:CommandId></rsp:CommandResponse>`;
}

export interface OutStream {
  readonly name: string;
  readonly commandId?: string | undefined;
  readonly data: Uint8Array;
  readonly end?: boolean;
}

export function receiveResponseBody(streams: readonly OutStream[], state?: { commandId: string; state: 'Done' | 'Running'; exitCode?: number }): string {
  let s = '<rsp:ReceiveResponse>';
  for (const st of streams) {
    s += `<rsp:Stream Name="${attr(st.name)}"${st.commandId ? ` CommandId="${attr(st.commandId)}"` : ''}${st.end ? ' End="true"' : ''}>${Buffer.from(st.data.buffer, st.data.byteOffset, st.data.byteLength).toString('base64')}</rsp:Stream>`;
  }
  if (state) {
    s += `<rsp:CommandState CommandId="${attr(state.commandId)}" State="${COMMAND_STATE_PREFIX}${state.state}">`;
    if (state.exitCode !== undefined) s += `<rsp:ExitCode>${state.exitCode}</rsp:ExitCode>`;
    s += '</rsp:CommandState>';
  }
  return `${s}</rsp:ReceiveResponse>`;
}

export interface FaultSpec {
  readonly code: 'Sender' | 'Receiver';
  readonly subcode: string;
  readonly reason: string;
  readonly wsmanCode: number;
  readonly detail?: string;
  readonly message?: string;
}

export function faultEnvelope(f: FaultSpec, relatesTo: string | undefined, messageId: string): string {
  const body =
    `<s:Fault><s:Code><s:Value>s:${f.code}</s:Value><s:Subcode><s:Value>${f.subcode}</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">${text(f.reason)}</s:Text></s:Reason><s:Detail>` +
    (f.detail ? `<w:FaultDetail>${f.detail}</w:FaultDetail>` : '') +
    `<f:WSManFault xmlns:f="${NS.wsmanFault}" Code="${f.wsmanCode}" Machine="127.0.0.1"><f:Message>${text(f.message ?? f.reason)}</f:Message></f:WSManFault>` +
    `</s:Detail></s:Fault>`;
  return envelope(ACTION.Fault, relatesTo, body, messageId);
}
