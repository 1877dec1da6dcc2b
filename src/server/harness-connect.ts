// The side channel that lets a PSRP server process answer a WSMan Connect
// (Connect-PSSession from another client). PowerShell's OutOfProc server has no
// connect path; the test peer's host (test/peer/host/ConnectHook.cs) calls the
// engine's own ServerRemoteSession.ExecuteConnect when it reads a Data line for
// a reserved PSGuid, and answers with one line of its own:
//   → <Data Stream='Default' PSGuid='HARNESS_CONNECT_GUID'>base64(connectXml)</Data>
//   ← <HarnessConnectResponse>base64(connectResponseXml)</HarnessConnectResponse>
//   ← <HarnessConnectError>message</HarnessConnectError>
// The request is a valid OutOfProc packet, so an engine without the hook
// (`pwsh -s`) answers it as it answers Data for any PSGuid it has no command for:
//   ← <DataAck PSGuid='HARNESS_CONNECT_GUID' />
// and keeps its session. That ack means "this engine cannot connect".
// The reply lines are not OutOfProc packets: they are taken out of the stream
// before the OutOfProc channel sees it.

import { decodePacket, encodePacket } from '../transport/outofproc/packets.js';

/** Must equal ConnectHook.ConnectGuid in test/peer/host/ConnectHook.cs. */
export const HARNESS_CONNECT_GUID = '7073726d-6861-726e-6573-73636f6e6e63';

export type HarnessReply =
  | { readonly kind: 'response'; readonly data: Uint8Array }
  | { readonly kind: 'error'; readonly message: string }
  /** The engine acknowledged the request as ordinary data: it has no connect hook. */
  | { readonly kind: 'unsupported' };

/** The request line (without its line break). */
export function harnessConnectRequest(connectXml: Uint8Array): string {
  return encodePacket({ kind: 'Data', stream: 'Default', psGuid: HARNESS_CONNECT_GUID, payload: connectXml });
}

const RESPONSE = /^<HarnessConnectResponse>([A-Za-z0-9+/]*={0,2})<\/HarnessConnectResponse>\r?$/;
const ERROR = /^<HarnessConnectError>([^<]*)<\/HarnessConnectError>\r?$/;

/** The reply this line is, or undefined for every other line (cheap for OutOfProc packets). */
export function parseHarnessReply(line: string): HarnessReply | undefined {
  if (line.startsWith('<Harness')) {
    const r = RESPONSE.exec(line);
    if (r) return { kind: 'response', data: new Uint8Array(Buffer.from(r[1]!, 'base64')) };
    const e = ERROR.exec(line);
    if (e) return { kind: 'error', message: unescapeXml(e[1]!) };
    return { kind: 'error', message: `malformed connect reply from the engine: ${line.slice(0, 120)}` };
  }
  if (line.startsWith('<DataAck') && line.includes(HARNESS_CONNECT_GUID)) {
    try {
      const p = decodePacket(line);
      if (p.kind === 'DataAck' && p.psGuid === HARNESS_CONNECT_GUID) return { kind: 'unsupported' };
    } catch {
      // not ours after all: the OutOfProc channel reports it
    }
  }
  return undefined;
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, n: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[n]!);
}
