export * from './auth.js';
export * from './connection.js';
export * from './cookies.js';
export * from './endpoint.js';
export * from './errors.js';
export * from './transport.js';
export * from './ntlm-auth.js';
export * from './credssp-auth.js';
export { closeIdleConnections } from './connection-reuse.js';
