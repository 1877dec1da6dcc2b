// A pool runs many pipelines over its life (issue 24): once a pipeline has ended
// and its messages were taken, neither core keeps anything for it: no pipeline
// entry, no outgoing queue, nothing received and unprocessed. Checked with `held`,
// which first shows the same counts while a pipeline is under way.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { ClientPowerShell, PSInvocationState as I } from '../../../src/psrp/index.js';
import { openPair } from '../helpers/pool-pair.js';

const IDLE = { outgoingQueues: 0, pendingMessages: 0, pendingBytes: 0, inboxPayloads: 0, readyMessages: 0, partialMessages: 0, receivedBytes: 0 };

describe('1,000 pipelines on one pool, client and server cores in memory', () => {
  test('nothing is held for the finished ones', { timeout: 120_000 }, () => {
    // A small budget: messages travel in several fragments, so reassembly is exercised.
    const pair = openPair({ clientBudget: 1000, serverBudget: 1000 });
    expect(pair.client.held).toEqual(IDLE);
    expect(pair.server.held).toEqual(IDLE);

    // Under way: a queued CREATE_PIPELINE is held until taken.
    const first = new ClientPowerShell(pair.client, { pipelineId: randomUUID() }).addScript('Write-Output 1');
    first.start();
    expect(pair.client.held).toMatchObject({ outgoingQueues: 1, pendingMessages: 1 });
    expect(pair.client.held.pendingBytes).toBeGreaterThan(0);
    expect(pair.client.pipelines.size).toBe(1);
    pair.toServer();
    pair.server.pipelines.get(first.pipelineId)!.start();
    pair.server.pipelines.get(first.pipelineId)!.writeOutput('x'.repeat(500));
    expect(pair.server.held.outgoingQueues).toBe(1);
    pair.server.pipelines.get(first.pipelineId)!.complete();
    pair.toClient();
    first.close();

    for (let i = 0; i < 1000; i++) {
      const ps = new ClientPowerShell(pair.client, { pipelineId: randomUUID() }).addScript(`Write-Output ${i}`);
      ps.start();
      pair.toServer();
      const sp = pair.server.pipelines.get(ps.pipelineId)!;
      sp.start();
      sp.writeOutput(i);
      sp.complete();
      const events = pair.toClient();
      expect(events.at(-1)).toMatchObject({ type: 'PipelineState', state: I.Completed });
      ps.close();
    }
    expect(pair.client.held).toEqual(IDLE);
    expect(pair.server.held).toEqual(IDLE);
    expect(pair.client.pipelines.size).toBe(0);
    expect(pair.server.pipelines.size).toBe(0);
  });
});
