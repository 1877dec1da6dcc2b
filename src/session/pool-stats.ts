// RunspacePool.stats(): what a pool holds right now, gathered from its PSRP core
// (queues, reassembly, pipelines, host calls), its session-level tables and its
// carrier. Read by tests and by users watching a long-lived session.

import type { ClientRunspacePool } from '../psrp/index.js';
import type { PsrpCarrier } from './carriers/carrier.js';
import type { RunspacePoolStats } from './pool-options.js';

export function poolStats(core: ClientRunspacePool, openPipelines: number, pendingCalls: number, carrier: PsrpCarrier, processHolds: number): RunspacePoolStats {
  const held = core.held;
  let pendingHostCalls = core.pendingHostCalls.size;
  for (const p of core.pipelines.values()) pendingHostCalls += p.pendingHostCalls.size;
  return {
    openPipelines,
    corePipelines: core.pipelines.size,
    // The session waits on the same call ids the core sent: the larger count shows a leak in either.
    pendingCalls: Math.max(pendingCalls, core.pendingCalls.size),
    pendingHostCalls,
    pendingMessages: held.pendingMessages,
    receivedMessages: held.readyMessages + held.partialMessages + held.inboxPayloads,
    bufferedBytes: held.pendingBytes + held.receivedBytes,
    outgoingQueues: held.outgoingQueues,
    carrierPipelines: carrier.held?.().pipelines ?? -1,
    processHolds,
  };
}
