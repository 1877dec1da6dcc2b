// The client side of an enumeration (WS-Enumeration: Enumerate, then Pull while
// the server reports more), without I/O, as client-shell.ts is for shells: the
// guard comes from shell-states.ts, the answer is read by reader.ts.

import { InvalidStateError } from '../errors.js';
import { build, type EnumerateOptions, type ShellRequest } from './envelope.js';
import { checkRelatesTo, faultError, type WSManMessage } from './reader.js';
import { parseEnumeration } from './response.js';
import type { XmlElement } from '../util/xml.js';
import { guardEnumeration, type EnumerationState } from './shell-states.js';

/** The client side of an enumeration (Enumerate, then Pull while the server has more). */
export class ClientEnumeration {
  #state: EnumerationState = 'Idle';
  #context: string | undefined;
  #pending: string | undefined;

  constructor(
    readonly resourceUri: string,
    readonly request: () => ShellRequest,
  ) {}

  get state(): EnumerationState {
    return this.#state;
  }

  enumerate(o: EnumerateOptions = {}): { readonly messageId: string; readonly xml: string } {
    guardEnumeration('Enumerate', this.#state);
    this.#state = 'Enumerating';
    const r = this.request();
    this.#pending = r.messageId;
    return { messageId: r.messageId, xml: build.enumerate({ ...r, resourceUri: this.resourceUri }, o) };
  }

  pull(maxElements?: number): { readonly messageId: string; readonly xml: string } {
    guardEnumeration('Pull', this.#state);
    this.#state = 'Pulling';
    const r = this.request();
    this.#pending = r.messageId;
    return { messageId: r.messageId, xml: build.pull({ ...r, resourceUri: this.resourceUri }, this.#context!, maxElements) };
  }

  /** The answer to the Enumerate or Pull in flight: its items. */
  handle(m: WSManMessage): readonly XmlElement[] {
    const operation = this.#state === 'Pulling' ? 'Pull' : 'Enumerate';
    if (this.#pending === undefined) throw new InvalidStateError('take an enumeration answer', this.#state, ['Enumerating', 'Pulling']);
    checkRelatesTo(m.envelope, this.#pending, { operation });
    this.#pending = undefined;
    if (m.envelope.fault) {
      this.#state = 'Ended';
      throw faultError(m.envelope.fault, { operation });
    }
    const r = parseEnumeration(m.envelope, { operation });
    this.#context = r.context;
    this.#state = r.endOfSequence || !r.context ? 'Ended' : 'More';
    return r.items;
  }
}
