// Loopback servers for transport tests. Response bodies here are hand-written
// (minimal SOAP envelopes) unless a test says it uses a recorded one: the point
// of these tests is HTTP behaviour, not WSMan content.

import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** 1-based index of the TCP connection the request came on. */
  readonly connection: number;
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export type Handler = (req: SeenRequest, res: ServerResponse, raw: IncomingMessage) => void | Promise<void>;

export async function startServer(handler: Handler, tls?: HttpsOptions): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const ids = new WeakMap<Socket, number>();
  let count = 0;
  const listener = (raw: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const seen: SeenRequest = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        connection: ids.get(raw.socket) ?? 0,
      };
      requests.push(seen);
      Promise.resolve(handler(seen, res, raw)).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(599).end(String(e));
      });
    });
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 30_000;
  const onSocket = (s: Socket) => {
    ids.set(s, ++count);
    sockets.add(s);
    s.setNoDelay(true);
    s.on('close', () => sockets.delete(s));
  };
  server.on(tls ? 'secureConnection' : 'connection', onSocket);
  if (tls) server.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/wsman`,
    port,
    requests,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A minimal IdentifyResponse (hand-written, shaped like Windows'). */
export const IDENTIFY_RESPONSE =
  '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body>' +
  '<wsmid:IdentifyResponse xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">' +
  '<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>' +
  '<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>' +
  '<wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>' +
  '<wsmid:SecurityProfiles><wsmid:SecurityProfileName>http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos</wsmid:SecurityProfileName></wsmid:SecurityProfiles>' +
  '</wsmid:IdentifyResponse></s:Body></s:Envelope>';

export function soap(res: ServerResponse, body: string, status = 200, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'application/soap+xml;charset=UTF-8', 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

/** Replies to a request naming its MessageID in RelatesTo (for WSManClient calls). */
export function relatesTo(requestBody: string): string {
  return /<(?:\w+:)?MessageID>([^<]*)</.exec(requestBody)?.[1] ?? '';
}
