// The TLS session inside CredSSP (MS-CSSP 3.1.5): node:tls over an in-memory
// duplex, because its records do not travel on a socket but base64-encoded in
// `Authorization: CredSSP` / `WWW-Authenticate: CredSSP` headers (and later,
// as WinRM message encryption, in the bodies). `feed` hands the peer's
// records to TLS; what TLS writes is collected and returned. TLS 1.2 only:
// Windows' CredSSP and pywinrm's trailer arithmetic assume its record layout,
// and TLS 1.3's post-handshake tickets would arrive after the exchange ends.
// The inner certificate is not verified by a CA: the public-key binding
// (src/auth/credssp/public-key.ts) proves it instead, as on Windows.
//
// Settling: node processes pushed bytes on later event-loop turns, so
// `#settle` waits turns (setImmediate, no timers) until TLS stops writing.

import { Duplex } from 'node:stream';
import { connect, TLSSocket, type SecureContextOptions } from 'node:tls';
import { AuthProtocolError } from '../../auth/errors.js';
import { concatBytes } from '../../util/bytes.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

class Wire extends Duplex {
  readonly written: Uint8Array[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.written.push(new Uint8Array(chunk));
    cb();
  }
}

export interface TlsTunnelOptions {
  /** Server side: its certificate and key (PEM). */
  readonly server?: Pick<SecureContextOptions, 'cert' | 'key'>;
  /** Largest record batch accepted in one feed (default 256 KiB). */
  readonly maxFeed?: number;
}

export class TlsTunnel {
  readonly #wire = new Wire();
  readonly #tls: TLSSocket;
  readonly #plain: Uint8Array[] = [];
  readonly #maxFeed: number;
  #error: Error | undefined;
  #secure = false;

  constructor(options: TlsTunnelOptions = {}) {
    this.#maxFeed = options.maxFeed ?? 256 * 1024;
    this.#tls = options.server
      ? new TLSSocket(this.#wire, { isServer: true, ...options.server, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })
      : connect({ socket: this.#wire, rejectUnauthorized: false, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    this.#tls.on(options.server ? 'secure' : 'secureConnect', () => (this.#secure = true));
    this.#tls.on('data', (d: Buffer) => this.#plain.push(new Uint8Array(d)));
    this.#tls.on('error', (e: Error) => (this.#error ??= e));
  }

  get secure(): boolean {
    return this.#secure;
  }

  /** The server's certificate as the client received it, DER (client side only). */
  certificate(): Uint8Array | undefined {
    const c = this.#tls.getPeerCertificate?.(false);
    const raw = c && 'raw' in c ? c.raw : undefined;
    return raw ? new Uint8Array(raw) : undefined;
  }

  /** The negotiated cipher, as OpenSSL names it (pywinrm's trailer lengths depend on it). */
  cipherName(): string | undefined {
    return this.#tls.getCipher()?.standardName;
  }

  async #settle(): Promise<Uint8Array> {
    let seen = -1;
    let quiet = 0;
    while (quiet < 3) {
      await turn();
      const n = this.#wire.written.length + this.#plain.length;
      quiet = n === seen ? quiet + 1 : 0;
      seen = n;
    }
    if (this.#error) throw new AuthProtocolError(`CredSSP inner TLS failed: ${this.#error.message}`, 'CredSSP TLS');
    return concatBytes(this.#wire.written.splice(0));
  }

  /** Hands the peer's TLS records in (none to start the client); returns the records TLS writes back. */
  async feed(records?: Uint8Array): Promise<Uint8Array> {
    if (records && records.byteLength > 0) {
      if (records.byteLength > this.#maxFeed) throw new AuthProtocolError(`CredSSP TLS data of ${records.byteLength} bytes exceeds ${this.#maxFeed}`, 'CredSSP TLS');
      this.#wire.push(Buffer.from(records));
    }
    return this.#settle();
  }

  /** Encrypts application data into TLS records. */
  async send(plain: Uint8Array): Promise<Uint8Array> {
    if (!this.#secure) throw new AuthProtocolError('CredSSP TLS is not established yet', 'CredSSP TLS');
    this.#tls.write(Buffer.from(plain));
    return this.#settle();
  }

  /** Decrypts the peer's TLS records; returns the application data they held (possibly none yet). */
  async receive(records: Uint8Array): Promise<Uint8Array> {
    const extra = await this.feed(records);
    if (extra.byteLength > 0) this.#wire.written.unshift(extra);
    return concatBytes(this.#plain.splice(0));
  }

  /** Records written by TLS that the caller has not collected (e.g. the server's reply to a handshake leg). */
  pending(): Uint8Array {
    return concatBytes(this.#wire.written.splice(0));
  }

  close(): void {
    this.#tls.destroy();
    this.#wire.destroy();
  }
}
