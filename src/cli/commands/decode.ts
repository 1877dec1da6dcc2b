// `psremote decode`: captured WinRM traffic, recordings, PSRP payloads or CLIXML
// to JSON Lines, for debugging a session that misbehaves.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { PsRemoteError, UsageError } from '../../errors.js';
import { parseRecording } from '../../server/recording.js';
import { EnvelopeDecoder, splitEnvelopes } from '../../wsman/decode.js';
import { MessageDecoder } from '../../psrp/decode.js';
import { parseClixmlDocument, toPlain } from '../../clixml/index.js';
import type { CliIO } from '../io.js';

async function readInput(file: string, io: CliIO): Promise<string> {
  if (file !== '-') {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
  }
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

export function decodeText(text: string, opts: { clixml?: boolean; source?: string }, write: (line: string) => void): void {
  const t = text.replace(/^\uFEFF/, '');
  const trimmed = t.trim();
  if (opts.clixml) {
    // One line per value: the plain view; items of an <Objs> stream that name their stream
    // (powershell -OutputFormat xml: <Obj S="progress">) as {stream, data}.
    const doc = parseClixmlDocument(trimmed.replace(/^#< CLIXML\s*/, ''), { where: opts.source ?? 'CLIXML' });
    for (const item of doc.items) write(json(item.stream === undefined ? toPlain(item.value) : { stream: item.stream, data: toPlain(item.value) }));
    return;
  }
  const dec = new EnvelopeDecoder();
  if (/^<(\?xml[^>]*\?>\s*<)?([\w-]+:)?Envelope\b/.test(trimmed)) {
    for (const env of splitEnvelopes(trimmed)) write(json(dec.decode(env)));
    return;
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) {
    // base64 PSRP payloads, one per line, one sender
    const md = new MessageDecoder({ where: opts.source ?? 'input' });
    for (const [i, line] of trimmed.split(/\n/).entries()) {
      const l = line.trim();
      if (!l) continue;
      for (const m of md.receive(Buffer.from(l, 'base64'))) {
        write(json({ line: i, type: m.specName, destination: m.message.destination === 1 ? 'client' : 'server', rpid: m.message.runspacePoolId, pid: m.pipelineId ?? null, clixml: m.clixml }));
      }
    }
    return;
  }
  const rec = parseRecording(t, opts.source);
  for (const x of rec.exchanges) {
    write(json(dec.decode(x.request)));
    if (x.response.body) write(json(dec.decode(x.response.body)));
  }
}

export function register(program: Command, io: CliIO): void {
  program
    .command('decode')
    .description('decode SOAP envelopes, recordings, base64 PSRP payloads or CLIXML (FILE or - for stdin) to JSON Lines')
    .argument('<file>', 'input file, or - for stdin')
    .option('--clixml', 'the input is a CLIXML document')
    .action(async (file: string, opts: { clixml?: boolean }) => {
      const text = await readInput(file, io);
      try {
        decodeText(text, { clixml: opts.clixml === true, source: file }, (l) => io.stdout.write(`${l}\n`));
      } catch (e) {
        if (e instanceof PsRemoteError) throw e;
        throw new UsageError(`cannot decode ${file}: ${(e as Error).message}`);
      }
    });
}
