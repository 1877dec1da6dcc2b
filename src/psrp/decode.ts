// Stateless-ish decoding of recorded or captured PSRP traffic for tools
// (`psremote decode`, the replay server, tests): payloads in, messages with
// typed bodies out, no state machine. A message whose body does not decode is
// returned with its error instead of stopping the stream; fragment errors
// still throw, since nothing after them can be trusted.

import { PsRemoteError } from '../errors.js';
import { ZERO_GUID } from '../util/guid.js';
import { Defragmenter } from './fragment.js';
import type { SessionKeyCipher } from './key-exchange.js';
import {
  decodeMessage,
  isKnownMessageType,
  messageText,
  messageTypeName,
  messageTypeSpecName,
  type MessageTypeName,
  type PsrpMessage,
} from './message.js';
import type { MessageBodies } from './message-types.js';
import { decodeBody } from './messages.js';

export interface DecodedMessage {
  readonly objectId: bigint;
  readonly message: PsrpMessage;
  /** 'PipelineOutput' …, or undefined for an unknown message type. */
  readonly type: MessageTypeName | undefined;
  /** 'PIPELINE_OUTPUT' …, or 'UNKNOWN_0x…'. */
  readonly specName: string;
  /** Lower-case pipeline GUID, undefined for pool messages. */
  readonly pipelineId: string | undefined;
  /** The CLIXML text (BOM removed). */
  readonly clixml: string;
  /** Typed body when it decoded. */
  readonly body?: MessageBodies[MessageTypeName] | undefined;
  /** Why the body did not decode. */
  readonly error?: PsRemoteError | undefined;
}

export interface MessageDecoderOptions {
  /** Session key cipher, to read <SS> values (otherwise they stay encrypted). */
  cipher?: SessionKeyCipher | undefined;
  maxMessageBytes?: number | undefined;
  where?: string | undefined;
}

/** Reassembles and decodes the messages of ONE sender (one direction of one pool). */
export class MessageDecoder {
  readonly #defrag: Defragmenter;
  #cipher: SessionKeyCipher | undefined;
  readonly #where: string;

  constructor(options: MessageDecoderOptions = {}) {
    this.#where = options.where ?? 'PSRP stream';
    this.#defrag = new Defragmenter({
      where: this.#where,
      ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    });
    this.#cipher = options.cipher;
  }

  /** Set (or replace) the session key cipher for later <SS> values. */
  setCipher(cipher: SessionKeyCipher | undefined): void {
    this.#cipher = cipher;
  }

  /** Decode every message completed by this payload. */
  receive(payload: Uint8Array): DecodedMessage[] {
    return this.#defrag.receive(payload).map(({ objectId, data }) => {
      const where = `${this.#where} ObjectId ${objectId}`;
      const message = decodeMessage(data, where);
      const specName = messageTypeSpecName(message.messageType);
      const base = {
        objectId,
        message,
        type: messageTypeName(message.messageType),
        specName,
        pipelineId: message.pipelineId === ZERO_GUID ? undefined : message.pipelineId,
      };
      let clixml = '';
      try {
        clixml = messageText(message, where);
        if (!isKnownMessageType(message.messageType)) return { ...base, clixml };
        const body = decodeBody(message.messageType, clixml, { cipher: this.#cipher }, `${where} (${specName})`);
        return { ...base, clixml, body };
      } catch (e) {
        if (e instanceof PsRemoteError) return { ...base, clixml, error: e };
        throw e;
      }
    });
  }
}
