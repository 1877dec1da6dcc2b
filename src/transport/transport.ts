// What the WSMan client needs from a transport: POST one envelope, get the
// status and body back. The HTTP transport is the only WSMan carrier; the
// interface exists so the session layer can be driven by a fake in tests and
// so other carriers (a future HTTP/2 or named-pipe one) fit without changes.

export interface TransportRequest {
  /** WSMan operation name, for error messages and logs. */
  readonly operation: string;
  readonly body: string | Uint8Array;
  readonly signal?: AbortSignal | undefined;
  /** Read timeout for this request; must exceed the WSMan OperationTimeout. */
  readonly timeoutMs?: number | undefined;
  /**
   * A request nobody is waiting for (the keep-alive Receive of an idle pool):
   * its socket does not keep the Node.js process alive, so a program that is
   * done can exit (and close its sessions on the way out).
   */
  readonly background?: boolean | undefined;
}

export interface TransportResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

export interface WSManTransport {
  /** Endpoint URL, used as `wsa:To`. */
  readonly url: string;
  /** `host:port`, for messages. */
  readonly host: string;
  /**
   * Sends one request. Resolves for 200 and for error statuses whose body is
   * XML (SOAP faults); rejects with typed errors otherwise.
   */
  post(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}
