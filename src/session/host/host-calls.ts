// Answering the server's host calls (RUNSPACEPOOL_HOST_CALL, PIPELINE_HOST_CALL)
// with the application's PSHost, and sending the HOST_RESPONSE back.

import { featureSupported, type ClientPipelineBase, type ClientRunspacePool } from '../../psrp/index.js';
import type { PSInput } from '../../clixml/index.js';
import type { HostCall, PSHost } from './host.js';

/** Host methods whose answer may hold a SecureString: the session key must be in place first. */
const SECURE_ANSWERS = new Set(['ReadLineAsSecureString', 'PromptForCredential1', 'PromptForCredential2', 'PromptForCredential', 'Prompt']);

function protocolHasKeyExchange(version: string): boolean {
  return featureSupported('SessionKeyExchange', version);
}

/** What answering a host call needs from the pool. */
export interface HostCallPool {
  readonly core: ClientRunspacePool;
  /** RunspacePool.exchangeKey(). */
  exchangeKey(): Promise<void>;
  /** Sends what the core has queued. */
  flush(): Promise<void>;
}

/**
 * Asks `host`, then answers the call: through `pipeline` when it came from a
 * known pipeline, else through the pool. Resolves once the answer is sent;
 * `failed` gets what kept it from being sent (the caller ends the pipeline or
 * the pool). Void methods (ci < 0) are not answered.
 */
export async function answerHostCall(
  pool: HostCallPool,
  pipeline: ClientPipelineBase | undefined,
  host: PSHost,
  call: HostCall & { readonly ci: bigint },
  failed: (e: unknown) => void,
): Promise<void> {
  const { ci, method, methodId, parameters, pipelineId } = call;
  let result: PSInput | undefined;
  let error: string | undefined;
  try {
    result = await host.call({ method, methodId, parameters, pipelineId });
  } catch (e) {
    error = (e as Error)?.message ?? String(e);
  }
  // Void methods (ci -100) take no response.
  if (ci < 0n) return;
  try {
    if (error === undefined && SECURE_ANSWERS.has(method) && !pool.core.hasSessionKey && protocolHasKeyExchange(pool.core.protocolVersion)) {
      await pool.exchangeKey();
    }
    const answer = error !== undefined ? { error } : result === undefined ? {} : { result };
    if (pipeline) pipeline.hostResponse(ci, answer);
    else pool.core.hostResponse(ci, answer);
    await pool.flush();
  } catch (e) {
    failed(e);
  }
}
