// PowerShell (SMA 7.6.9, the real engine in test/peer) writes $null pipeline
// output as a message with an empty Data field, not as <Nil/>. The payload below
// is the one the real engine sent for the script `$null` (captured with a tap on
// its stdout).
import { expect, test } from 'vitest';
import { decodeFragments } from '../../src/psrp/fragment.js';
import { decodeMessage, MessageType } from '../../src/psrp/message.js';
import { decodeBody } from '../../src/psrp/messages.js';
import { RemoteProtocolError } from '../../src/errors.js';

const REAL_NULL_OUTPUT = 'AAAAAAAAAAQAAAAAAAAAAAMAAAAoAQAAAAQQBADkP0V2c8UkSakw4gXTqtotZ0QtiKFETEiLz71kCm3nUw==';

test('an empty PIPELINE_OUTPUT body from the real engine is $null', () => {
  const [fragment] = decodeFragments(new Uint8Array(Buffer.from(REAL_NULL_OUTPUT, 'base64')));
  const m = decodeMessage(fragment!.blob);
  expect(m.messageType).toBe(MessageType.PipelineOutput);
  expect(m.data.length).toBe(0);
  expect(decodeBody(m.messageType as never, '', {})).toEqual({ value: null });
  expect(decodeBody(MessageType.PipelineInput, '\uFEFF', {})).toEqual({ value: null });
});

test('other messages with an empty body are still rejected', () => {
  expect(() => decodeBody(MessageType.PipelineState, '', {})).toThrow(RemoteProtocolError);
});
