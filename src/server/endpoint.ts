// The local WinRM endpoint behind `psremote serve`: a WS-Management server on
// loopback that answers the way Windows does (envelopes and faults modelled on
// the recordings in fixtures/upstream). WinRS shells run their commands through
// the local shell; PowerShell shells run on psremote's scripted PSRP engine
// (script handlers instead of PowerShell) or on PowerShell's own (realEngine).
// This file is the HTTP front: the checks made before any processing
// (request-guard.ts: CSRF, DNS rebinding, body size), authentication (AuthGate,
// from the headers, before any body is kept), the owner check (a shell belongs
// to the user who created it, as on Windows), fault injection, recording, and
// dispatch by operation to shell-operations.ts, which works on the shells held
// in shell-table.ts. Connections, header and body time are bounded here too.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { totalmem, userInfo } from 'node:os';
import { childElement } from '../util/xml.js';
import { ACTION, NS } from '../wsman/namespaces.js';
import { readEnvelope, type WSManMessage } from '../wsman/reader.js';
import type { ScriptHandler } from './scripted-engine.js';
import type { EndpointOptions, LocalEndpoint } from './endpoint-options.js';
import { describeRequest, type RequestInfo } from './recording.js';
import { ACCESS_DENIED_FAULT, FAULTS, envelope, faultEnvelope, identifyResponse } from './responses.js';
import { demoHandler } from './demo-handler.js';
import { FaultInjector } from './faults.js';
import type { CmdHandler } from './commands.js';
import { RecordingFile } from './recording-file.js';
import { listenForWsman } from './listen.js';
import { AuthGate, type EndpointAuthScheme, type EndpointUser } from './auth-gate.js';
import type { ChannelBindingPolicy } from '../auth/ntlm/acceptor.js';
import type { ServiceKey } from '../auth/kerberos/gss/acceptor.js';
import { storeDelegated } from './kerberos-delegation.js';
import { Fault, ShellTable } from './shell-table.js';
import { systemClock, type Clock } from '../util/clock.js';
import { DropNotice } from './drop-notice.js';
import { trimLog } from './bounded-log.js';
import { ShellOperations } from './shell-operations.js';
import { readBody, refuseBeforeProcessing } from './request-guard.js';

export type { CmdHandler } from './commands.js';
export type { EndpointOptions, EndpointStats, LocalEndpoint } from './endpoint-options.js';

/** The account this process runs as, owner of every shell when there is no authentication (os.userInfo() reads the passwd database: once, not per request). */
let processUser: string | undefined;
const localUser = (): string => (processUser ??= userInfo().username);

export async function startEndpoint(options: EndpointOptions = {}): Promise<LocalEndpoint> {
  const requests: Record<string, number> = {};
  const log: { operation: string; shellId?: string | undefined; commandId?: string | undefined; status: number; user?: string | undefined; reason?: string }[] = [];
  const logLimit = options.logLimit ?? 10_000;
  const maxOpMs = options.maxOperationTimeoutMs ?? 60_000;
  const maxEnvelope = (options.maxEnvelopeSizeKb ?? 500) * 1024;
  const fallback = options.handler ?? demoHandler;
  const named = new Map(Object.entries(options.psCommands ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const handler: ScriptHandler = named.size
    ? (ctx) => (named.get(/^\s*([^\s;|]+)/.exec(ctx.commandText)?.[1]?.toLowerCase() ?? '') ?? fallback)(ctx)
    : fallback;
  let url = '';
  let bytesIn = 0;
  let bytesOut = 0;
  let refused = 0;
  let connectionsDropped = 0;
  const faults = new FaultInjector();
  const recorder = options.recordPath ? new RecordingFile(options.recordPath, 'psremote serve') : undefined;
  const table = new ShellTable({
    idleDisconnectMs: options.idleDisconnectMs ?? 0,
    maxShellsPerUser: options.quotas?.maxShellsPerUser ?? 30,
    maxCommandsPerShell: options.quotas?.maxCommandsPerShell ?? 1500,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const ops = new ShellOperations(table, {
    url: () => url,
    handler,
    realEngine: options.realEngine,
    configurations: options.configurations,
    serviceConfig: () => {
      const schemes = options.auth ?? ['basic'];
      const cbt = options.channelBindingPolicy ?? 'relaxed';
      return {
        maxEnvelopeSizeKb: maxEnvelope / 1024,
        maxTimeoutMs: maxOpMs,
        allowUnencrypted: options.allowUnencrypted === true,
        auth: { basic: schemes.includes('basic'), negotiate: schemes.includes('ntlm'), kerberos: false, certificate: false, credSSP: schemes.includes('credssp'), cbtHardeningLevel: cbt[0]!.toUpperCase() + cbt.slice(1) },
        maxConcurrentOperationsPerUser: options.quotas?.maxCommandsPerShell ?? 1500,
        maxShellsPerUser: options.quotas?.maxShellsPerUser ?? 30,
        idleTimeoutMs: 7_200_000,
      };
    },
    cmdCommands: options.cmdCommands,
    maxOperationTimeoutMs: maxOpMs,
    maxEnvelopeBytes: maxEnvelope,
    maxReceiveBytes: options.maxReceiveBytes ?? 96 * 1024,
    maxBufferedOutputBytes: options.maxBufferedOutputBytes,
    onEngineFailure: (shellId, reason) => log.push({ operation: 'engine', shellId, status: 500, reason }),
  });

  // Room above MaxEnvelopeSize for sealing and multipart framing, so that a somewhat
  // large envelope still gets Windows' EncodingLimit fault; past it nothing more is read.
  const maxBody = maxEnvelope * 2 + 64 * 1024;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    trimLog(log, logLimit);
    const refusal = refuseBeforeProcessing(req, { bound: new URL(url).hostname, allowedHosts: options.allowedHosts ?? [] }, maxBody);
    if (refusal) {
      refused++;
      log.push({ operation: 'refused', status: refusal.status, reason: refusal.reason });
      res.writeHead(refusal.status, { 'content-type': 'text/plain', connection: 'close' }).end(refusal.reason);
      req.socket.destroySoon();
      return;
    }
    const step = await gate.inbound(req);
    // Unauthenticated: the body is read and dropped, never kept.
    const read = await readBody(req, maxBody, step.kind === 'read', (n) => (bytesIn += n));
    if (read === undefined) {
      log.push({ operation: 'invalid', status: 413, reason: `request body over ${maxBody} bytes` });
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end(`request body over ${maxBody} bytes`);
      req.socket.destroySoon();
      return;
    }
    const gated = step.kind === 'read' ? await step.finish(read) : step;
    const size = read.length;
    if (gated.kind === 'reply') {
      log.push({ operation: 'auth', status: gated.status, reason: gated.reason });
      res.writeHead(gated.status, gated.headers).end(gated.body);
      return;
    }
    if (gated.body.length === 0 && gated.user !== undefined) {
      // The empty POST clients send to authenticate before sealing (pywinrm, pypsrp).
      log.push({ operation: 'auth', status: 200 });
      res.writeHead(200, { ...gated.headers, 'content-length': 0 }).end();
      return;
    }
    const user = gated.user ?? '';
    const owner = user || localUser();
    const admin = gate.isAdmin(gated.user);
    const messageId = randomUUID();
    // Recorded as plain SOAP, after message encryption was removed; made only
    // when a recorder or a fault rewrite needs it (a 2 MB Send is not copied to a string for nothing).
    const requestText = () => gated.body.toString('utf8');
    let m: WSManMessage;
    let info: RequestInfo;
    try {
      m = readEnvelope(gated.body, { operation: 'request', role: 'request' });
      info = describeRequest(m);
    } catch {
      log.push({ operation: 'invalid', status: 400 });
      res.writeHead(400, { 'content-type': 'text/plain' }).end('not a SOAP envelope');
      return;
    }
    const isIdentify = info.action === undefined && childElement(m.envelope.body, NS.identity, 'Identify') !== undefined;
    const op = isIdentify ? 'Identify' : info.operation;
    requests[op] = (requests[op] ?? 0) + 1;
    const injected = faults.match(op, info.shellId, info.commandId);
    if (injected?.type === 'drop') {
      log.push({ operation: op, shellId: info.shellId, commandId: info.commandId, status: 0, user });
      req.socket.destroy();
      return;
    }
    if (injected?.type === 'status') {
      const text = injected.body ?? `<html><body>HTTP Error ${injected.status}</body></html>`;
      log.push({ operation: op, shellId: info.shellId, commandId: info.commandId, status: injected.status, user });
      res.writeHead(injected.status, { 'content-type': injected.contentType ?? 'text/html', 'content-length': Buffer.byteLength(text) }).end(text);
      return;
    }
    if (injected?.type === 'rewrite' && injected.request) m = readEnvelope(Buffer.from(injected.request(requestText()), 'utf8'), { operation: 'request', role: 'request' });
    const env = m.envelope;
    if (injected?.type === 'delay') await new Promise((r) => setTimeout(r, injected.ms));
    if (injected?.type === 'cut') {
      const timer = setTimeout(() => req.socket.destroy(), injected.ms);
      res.once('finish', () => clearTimeout(timer));
      req.socket.once('close', () => clearTimeout(timer));
    }
    let status = 200;
    let body: string;
    try {
      if (size > maxEnvelope) throw new Fault(FAULTS.maxEnvelopeSize);
      // A shell is its owner's: another user gets Windows' AccessDenied, whatever the
      // operation; an administrator may also Get and Delete it.
      const target = op !== 'Create' && op !== 'Enumerate' && info.shellId ? table.find(info.shellId) : undefined;
      if (target && target.owner !== owner && !(admin && (op === 'Delete' || op === 'Get'))) throw new Fault(ACCESS_DENIED_FAULT);
      let answer: string | Fault;
      switch (op) {
        case 'Identify':
          answer = identifyResponse();
          break;
        // The shell operations answer through the shell's protocol core (wsman/server-shell.ts).
        case 'Create':
          answer = envelope(ACTION.CreateResponse, info.messageId, ops.create(m, info, owner, gated.delegatedUser, gated.delegated), messageId);
          break;
        case 'Command':
          answer = ops.command(m, info);
          break;
        case 'Send':
          answer = (await ops.roomToSend(env, info, req)) ? ops.send(m, info) : new Fault(FAULTS.timedOut);
          break;
        case 'Receive':
          answer = await ops.receive(m, info, req);
          break;
        case 'Signal':
          answer = ops.signal(m, info);
          break;
        case 'Delete':
          answer = ops.delete(m, info);
          break;
        case 'Disconnect':
          answer = ops.disconnect(m, info);
          break;
        case 'Reconnect':
          answer = ops.reconnect(m, info);
          break;
        case 'Connect':
          answer = await ops.connect(m, info);
          break;
        case 'Enumerate':
          answer = ops.enumerate(m, info, (s) => admin || s.owner === owner);
          break;
        case 'Get':
          answer = envelope(ACTION.GetResponse, info.messageId, ops.get(info), messageId);
          break;
        default:
          answer = new Fault(FAULTS.actionNotSupported);
      }
      if (answer instanceof Fault) throw answer;
      body = answer;
    } catch (e) {
      const f = e instanceof Fault ? e : new Fault({ ...FAULTS.invalidParameter, reason: (e as Error).message });
      status = f.status;
      body = faultEnvelope(f.spec, info.messageId, messageId);
    }
    log.push({ operation: op, shellId: info.shellId, commandId: info.commandId, status, user });
    if (injected?.type === 'dropAfter') {
      req.socket.destroy();
      return;
    }
    if (req.socket.destroyed) return;
    if (injected?.type === 'rewrite' && injected.response) body = injected.response(body);
    recorder?.append({ operation: op, request: requestText(), response: { status, body } });
    bytesOut += Buffer.byteLength(body);
    const out = await gated.seal(status, body);
    res.writeHead(out.status, { ...out.headers, 'content-length': out.body.length }).end(out.body);
  }

  const gate = new AuthGate({
    users: options.users,
    schemes: options.auth ?? ['basic'],
    secure: options.tls !== undefined,
    certificate: options.tls?.cert,
    ...(options.channelBindingPolicy ? { channelBindingPolicy: options.channelBindingPolicy } : {}),
    ...(options.allowUnencrypted !== undefined ? { allowUnencrypted: options.allowUnencrypted } : {}),
    ...(options.keytab ? { keytab: options.keytab } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.delegationDir ? { onKerberos: (r) => storeDelegated(options.delegationDir!, r) } : {}),
    credssp: options.credsspTls ?? options.tls,
    ...(options.onDelegatedCredentials ? { onCredSsp: (a, user) => options.onDelegatedCredentials!(user, a.delegated) } : {}),
  });
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String((e as Error)?.message ?? e));
    });
  };
  // Slow clients are cut by Node's own checks, run often enough for short timeouts.
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
  const httpOptions = { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))) };
  const server = options.tls
    ? createHttpsServer({ ...httpOptions, cert: options.tls.cert, key: options.tls.key }, listener)
    : createServer(httpOptions, listener);
  server.keepAliveTimeout = 120_000;
  server.maxConnections = options.maxConnections ?? Math.min(4096, Math.max(256, Math.floor(totalmem() / 16 / maxBody)));
  const drops = new DropNotice({
    limit: server.maxConnections,
    clock: options.clock ?? systemClock,
    emit: (line) => {
      trimLog(log, logLimit);
      log.push({ operation: 'dropped', status: 0, reason: line });
      options.onNotice?.(line);
    },
  });
  server.on('drop', () => {
    connectionsDropped++;
    drops.dropped();
  });
  const listening = await listenForWsman(server, { port: options.port, host: options.host, secure: options.tls !== undefined });
  url = listening.url;
  return {
    url,
    stats: {
      requests,
      get openShells() {
        return table.size;
      },
      get idleDisconnects() {
        return table.idleDisconnects;
      },
      get expired() {
        return table.expired;
      },
      get bytesIn() {
        return bytesIn;
      },
      get bytesOut() {
        return bytesOut;
      },
      get refused() {
        return refused;
      },
      get connectionsDropped() {
        return connectionsDropped;
      },
      get bufferedOutputBytes() {
        return table.bufferedOutputBytes();
      },
      get commandsHeld() {
        return table.held().commandsHeld;
      },
      get bufferedBytes() {
        return table.held().bufferedBytes;
      },
      get pendingReceives() {
        return table.held().pendingReceives;
      },
      get enginePipelines() {
        return table.held().enginePipelines;
      },
      get recentlyDone() {
        return table.held().recentlyDone;
      },
      get logEntries() {
        return log.length;
      },
    },
    log,
    faults,
    shells: () =>
      [...table.all()].map((s) => ({ shellId: s.id, kind: s.kind, state: s.state, owner: s.owner, commands: [...s.commands.keys()] })),
    killShell: (shellId) => {
      const s = table.find(shellId);
      if (!s) return false;
      table.drop(s);
      return true;
    },
    close: async () => {
      table.close();
      drops.flush();
      await listening.close();
      recorder?.close();
    },
  };
}
