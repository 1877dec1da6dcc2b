export { OutOfProcChannel, type ChannelEvent, type OutOfProcChannelOptions } from './channel.js';
export { connectSocket, spawnServer, splitCommandLine, type OutOfProcConnection, type SpawnOptions } from './connection.js';
export { OutOfProcTransportError, type OutOfProcErrorDetails } from './errors.js';
export { DEFAULT_MAX_LINE, LineSplitter } from './lines.js';
export {
  CLIENT_KINDS,
  decodePacket,
  encodePacket,
  ERROR_PREFIX,
  POOL_GUID,
  SERVER_KINDS,
  type ControlKind,
  type OutOfProcPacket,
  type OutOfProcStream,
} from './packets.js';
