// How the public session APIs name a server: a host/URL string, a full set of
// connection options, or an existing WSManClient (shared, not closed by us).

import { HttpTransport, type HttpTransportOptions } from '../transport/http/transport.js';
import { WSManClient, type WSManClientOptions } from './wsman-client.js';

export interface ConnectionOptions extends HttpTransportOptions, WSManClientOptions {}

export type Target = string | ConnectionOptions | WSManClient;

export interface ResolvedTarget {
  readonly client: WSManClient;
  /** We created the client, so we close it. */
  readonly owned: boolean;
}

export function resolveTarget(target: Target, defaults: Partial<ConnectionOptions> = {}): ResolvedTarget {
  if (target instanceof WSManClient) return { client: target, owned: false };
  const options: ConnectionOptions = typeof target === 'string' ? { ...defaults, endpoint: target } : { ...defaults, ...target };
  return { client: new WSManClient(new HttpTransport(options), options), owned: true };
}
