// Streaming a caller's input objects into a running pipeline ($input).

import type { PSInput } from '../clixml/index.js';
import { PSInvocationState, type ClientPowerShell } from '../psrp/index.js';

/**
 * Once `started` resolves, queues each input object in `core` and `flush`es it,
 * then the end of input; stops early when the pipeline is no longer Running.
 * What keeps the input from being sent goes to `failed`.
 */
export async function pumpInput(
  core: ClientPowerShell,
  input: AsyncIterable<PSInput> | Iterable<PSInput>,
  started: Promise<void>,
  flush: (signal?: AbortSignal) => Promise<void>,
  failed: (e: unknown) => void,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await started;
    if (Array.isArray(input)) {
      // All of it is here already: queue it with its end and send it as PowerShell's
      // client does, packed into as few payloads as the budget allows (golden traces,
      // spec-notes/real-engine.md), not one acknowledged round trip per object.
      for (const item of input as readonly PSInput[]) {
        if (core.state !== PSInvocationState.Running) return;
        core.sendInput(item);
      }
      if (core.state === PSInvocationState.Running) core.sendEnd();
      await flush(signal);
      return;
    }
    for await (const item of input as AsyncIterable<PSInput>) {
      if (core.state !== PSInvocationState.Running) return;
      core.sendInput(item);
      await flush(signal);
    }
    if (core.state === PSInvocationState.Running) {
      core.sendEnd();
      await flush(signal);
    }
  } catch (e) {
    failed(e);
  }
}
