// The fault matrix (spec-notes/fault-matrix.md): each fault × each step of a
// PowerShell session's life, against psremote's local endpoint, one test per
// cell named `<fault> × <step>`. A cell either recovers (the step and the rest
// of the scenario gives exactly the expected output: nothing lost, nothing
// repeated) or fails with the typed error the table names; either way no shell
// is left on the server once the client has closed.
//
// Faults: drop (connection destroyed before the server processed the request),
// delay past the client's read timeout, HTTP 500 and 503 with an HTML body (a
// broken proxy, an overloaded IIS), an HTML page answered with 200 (a captive
// portal), duplicate (the request reaches the server twice, as through a
// retransmitting proxy: the client's transport sends it twice and reads the
// second answer), and kill (the shell's engine dies: the endpoint drops the
// shell, as its killShell does, just before the request).
// The endpoint's own fault injection (ep.faults) does the first five; the last
// two wrap the client's transport. Hand-made faults: no real server shows them.
import { afterEach, describe, expect, test } from 'vitest';
import { PsRemoteError } from '../../src/errors.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';
import type { FaultAction } from '../../src/server/faults.js';
import { wsmanCarrier } from '../../src/session/open.js';
import { RunspacePool } from '../../src/session/runspace-pool.js';
import type { ScriptContext } from '../../src/server/scripted-engine.js';
import type { TransportRequest } from '../../src/transport/transport.js';

type Fault = 'drop' | 'delay' | '500' | '503' | 'html' | 'duplicate' | 'kill';
type Step = 'open' | 'command' | 'receive' | 'send' | 'signal' | 'disconnect' | 'connect' | 'close';

/** What a cell does: recovers, or fails with this error code at its step. */
type Outcome = 'recovers' | { readonly fails: string; readonly leavesShell?: true };

const OP_TIMEOUT_MS = 1_000;
const READ_MARGIN_MS = 1_500;

async function handler(ctx: ScriptContext): Promise<void> {
  const t = ctx.commandText;
  if (t.startsWith('echo ')) return ctx.output(t.slice(5));
  if (t === 'count') {
    for (let i = 1; i <= 20; i++) {
      ctx.output(i);
      await new Promise((r) => setTimeout(r, 2));
    }
    return;
  }
  if (t === '$input') {
    for await (const v of ctx.input) ctx.output(v);
    return;
  }
  if (t === 'wait') {
    ctx.output('started');
    await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
    return;
  }
  throw new Error(`unexpected script ${t}`);
}

/** The WSMan operation a step's fault goes on. */
const OPERATION: Record<Step, string> = {
  open: 'Create',
  command: 'Command',
  receive: 'Receive',
  send: 'Send',
  signal: 'Signal',
  disconnect: 'Disconnect',
  connect: 'Reconnect',
  close: 'Delete',
};

const HTML_500 = { type: 'status', status: 500 } as const;
const HTML_503 = { type: 'status', status: 503 } as const;
const CAPTIVE = { type: 'status', status: 200, contentType: 'text/html', body: '<html><head><title>Sign in to the network</title></head><body>portal</body></html>' } as const;

function endpointAction(fault: Fault): FaultAction | undefined {
  switch (fault) {
    case 'drop':
      return { type: 'drop' };
    case 'delay':
      return { type: 'delay', ms: OP_TIMEOUT_MS + READ_MARGIN_MS + 1_000 }; // 3.5 s, past the 2.5 s read timeout
    case '500':
      return HTML_500;
    case '503':
      return HTML_503;
    case 'html':
      return CAPTIVE;
    default:
      return undefined;
  }
}

const R = 'recovers' as const;
const fails = (code: string): Outcome => ({ fails: code });

/**
 * The expected outcome of each cell. Receives (after the pool is open) are the
 * only requests retried: their network failures (drop, delay, 503) recover with
 * the same SequenceId; everything else fails with its typed error at once.
 */
const MATRIX: Record<Fault, Record<Step, Outcome>> = {
  drop: { open: fails('PSR_TRANSPORT'), command: fails('PSR_TRANSPORT'), receive: R, send: fails('PSR_TRANSPORT'), signal: fails('PSR_TRANSPORT'), disconnect: fails('PSR_TRANSPORT'), connect: fails('PSR_TRANSPORT'), close: R },
  // A Create the server processes after the client gave up makes a shell the client cannot know of: the one cell that leaves a shell (until its idle timeout).
  delay: { open: { fails: 'PSR_TIMEOUT', leavesShell: true }, command: fails('PSR_TIMEOUT'), receive: R, send: fails('PSR_TIMEOUT'), signal: fails('PSR_TIMEOUT'), disconnect: fails('PSR_TIMEOUT'), connect: fails('PSR_TIMEOUT'), close: R },
  '500': { open: fails('PSR_TRANSPORT_HTTP_STATUS'), command: fails('PSR_TRANSPORT_HTTP_STATUS'), receive: fails('PSR_TRANSPORT_HTTP_STATUS'), send: fails('PSR_TRANSPORT_HTTP_STATUS'), signal: fails('PSR_TRANSPORT_HTTP_STATUS'), disconnect: fails('PSR_TRANSPORT_HTTP_STATUS'), connect: fails('PSR_TRANSPORT_HTTP_STATUS'), close: R },
  '503': { open: fails('PSR_TRANSPORT_HTTP_STATUS'), command: fails('PSR_TRANSPORT_HTTP_STATUS'), receive: R, send: fails('PSR_TRANSPORT_HTTP_STATUS'), signal: fails('PSR_TRANSPORT_HTTP_STATUS'), disconnect: fails('PSR_TRANSPORT_HTTP_STATUS'), connect: fails('PSR_TRANSPORT_HTTP_STATUS'), close: R },
  html: { open: fails('PSR_WSMAN_INVALID'), command: fails('PSR_WSMAN_INVALID'), receive: fails('PSR_WSMAN_INVALID'), send: fails('PSR_WSMAN_INVALID'), signal: fails('PSR_WSMAN_INVALID'), disconnect: fails('PSR_WSMAN_INVALID'), connect: fails('PSR_WSMAN_INVALID'), close: R },
  duplicate: { open: R, command: R, receive: R, send: R, signal: R, disconnect: R, connect: R, close: R },
  kill: { open: fails('PSR_SESSION_NOT_FOUND'), command: fails('PSR_SESSION_NOT_FOUND'), receive: fails('PSR_SESSION_NOT_FOUND'), send: fails('PSR_SESSION_NOT_FOUND'), signal: fails('PSR_WSMAN_FAULT'), disconnect: fails('PSR_SESSION_NOT_FOUND'), connect: fails('PSR_SESSION_NOT_FOUND'), close: R },
};

let ep: LocalEndpoint | undefined;
let pool: RunspacePool | undefined;
afterEach(async () => {
  await pool?.close().catch(() => undefined);
  await ep?.close();
  pool = ep = lastArmed = undefined;
});

interface Armed {
  /** The step's request is about to go out: arm the fault on it. */
  arm(): void;
  /** The fault was applied to a request (by the transport wrapper or the endpoint). */
  fired(): boolean;
}

/** Opens a pool whose transport can duplicate a request or kill the shell just before one. */
async function openPool(e: LocalEndpoint, fault: Fault, step: Step, armNow: boolean, onArmed: (a: Armed) => void): Promise<{ pool: RunspacePool; armed: Armed }> {
  const carrier = wsmanCarrier({ endpoint: e.url, readTimeoutMarginMs: READ_MARGIN_MS }, {
    operationTimeoutMs: OP_TIMEOUT_MS,
    networkRetryMs: 15_000,
    retryDelayMs: 20,
  });
  const op = OPERATION[step];
  let armedAt = Number.POSITIVE_INFINITY;
  let fired = false;
  const transport = carrier.client.transport;
  const post = transport.post.bind(transport);
  const isTarget = (req: TransportRequest) => {
    if (fired || req.operation !== (step === 'open' && fault === 'kill' ? 'Receive' : op)) return false;
    // A Receive fault goes on a command's Receive, not the pool's own keep-alive one.
    if (step === 'receive' && !/CommandId=/.test(String(req.body))) return false;
    return Date.now() >= armedAt;
  };
  transport.post = async (req: TransportRequest) => {
    if (isTarget(req)) {
      fired = true;
      if (fault === 'duplicate') {
        await post(req).catch(() => undefined);
        return post(req);
      }
      if (fault === 'kill') for (const s of e.shells()) e.killShell(s.shellId);
    }
    return post(req);
  };
  const action = endpointAction(fault);
  const armed: Armed = {
    fired: () => fired || e.faults.fired.length > 0,
    arm: () => {
      armedAt = 0;
      if (action) e.faults.add({ operation: op, ...(step === 'receive' ? { anyCommand: true } : {}), action });
    },
  };
  onArmed(armed);
  if (armNow) armed.arm();
  return { pool: await RunspacePool.open(carrier, { closeOnExit: false }), armed };
}

/** Runs the scenario with the fault on `step`; resolves with what the steps produced. */
let lastArmed: Armed | undefined;
async function scenario(e: LocalEndpoint, fault: Fault, step: Step): Promise<unknown[]> {
  const seen: unknown[] = [];
  const opened = await openPool(e, fault, step, step === 'open', (a) => (lastArmed = a));
  pool = opened.pool;
  const { armed } = opened;
  const at = (s: Step) => (s === step ? armed.arm() : undefined);
  at('command');
  seen.push(...(await pool.invoke('echo one').result()).output);
  at('receive');
  seen.push(...(await pool.invoke('count').result()).output);
  at('send');
  seen.push(...(await pool.invoke('$input', { input: ['a', 'b', 'c'] }).result()).output);
  const waiting = pool.invoke('wait');
  const it = waiting.output[Symbol.asyncIterator]();
  seen.push((await it.next()).value);
  at('signal');
  await waiting.stop();
  seen.push(waiting.state);
  at('disconnect');
  await pool.disconnect();
  at('connect');
  await pool.reconnect();
  seen.push(...(await pool.invoke('echo two').result()).output);
  at('close');
  await pool.close();
  return seen;
}

const EXPECTED = ['one', ...Array.from({ length: 20 }, (_v, i) => i + 1), 'a', 'b', 'c', 'started', 'Stopped', 'two'];

const FAULTS: readonly Fault[] = ['drop', 'delay', '500', '503', 'html', 'duplicate', 'kill'];
const STEPS: readonly Step[] = ['open', 'command', 'receive', 'send', 'signal', 'disconnect', 'connect', 'close'];

describe('fault matrix', () => {
  for (const fault of FAULTS) {
    for (const step of STEPS) {
      const outcome = MATRIX[fault][step];
      test(`${fault} × ${step}`, async () => {
        ep = await startEndpoint({ handler });
        const result = await scenario(ep, fault, step).then(
          (seen) => ({ ok: true as const, seen }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        await pool?.close().catch(() => undefined);
        expect(lastArmed?.fired()).toBe(true);
        if (fault === 'duplicate') expect(ep.stats.requests[OPERATION[step]]).toBeGreaterThanOrEqual(2);
        if (outcome === 'recovers') {
          expect(result.ok ? result.seen : result.error).toEqual(EXPECTED);
        } else {
          expect(result.ok).toBe(false);
          const error = (result as { error: unknown }).error;
          expect(error).toBeInstanceOf(PsRemoteError);
          expect((error as PsRemoteError).code).toBe(outcome.fails);
        }
        // The client leaves no shell behind on the server (a delayed request is let through first).
        await new Promise((r) => setTimeout(r, fault === 'delay' ? OP_TIMEOUT_MS + READ_MARGIN_MS + 1_200 : 0));
        if (outcome !== 'recovers' && outcome.leavesShell) expect(ep.shells().map((s) => s.state)).toEqual(['Connected']);
        else expect(ep.shells()).toEqual([]);
      }, 30_000);
    }
  }
});
