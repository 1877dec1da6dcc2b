// Real CLIXML for the clixml tests: the MS-PSRP spec examples and every PSRP
// message of the pypsrp recordings (real Windows servers), reassembled.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { PsRemoteError } from '../../src/errors.js';
import { Defragmenter } from '../../src/psrp/fragment.js';
import { decodeMessage, messageText, messageTypeSpecName } from '../../src/psrp/message.js';
import { recordedPayloads, recordingFiles } from '../psrp/helpers/recordings.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/upstream');

export interface SpecExample {
  section: string;
  title: string;
  xml: string;
  well_formed: boolean;
  lossy_conversion: boolean;
}

export const SPEC_EXAMPLES = (
  JSON.parse(readFileSync(join(FIXTURES, 'spec-MS-PSRP/ms-psrp-examples.json'), 'utf8')) as { examples: SpecExample[] }
).examples;

/** The clean example of a section (well formed, not lossy). */
export function specExample(section: string): string {
  const e = SPEC_EXAMPLES.find((x) => x.section === section && x.well_formed && !x.lossy_conversion);
  if (e === undefined) throw new Error(`no clean spec example for ${section}`);
  return e.xml;
}

export interface RecordedClixml {
  readonly file: string;
  readonly exchange: number;
  readonly type: string;
  readonly xml: string;
}

let cache: RecordedClixml[] | undefined;

/** Every non-empty PSRP message body in the pypsrp recordings, in wire order. */
export function recordedClixml(): RecordedClixml[] {
  if (cache !== undefined) return cache;
  const out: RecordedClixml[] = [];
  for (const file of recordingFiles()) {
    const defrag = new Map<string, Defragmenter>();
    for (const p of recordedPayloads(file)) {
      const key = `${p.direction} ${p.shellId ?? ''}`;
      let d = defrag.get(key);
      if (d === undefined) defrag.set(key, (d = new Defragmenter()));
      for (const m of d.receive(p.bytes)) {
        const msg = decodeMessage(m.data);
        const xml = messageText(msg);
        if (xml.trim() !== '') out.push({ file, exchange: p.exchange, type: messageTypeSpecName(msg.messageType), xml });
      }
    }
  }
  cache = out;
  return out;
}

/** Runs fn and returns the PsRemoteError it throws (fails the test if it throws something else or nothing). */
export function typedError(fn: () => unknown): PsRemoteError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a PsRemoteError').toBeInstanceOf(PsRemoteError);
  return err as PsRemoteError;
}
