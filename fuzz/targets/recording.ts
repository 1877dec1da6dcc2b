// server/recording.ts: every recording format (psremote JSON Lines, pypsrp
// YAML, WinRMSharp YAML, winrm4j XML), as `psremote replay`/`decode` load a file.
import type { FuzzTarget } from '../engine.js';
import { envelopes, recordingTexts } from '../seeds.js';
import { parseRecording, writeRecording } from '../../src/server/recording.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

export default {
  name: 'recording',
  seeds: () => {
    const envs = envelopes().slice(0, 6).map((e) => dec.decode(e));
    const jsonl = [
      '{"format":"psremote-recording","version":1,"source":"fuzz"}',
      ...envs.map((e, i) => JSON.stringify({ operation: 'Receive', request: e, response: { status: 200, body: envs[(i + 1) % envs.length] }, ...(i === 2 ? { delayMs: 5 } : {}) })),
    ].join('\n');
    return [...recordingTexts(), enc.encode(`${jsonl}\n`)];
  },
  dictionary: ['null', '- null\n', 'messages:\n', '{"request":', '"response":{"status":', '&a', '*a', '<item>', '- Request:\n', '  Body: |\n'],
  run(input) {
    const rec = parseRecording(dec.decode(input), 'fuzz');
    if (rec.exchanges.length < 20) writeRecording(rec);
  },
} satisfies FuzzTarget;
