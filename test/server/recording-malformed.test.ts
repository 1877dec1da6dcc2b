// Malformed recording files (every format) are RecordingErrors naming the item
// or line, never a TypeError. Hand-written files: the defect is the point.
import { describe, expect, test } from 'vitest';
import { RecordingError, parseRecording } from '../../src/server/recording.js';

const ENV = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/><s:Body/></s:Envelope>';
const HEADER = '{"format":"psremote-recording","version":1,"source":"t"}';
const GOOD = JSON.stringify({ operation: 'Identify', request: ENV, response: { status: 200, body: ENV } });

function refused(text: string): RecordingError {
  try {
    parseRecording(text, 'rec.file');
  } catch (e) {
    expect(e).toBeInstanceOf(RecordingError);
    expect((e as RecordingError).code).toBe('PSR_RECORDING_INVALID');
    return e as RecordingError;
  }
  throw new Error('accepted');
}

describe('malformed recordings', () => {
  test('psremote JSON Lines: a null line, a list, a number, a null response: named by line number', () => {
    expect(refused(`${HEADER}\n${GOOD}\n\nnull\n`).message).toBe('rec.file line 4: line is null, not a JSON object');
    expect(refused(`${HEADER}\n[1]\n`).message).toBe('rec.file line 2: line is a list, not a JSON object');
    expect(refused(`${HEADER}\n7\n`).message).toBe('rec.file line 2: line is number, not a JSON object');
    expect(refused(`${HEADER}\n{"request":"x","response":null}\n`).message).toBe('rec.file line 2: exchange needs request and response.body');
    expect(refused(`${HEADER}\n{"request":"${ENV.replace(/"/g, '\\"')}","response":{"status":"x","body":""}}\n`).message).toMatch(
      /^rec\.file line 2: response status x is not an HTTP status/,
    );
    expect(refused(`{"format":"psremote-recording"}\nnot json\n`).message).toMatch(/^rec\.file line 2: line is not JSON/);
    expect(parseRecording(`${HEADER}\n${GOOD}\n`).exchanges).toHaveLength(1);
  });

  test('pypsrp YAML: a null message', () => {
    expect(refused('messages:\n- null\n').message).toBe('rec.file item 0: message is null, not a mapping');
    expect(refused('messages:\n- request: 3\n').message).toBe('rec.file item 0: request is not a string');
  });

  test('WinRMSharp YAML: a null item or a scalar item', () => {
    expect(refused('- null\n').message).toBe('rec.file item 0: item is null, not a mapping');
    expect(refused('- 5\n').message).toBe('rec.file item 0: item is number, not a mapping');
    expect(refused('- Request: {Body: "x"}\n').message).toBe('rec.file item 0: missing Request.Body or Response');
  });

  test('winrm4j XML: an item without envelopes', () => {
    expect(refused('<recording><item/></recording>').message).toBe('rec.file item 0: item without request and response envelopes');
  });
});
