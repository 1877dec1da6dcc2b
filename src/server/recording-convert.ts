// Writing recordings for other tools: pypsrp's YAML (`{messages: [{request,
// response, transport_error?, http_error?, auth_error?, timeout?}]}`, the
// shape its test suite replays), so a conversation recorded with psremote can
// be shared with that ecosystem and back (`psremote recording convert`).
// Scrubbed like every recording psremote writes.

import { stringify } from 'yaml';
import { scrubRecording, writeRecording, type Recording } from './recording.js';

export type WritableFormat = 'psremote' | 'pypsrp';

export function writePypsrpYaml(rec: Recording): string {
  const clean = scrubRecording(rec);
  const messages = clean.exchanges.map((x) => ({
    request: x.request,
    response: x.response.body,
    ...(x.authError ? { auth_error: true } : x.response.status !== 200 && !x.connectionError ? { transport_error: { protocol: 'http', code: x.response.status } } : {}),
    ...(x.connectionError ? { http_error: true } : {}),
    ...(x.delayMs !== undefined ? { timeout: x.delayMs / 1000 } : {}),
  }));
  return `# converted by psremote from ${rec.source} (${rec.format})\n${stringify({ messages }, { lineWidth: 0 })}`;
}

/** The format a file name asks for: .yml/.yaml is pypsrp's, anything else psremote's JSON Lines. */
export function formatForPath(path: string): WritableFormat {
  return /\.ya?ml$/i.test(path) ? 'pypsrp' : 'psremote';
}

export function writeRecordingAs(rec: Recording, format: WritableFormat): string {
  return format === 'pypsrp' ? writePypsrpYaml(rec) : writeRecording(rec);
}
