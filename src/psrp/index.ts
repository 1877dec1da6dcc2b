// Public surface of the sans-I/O PSRP core (docs/psrp.md).
export * from './fragment.js';
export * from './fragmenter.js';
export * from './message.js';
export * from './message-types.js';
export * from './messages.js';
export * from './events.js';
export * from './states.js';
export * from './key-exchange.js';
export { PoolCore, type OutgoingPayload, type PoolCoreOptions, type StreamType } from './pool-core.js';
export {
  ClientRunspacePool,
  type ClientRunspacePoolOptions,
  type PoolCallKind,
  type RsaKeyPair,
} from './client-pool.js';
export { ClientPipelineBase } from './client-pipeline.js';
export {
  ClientPowerShell,
  ClientGetCommandMetadata,
  type ClientPowerShellOptions,
  type ClientGetCommandMetadataOptions,
} from './client-powershell.js';
export type { PipelineEvent, PipelineEventSink } from './pipeline-link.js';
export { ServerRunspacePool, type ServerRunspacePoolOptions } from './server-pool.js';
export { ServerPipeline, type ServerPipelineRequest } from './server-pipeline.js';
export { MessageDecoder, type DecodedMessage, type MessageDecoderOptions } from './decode.js';
