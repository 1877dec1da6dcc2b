// The password credential a CredSSP client delegated (TSPasswordCreds), as
// the endpoint hands it to the shell that needs it for the second hop. The
// password sits in a private field: String(), JSON.stringify, util.inspect
// and console.log show the user only, so a handler or a log line that prints
// the whole object (or the senderInfo holding it) leaks nothing. Code that
// means to use the password calls password() by name.

import type { TSPasswordCreds } from './ts-request.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

export class DelegatedCredential {
  /** `DOMAIN\user` when the client named a domain, else the user as given (a UPN or a bare name). */
  readonly userName: string;
  readonly domainName: string;
  /** The user part alone. */
  readonly user: string;
  readonly #password: string;

  constructor(c: TSPasswordCreds) {
    this.domainName = c.domainName;
    this.user = c.userName;
    this.userName = c.domainName ? `${c.domainName}\\${c.userName}` : c.userName;
    this.#password = c.password;
  }

  /** The delegated password. Secret: pass it on to authenticate, never print it. */
  password(): string {
    return this.#password;
  }

  toJSON(): { userName: string } {
    return { userName: this.userName };
  }

  toString(): string {
    return `DelegatedCredential(${this.userName})`;
  }

  [INSPECT](): string {
    return this.toString();
  }
}
