// Serves a recorded WinRM conversation to a live client over loopback HTTP.
// It answers by operation and target, not by position: each (operation, shell,
// command) has its own queue of recorded answers, so a client that interleaves
// requests differently from the recording still gets the right ones. Ids flow
// both ways: client-chosen ids (PowerShell ShellId, PSRP CommandId) are mapped
// to the recorded ones, recorded ids in answers are rewritten to the live ones,
// and RelatesTo always names the live MessageID. Whatever cannot be matched is
// answered with an error and reported, never answered silently.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenForWsman } from './listen.js';
import { describeRequest, type Exchange, type Recording, type RequestInfo } from './recording.js';
import { NS, POWERSHELL_RESOURCE_PREFIX } from '../wsman/namespaces.js';
import { MessageDecoder } from '../psrp/decode.js';
import { decodeFragments } from '../psrp/fragment.js';
import { messageTypeSpecName } from '../psrp/message.js';

export interface UnmatchedRequest {
  /** 0-based index of the request among those received. */
  readonly index: number;
  readonly operation: string;
  readonly shellId: string | undefined;
  readonly commandId: string | undefined;
  readonly reason: string;
}

export interface ServedRequest {
  readonly index: number;
  readonly operation: string;
  readonly shellId: string | undefined;
  readonly commandId: string | undefined;
  /** Index of the exchange in its recording. */
  readonly exchange: number;
  readonly status: number;
  /** The request as the client sent it (tests compare it with the recorded one). */
  readonly request: string;
}

export interface ReplayServerOptions {
  readonly recording: Recording;
  readonly port?: number;
  readonly host?: string;
  /** Longest delay honoured for recorded `timeout` items (default 2 s). */
  readonly maxDelayMs?: number;
  /** Largest request body accepted (default 16 MiB). */
  readonly maxRequestBytes?: number;
  /** Called for every request that could not be matched. */
  readonly onUnmatched?: (u: UnmatchedRequest) => void;
  /**
   * A Receive whose recorded answers are used up is held like a real server's
   * long-poll (up to its OperationTimeout, capped at this many ms) and then answered
   * with the WSMan timeout fault, instead of being reported as unmatched: a client
   * that keeps a Receive outstanding (keep-alive) is behaving correctly. Default 1000;
   * 0 turns holding off.
   */
  readonly holdExhaustedReceiveMs?: number;
  /**
   * Check that the PSRP messages a request carries (by type, in order) are the
   * ones the recorded request carried; a request that differs is unmatched.
   * Default true.
   */
  readonly checkPsrp?: boolean;
}

const PSRP_DATA = /<(?:\w+:)?(?:creationXml|connectXml|Arguments|Stream)\b[^>]*>([^<]*)</g;

/** The PSRP message types that start in a request's data, in order ('?' for data that is not PSRP). */
export function psrpMessageTypes(body: string): string[] {
  const types: string[] = [];
  for (const m of body.matchAll(PSRP_DATA)) {
    const b64 = m[1]!.trim();
    if (!b64) continue;
    try {
      for (const f of decodeFragments(new Uint8Array(Buffer.from(b64, 'base64')))) {
        if (!f.start) continue;
        types.push(f.blob.byteLength >= 8 ? messageTypeSpecName(new DataView(f.blob.buffer, f.blob.byteOffset).getUint32(4, true)) : '?');
      }
    } catch {
      types.push('?');
    }
  }
  return types;
}

export interface ReplayServer {
  readonly url: string;
  readonly unmatched: readonly UnmatchedRequest[];
  readonly served: readonly ServedRequest[];
  /** Requests per operation. */
  readonly stats: Readonly<Record<string, number>>;
  /** Receives held and answered with a timeout because their recorded answers were used up. */
  readonly heldReceives: number;
  /** Recorded exchanges that were never asked for. */
  remaining(): Exchange[];
  close(): Promise<void>;
}

interface Slot {
  readonly index: number;
  readonly exchange: Exchange;
}

const upper = (s: string | undefined) => s?.toUpperCase();

function queueKey(op: string, shellId: string | undefined, commandId: string | undefined): string {
  switch (op) {
    case 'Create':
    case 'Identify':
    case 'Enumerate':
    case 'Pull':
    case 'Get':
    case 'Put':
    case 'Invoke':
      return `${op}|${op === 'Get' ? (upper(shellId) ?? '') : ''}`;
    case 'Command':
    case 'Delete':
    case 'Disconnect':
      return `${op}|${upper(shellId) ?? ''}`;
    default:
      return `${op}|${upper(shellId) ?? ''}|${upper(commandId) ?? ''}`;
  }
}

function replaceAllCaseless(s: string, from: string, to: string): string {
  if (!from || from.toUpperCase() === to.toUpperCase()) return s;
  const re = new RegExp(from.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, '\\$&'), 'gi');
  return s.replace(re, (m) => (m === m.toLowerCase() ? to.toLowerCase() : to.toUpperCase()));
}

const RELATES_TO = /(<(?:[\w-]+:)?RelatesTo\b[^>]*>)([^<]*)(<\/)/;

function faultBody(reason: string, relatesTo: string | undefined): string {
  const esc = reason.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return (
    `<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.addressing}" xmlns:w="${NS.wsman}">` +
    `<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>` +
    (relatesTo ? `<a:RelatesTo>uuid:${relatesTo}</a:RelatesTo>` : '') +
    `</s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:InternalError</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">psremote replay: ${esc}</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`
  );
}

function operationTimeoutMs(request: string): number | undefined {
  const m = /<(?:[\w-]+:)?OperationTimeout>PT([\d.]+)S</.exec(request);
  return m ? Number(m[1]) * 1000 : undefined;
}

// The fault Windows answers a Receive with when its OperationTimeout passes (as recorded
// in test_psrp_long_running_cmdlet.yml).
function timeoutFault(relatesTo: string | undefined): string {
  return (
    `<s:Envelope xml:lang="en-US" xmlns:s="${NS.soap}" xmlns:a="${NS.addressing}" xmlns:w="${NS.wsman}">` +
    `<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>` +
    (relatesTo ? `<a:RelatesTo>uuid:${relatesTo}</a:RelatesTo>` : '') +
    `</s:Header><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code>` +
    `<s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason>` +
    `<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="127.0.0.1"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail>` +
    `</s:Fault></s:Body></s:Envelope>`
  );
}

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const rec = options.recording;
  const maxDelay = options.maxDelayMs ?? 2000;
  const maxBody = options.maxRequestBytes ?? 16 * 1024 * 1024;
  const queues = new Map<string, Slot[]>();
  // A shell's Receives are split into epochs at each pool Disconnect, Reconnect,
  // Connect and Send: a Receive is answered only from the epoch the live conversation is in,
  // as a server gives no pool output while disconnected.
  // A pool-level Send (a request to the pool: reset, set runspaces, a key) opens an epoch
  // too: what the pool answers was recorded after it.
  const isEpochChange = (op: string, commandId: string | undefined) =>
    (op === 'Disconnect' || op === 'Reconnect' || op === 'Connect' || op === 'Send') && !commandId;
  const recordedEpochs = new Map<string, number>();
  const liveEpochs = new Map<string, number>();
  const receiveKey = (shellId: string | undefined, commandId: string | undefined, epoch: number) =>
    `${queueKey('Receive', shellId, commandId)}@${epoch}`;
  rec.exchanges.forEach((exchange, index) => {
    const shell = upper(exchange.shellId) ?? '';
    const key =
      exchange.operation === 'Receive'
        ? receiveKey(exchange.shellId, exchange.commandId, recordedEpochs.get(shell) ?? 0)
        : queueKey(exchange.operation, exchange.shellId, exchange.commandId);
    if (isEpochChange(exchange.operation, exchange.commandId)) recordedEpochs.set(shell, (recordedEpochs.get(shell) ?? 0) + 1);
    let q = queues.get(key);
    if (!q) queues.set(key, (q = []));
    q.push({ index, exchange });
  });
  const used = new Set<number>();
  // live id (upper case) -> recorded id, for ids the client chooses
  const liveToRec = new Map<string, string>();
  const recToLive = new Map<string, string>();
  const unmatched: UnmatchedRequest[] = [];
  const served: ServedRequest[] = [];
  const stats: Record<string, number> = {};
  let counter = 0;
  let heldReceives = 0;
  let url = '';

  const toRec = (id: string | undefined) => (id === undefined ? undefined : (liveToRec.get(id.toUpperCase()) ?? id));

  function bind(live: string | undefined, recorded: string | undefined): void {
    if (!live || !recorded) return;
    liveToRec.set(live.toUpperCase(), recorded.toUpperCase());
    recToLive.set(recorded.toUpperCase(), live);
  }

  function take(info: RequestInfo): { slot?: Slot; reason?: string } {
    const op = info.operation;
    if (op === 'Create') {
      const q = queues.get(queueKey('Create', undefined, undefined));
      const slot = q?.shift();
      if (!slot) return { reason: 'no recorded Create left' };
      // PowerShell clients choose the ShellId; WinRS servers do (then it is echoed as recorded).
      if (info.shellId) bind(info.shellId, slot.exchange.shellId);
      return { slot };
    }
    const shellId = toRec(info.shellId);
    let commandId = toRec(info.commandId);
    if (op === 'Command') {
      const q = queues.get(queueKey(op, shellId, undefined));
      const slot = q?.shift();
      if (!slot) return { reason: info.shellId && !queues.has(queueKey(op, shellId, undefined)) ? `unknown ShellId ${info.shellId}` : 'no recorded Command left for this shell' };
      if (info.commandId) bind(info.commandId, slot.exchange.commandId);
      return { slot };
    }
    let key = op === 'Receive' ? receiveKey(shellId, commandId, liveEpochs.get(upper(shellId) ?? '') ?? 0) : queueKey(op, shellId, commandId);
    let q = queues.get(key);
    // Clients differ on where a pipeline's host response goes: PowerShell names the
    // command, pypsrp sends it to the shell. A command's Send may take the shell's.
    if (!q?.length && op === 'Send' && commandId && queues.get(queueKey(op, shellId, undefined))?.length) {
      key = queueKey(op, shellId, undefined);
      q = queues.get(key);
      commandId = undefined;
    }
    // A Receive in an epoch the recording has no Receive for waits like an exhausted one.
    if (!q && op === 'Receive' && queues.has(`${key.slice(0, key.lastIndexOf('@'))}@0`)) q = [];
    if (!q) {
      const knownShell = rec.exchanges.some((x) => upper(x.shellId) === upper(shellId));
      if (shellId && !knownShell) return { reason: `unknown ShellId ${info.shellId}` };
      if (commandId && !rec.exchanges.some((x) => upper(x.commandId) === upper(commandId))) return { reason: `unknown CommandId ${info.commandId}` };
      return { reason: `no recorded ${op} for this target` };
    }
    const slot = q.shift();
    if (!slot) return { reason: `recorded ${op} answers for this target are used up` };
    if (isEpochChange(op, commandId)) liveEpochs.set(upper(shellId) ?? '', (liveEpochs.get(upper(shellId) ?? '') ?? 0) + 1);
    return { slot };
  }

  function rewrite(body: string, info: RequestInfo): string {
    let out = body;
    for (const [recId, live] of recToLive) out = replaceAllCaseless(out, recId, live);
    if (info.messageId) {
      out = out.replace(RELATES_TO, (_m, open: string, _old: string, close: string) => `${open}uuid:${info.messageId}${close}`);
      out = out.split('${messageId}').join(`uuid:${info.messageId}`);
    }
    return out.split('${serviceUrl}').join(url);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const index = counter++;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxBody) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let info: RequestInfo;
    try {
      info = describeRequest(text, `request ${index}`);
    } catch (e) {
      const u = { index, operation: 'unknown', shellId: undefined, commandId: undefined, reason: `not a SOAP request: ${(e as Error).message}` };
      unmatched.push(u);
      options.onUnmatched?.(u);
      res.writeHead(400, { 'content-type': 'text/plain' }).end(u.reason);
      return;
    }
    stats[info.operation] = (stats[info.operation] ?? 0) + 1;
    const { slot, reason } = take(info);
    const hold = options.holdExhaustedReceiveMs ?? 1000;
    if (!slot && info.operation === 'Receive' && hold > 0 && reason?.includes('used up')) {
      heldReceives++;
      const timeoutMs = operationTimeoutMs(text) ?? hold;
      await new Promise((r) => setTimeout(r, Math.min(timeoutMs, hold)));
      if (req.socket.destroyed) return;
      const body = timeoutFault(info.messageId);
      res.writeHead(500, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (!slot) {
      const u = { index, operation: info.operation, shellId: info.shellId, commandId: info.commandId, reason: reason ?? 'unmatched' };
      unmatched.push(u);
      options.onUnmatched?.(u);
      res.writeHead(500, { 'content-type': 'application/soap+xml;charset=UTF-8' }).end(faultBody(u.reason, info.messageId));
      return;
    }
    const x = slot.exchange;
    if (options.checkPsrp !== false && (info.resourceUri ?? x.resourceUri ?? '').startsWith(POWERSHELL_RESOURCE_PREFIX)) {
      const sent = psrpMessageTypes(text);
      const recorded = psrpMessageTypes(x.request);
      if (sent.join(',') !== recorded.join(',')) {
        const u = {
          index,
          operation: info.operation,
          shellId: info.shellId,
          commandId: info.commandId,
          reason: `PSRP messages differ from recorded exchange ${slot.index}: sent [${sent.join(', ')}], recorded [${recorded.join(', ')}]`,
        };
        unmatched.push(u);
        options.onUnmatched?.(u);
        res.writeHead(500, { 'content-type': 'application/soap+xml;charset=UTF-8' }).end(faultBody(u.reason, info.messageId));
        return;
      }
    }
    used.add(slot.index);
    if (x.delayMs) await new Promise((r) => setTimeout(r, Math.min(x.delayMs!, maxDelay)));
    served.push({ index, operation: info.operation, shellId: info.shellId, commandId: info.commandId, exchange: slot.index, status: x.response.status, request: text });
    if (x.connectionError) {
      req.socket.destroy();
      return;
    }
    if (x.authError) {
      res.writeHead(401, { 'www-authenticate': 'Negotiate' }).end();
      return;
    }
    const body = rewrite(x.response.body, info);
    res.writeHead(x.response.status, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String((e as Error).message));
    });
  });
  const listening = await listenForWsman(server, { port: options.port, host: options.host });
  url = listening.url;
  return {
    url,
    unmatched,
    served,
    stats,
    get heldReceives() {
      return heldReceives;
    },
    remaining: () => rec.exchanges.filter((_x, i) => !used.has(i)),
    close: () => listening.close(),
  };
}

/** Ids a psremote client must use to replay a PowerShell recording faithfully. */
export interface RecordingIds {
  /** RunspacePool id from the first creationXml fragment (lower case). */
  readonly runspacePoolId: string | undefined;
  /** ShellId from the first Create. */
  readonly shellId: string | undefined;
  /** Pipeline ids (the PID inside CREATE_PIPELINE) in the order of the Command requests. */
  readonly pipelineIds: readonly string[];
}

export function recordingIds(rec: Recording): RecordingIds {
  let runspacePoolId: string | undefined;
  let shellId: string | undefined;
  const pipelineIds: string[] = [];
  for (const x of rec.exchanges) {
    if (x.operation === 'Create' && shellId === undefined) {
      shellId = x.shellId;
      const m = /<creationXml[^>]*>([^<]+)</.exec(x.request);
      if (m) {
        const msgs = new MessageDecoder({ where: `${rec.source} creationXml` }).receive(Buffer.from(m[1]!, 'base64'));
        runspacePoolId = msgs[0]?.message.runspacePoolId;
      }
    }
    if (x.operation === 'Command' && x.commandId) {
      // The PID inside CREATE_PIPELINE is what the server echoes in its messages.
      const m = /<(?:[\w-]+:)?Arguments>([^<]+)</.exec(x.request);
      let pid: string | undefined;
      if (m && x.resourceUri?.startsWith('http://schemas.microsoft.com/powershell/')) {
        try {
          pid = new MessageDecoder({ where: `${rec.source} Command` }).receive(Buffer.from(m[1]!, 'base64'))[0]?.message.pipelineId;
        } catch {
          pid = undefined; // a CREATE_PIPELINE spread over several Sends: fall back to the CommandId
        }
      }
      pipelineIds.push(pid ?? x.commandId.toLowerCase());
    }
  }
  return { runspacePoolId, shellId, pipelineIds };
}
