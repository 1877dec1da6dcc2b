// A ClientRunspacePool and a ServerRunspacePool linked in memory, with a byte
// budget per direction (psrpcore's conftest get_runspace_pair, h11's
// ConnectionPair). Every payload is checked to obey the packing rule: one
// target and one stream per payload, never larger than the budget.

import { expect } from 'vitest';
import {
  ClientRunspacePool,
  ServerRunspacePool,
  decodeFragments,
  decodeMessage,
  type ClientRunspacePoolOptions,
  type OutgoingPayload,
  type PsrpEvent,
  type ServerRunspacePoolOptions,
} from '../../../src/psrp/index.js';
import { Defragmenter } from '../../../src/psrp/fragment.js';

export const RPID = 'a1b2c3d4-0000-4000-8000-000000000001';
export const PID1 = 'b1b2c3d4-0000-4000-8000-000000000002';
export const PID2 = 'c1b2c3d4-0000-4000-8000-000000000003';

export interface Pair {
  readonly client: ClientRunspacePool;
  readonly server: ServerRunspacePool;
  /** Payloads sent so far, per direction. */
  readonly sentByClient: OutgoingPayload[];
  readonly sentByServer: OutgoingPayload[];
  /** Move everything the client has queued to the server; returns the server's events. */
  toServer(): PsrpEvent[];
  /** Move everything the server has queued to the client; returns the client's events. */
  toClient(): PsrpEvent[];
}

/** Check one payload: within budget, whole fragments, every message for the declared target. */
function checkPayload(p: OutgoingPayload, budget: number, check: Defragmenter): void {
  expect(p.data.byteLength).toBeLessThanOrEqual(budget);
  expect(p.data.byteLength).toBeGreaterThan(21);
  decodeFragments(p.data);
  for (const m of check.receive(p.data)) {
    const msg = decodeMessage(m.data);
    expect(msg.pipelineId === '00000000-0000-0000-0000-000000000000' ? undefined : msg.pipelineId).toBe(p.pipelineId);
    const isResponse = msg.messageType === 0x00021101 || msg.messageType === 0x00041101;
    expect(p.streamType).toBe(isResponse ? 'promptResponse' : 'default');
  }
}

export function makePair(
  options: {
    client?: Partial<ClientRunspacePoolOptions>;
    server?: ServerRunspacePoolOptions;
    clientBudget?: number;
    serverBudget?: number;
  } = {},
): Pair {
  const client = new ClientRunspacePool({ runspacePoolId: RPID, ...options.client });
  const server = new ServerRunspacePool(options.server ?? {});
  const clientBudget = options.clientBudget ?? 32768;
  const serverBudget = options.serverBudget ?? 32768;
  const sentByClient: OutgoingPayload[] = [];
  const sentByServer: OutgoingPayload[] = [];
  const checkC = new Defragmenter();
  const checkS = new Defragmenter();
  const pump = (
    from: ClientRunspacePool | ServerRunspacePool,
    to: ClientRunspacePool | ServerRunspacePool,
    budget: number,
    log: OutgoingPayload[],
    check: Defragmenter,
  ): PsrpEvent[] => {
    const events: PsrpEvent[] = [];
    for (let p = from.dataToSend(budget); p !== undefined; p = from.dataToSend(budget)) {
      checkPayload(p, budget, check);
      log.push(p);
      to.receiveData(p.data);
      for (let e = to.nextEvent(); e !== undefined; e = to.nextEvent()) events.push(e);
    }
    return events;
  };
  return {
    client,
    server,
    sentByClient,
    sentByServer,
    toServer: () => pump(client, server, clientBudget, sentByClient, checkC),
    toClient: () => pump(server, client, serverBudget, sentByServer, checkS),
  };
}

/** A pair with the pool opened (the usual starting point). */
export function openPair(options: Parameters<typeof makePair>[0] = {}): Pair {
  const pair = makePair(options);
  pair.client.open();
  pair.toServer();
  pair.server.open();
  pair.toClient();
  return pair;
}

export function types(events: readonly PsrpEvent[]): string[] {
  return events.map((e) => e.type);
}
