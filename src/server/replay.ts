// Serves a recorded WinRM conversation to a live client over loopback HTTP.
// Each client conversation (from its first Create on) is replayed by its own
// ReplaySession (replay-session.ts: queues by operation and target, ids the
// client chose mapped to the recorded ones, replay-ids.ts). In strict mode each
// request is also compared with the recorded one (replay-match.ts) and a
// difference is answered with a fault that names the exchange and the first
// difference. Whatever cannot be matched is answered with an error and
// reported, never answered silently; the one request answered without a
// recorded exchange, an empty End of a command's stdin that the recorded client
// did not send (closeStdin), is counted in `stdinEnds`.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenForWsman } from './listen.js';
import { describeRequest, type Exchange, type Recording, type RequestInfo } from './recording.js';
import { randomUUID } from 'node:crypto';
import { ACTION, NS, POWERSHELL_RESOURCE_PREFIX } from '../wsman/namespaces.js';
import { envelope } from '../wsman/server-envelopes.js';
import { MessageDecoder } from '../psrp/decode.js';
import { psrpHeadersOf } from './replay-ids.js';
import { firstDifference, type MatchMode } from './replay-match.js';
import { ReplaySession } from './replay-session.js';

export type { MatchMode } from './replay-match.js';

export interface UnmatchedRequest {
  /** 0-based index of the request among those received. */
  readonly index: number;
  readonly operation: string;
  readonly shellId: string | undefined;
  readonly commandId: string | undefined;
  readonly reason: string;
  /** Strict mode: the recorded exchange the request was compared with and found different from. */
  readonly exchange?: number;
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
  /**
   * `strict` (the default) also compares each request with the recorded one:
   * action, resource URI, selectors, options both carry, PSRP message types and
   * their key fields (script text and parameters of CREATE_PIPELINE, input
   * objects, host responses), WinRS command line, stdin and signal code. A
   * difference is answered with a fault naming the exchange and the first
   * difference. `lenient` matches on operation and target only.
   */
  readonly match?: MatchMode;
}

/** The PSRP message types that start in a request's data, in order ('?' for data that is not PSRP). */
export function psrpMessageTypes(body: string): string[] {
  return psrpHeadersOf(body).map((h) => h.type);
}

export interface ReplayServer {
  readonly url: string;
  readonly unmatched: readonly UnmatchedRequest[];
  readonly served: readonly ServedRequest[];
  /** Requests per operation. */
  readonly stats: Readonly<Record<string, number>>;
  /** Receives held and answered with a timeout because their recorded answers were used up. */
  readonly heldReceives: number;
  /**
   * Sends that only ended a recorded command's stdin (End="true", no data) where the
   * recording has no Send for it, answered with an empty SendResponse (closeStdin).
   */
  readonly stdinEnds: number;
  /** Recorded exchanges that were never asked for (by any client). */
  remaining(): Exchange[];
  /** Per recorded exchange: used (answered), mismatched (strict mode found a difference) or unused. */
  report(): ExchangeUse[];
  close(): Promise<void>;
}

export interface ExchangeUse {
  readonly exchange: number;
  readonly operation: string;
  readonly use: 'used' | 'mismatched' | 'unused';
  /** The first difference, for a mismatched exchange. */
  readonly difference?: string;
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

/** A Send whose only stream is stdin, empty, with End="true". */
function isBareStdinEnd(xml: string): boolean {
  const streams = [...xml.matchAll(/<(?:[\w-]+:)?Stream\b([^>]*?)(?:\/>|>([^<]*)<\/(?:[\w-]+:)?Stream>)/g)];
  return streams.length === 1 && /\bName="stdin"/.test(streams[0]![1]!) && /\bEnd="true"/i.test(streams[0]![1]!) && (streams[0]![2] ?? '').trim() === '';
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


const SHELL_ID_IN_ANSWER = /<(?:[\w-]+:)?(?:ShellId>|Selector Name="ShellId">)([^<]+)</;

export async function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  const rec = options.recording;
  const maxDelay = options.maxDelayMs ?? 2000;
  const maxBody = options.maxRequestBytes ?? 16 * 1024 * 1024;
  const strict = (options.match ?? 'strict') === 'strict';
  const sessions: ReplaySession[] = [];
  // live ShellId (upper case) -> the session that created it
  const shells = new Map<string, ReplaySession>();
  const mismatched = new Map<number, string>();
  const unmatched: UnmatchedRequest[] = [];
  const served: ServedRequest[] = [];
  const stats: Record<string, number> = {};
  let counter = 0;
  let heldReceives = 0;
  let stdinEnds = 0;
  let url = '';

  const newSession = () => {
    const s = new ReplaySession(rec, sessions.length > 0);
    sessions.push(s);
    return s;
  };

  // A Create goes to the newest session with a recorded Create left (one client opening
  // several shells), else starts a new one; a request naming a shell goes to the session
  // that created it; other requests to the newest session that has one left.
  function sessionFor(info: RequestInfo): ReplaySession {
    if (info.shellId && info.operation !== 'Create') {
      const s = shells.get(info.shellId.toUpperCase());
      if (s) return s;
    }
    const newest = sessions[sessions.length - 1];
    if (info.operation === 'Create') return newest && newest.createsLeft > 0 ? newest : newSession();
    if (info.shellId) return newest ?? newSession();
    return [...sessions].reverse().find((s) => s.hasLeft(info.operation)) ?? newest ?? newSession();
  }

  function rewrite(body: string, info: RequestInfo, session: ReplaySession, psrp: boolean): string {
    let out = session.ids.rewriteAnswer(body, psrp);
    if (info.messageId) {
      out = out.replace(RELATES_TO, (_m, open: string, _old: string, close: string) => `${open}uuid:${info.messageId}${close}`);
      out = out.split('${messageId}').join(`uuid:${info.messageId}`);
    }
    return out.split('${serviceUrl}').join(url);
  }

  function refuse(res: ServerResponse, u: UnmatchedRequest, messageId: string | undefined): void {
    unmatched.push(u);
    options.onUnmatched?.(u);
    res.writeHead(500, { 'content-type': 'application/soap+xml;charset=UTF-8' }).end(faultBody(u.reason, messageId));
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
    const session = sessionFor(info);
    const { slot, reason } = session.take(info, text);
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
    const target = { index, operation: info.operation, shellId: info.shellId, commandId: info.commandId };
    // A client that closes an unused stdin (psremote's closeStdin, ssh -n) sends an empty
    // End the recorded client (pywinrm, WinRMSharp, …) did not: no data, no intent to
    // compare, as for the signal a client cleans up with. Answered as Windows answers a
    // Send to a running command; never when the recording has a Send left for it.
    if (!slot && info.operation === 'Send' && info.commandId && isBareStdinEnd(text) && rec.exchanges.some((x) => x.commandId?.toUpperCase() === session.ids.toRecorded(info.commandId)?.toUpperCase())) {
      stdinEnds++;
      const body = envelope(ACTION.SendResponse, info.messageId, '<rsp:SendResponse/>', randomUUID());
      res.writeHead(200, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (!slot) return refuse(res, { ...target, reason: reason ?? 'unmatched' }, info.messageId);
    const x = slot.exchange;
    const psrp = (info.resourceUri ?? x.resourceUri ?? '').startsWith(POWERSHELL_RESOURCE_PREFIX);
    const difference = strict
      ? firstDifference(text, x.request, (id) => session.ids.toRecorded(id))
      : options.checkPsrp !== false && psrp
        ? psrpDifference(text, x.request)
        : undefined;
    if (difference) {
      mismatched.set(slot.index, difference);
      return refuse(res, { ...target, exchange: slot.index, reason: `request ${index} (${info.operation}) differs from recorded exchange ${slot.index}: ${difference}` }, info.messageId);
    }
    session.used.add(slot.index);
    if (x.delayMs) await new Promise((r) => setTimeout(r, Math.min(x.delayMs!, maxDelay)));
    served.push({ ...target, exchange: slot.index, status: x.response.status, request: text });
    if (x.connectionError) {
      req.socket.destroy();
      return;
    }
    if (x.authError) {
      res.writeHead(401, { 'www-authenticate': 'Negotiate' }).end();
      return;
    }
    const body = rewrite(x.response.body, info, session, psrp);
    if (info.operation === 'Create') {
      const sid = SHELL_ID_IN_ANSWER.exec(body)?.[1]?.trim();
      if (sid) shells.set(sid.toUpperCase(), session);
      if (info.shellId) shells.set(info.shellId.toUpperCase(), session);
    }
    res.writeHead(x.response.status, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String((e as Error).message));
    });
  });
  const listening = await listenForWsman(server, { port: options.port, host: options.host });
  url = listening.url;
  const usedAnywhere = (i: number) => sessions.some((s) => s.used.has(i));
  return {
    url,
    unmatched,
    served,
    stats,
    get heldReceives() {
      return heldReceives;
    },
    get stdinEnds() {
      return stdinEnds;
    },
    remaining: () => rec.exchanges.filter((_x, i) => !usedAnywhere(i)),
    report: () =>
      rec.exchanges.map((x, i) => {
        const d = mismatched.get(i);
        if (usedAnywhere(i)) return { exchange: i, operation: x.operation, use: 'used' as const };
        return d ? { exchange: i, operation: x.operation, use: 'mismatched' as const, difference: d } : { exchange: i, operation: x.operation, use: 'unused' as const };
      }),
    close: () => listening.close(),
  };
}

// Lenient mode still checks the PSRP message types unless told not to.
function psrpDifference(live: string, recorded: string): string | undefined {
  const sent = psrpMessageTypes(live);
  const rec = psrpMessageTypes(recorded);
  return sent.join(',') === rec.join(',') ? undefined : `PSRP messages: sent [${sent.join(', ')}], recorded [${rec.join(', ')}]`;
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
