// Public surface of the sans-I/O WS-Management core (docs/wsman.md).
export * from './namespaces.js';
export * from './envelope.js';
export * from './fault.js';
export * from './reader.js';
export * from './response.js';
export * from './envelope-size.js';
export * from './decode.js';
export * from './config.js';
export * from './shell-states.js';
export * from './client-shell.js';
export * from './client-enumeration.js';
export * from './server-shell.js';
export * from './envelope-stream.js';
