// The first step of every copy, before any data: can this endpoint run the
// copy scripts at all (a JEA or NoLanguage endpoint cannot), and where exactly
// does the target go. Also the parsing of the scripts' failure records.

import { PipelineFailedError } from '../powershell.js';
import type { RunspacePool } from '../runspace-pool.js';
import { toPlain } from '../../clixml/plain.js';
import { FileTransferError, isFailure } from './errors.js';
import { PREPARE_SCRIPT } from './scripts.js';

export interface Prepared {
  /** The resolved target (upload: the file or folder to write; download: the first remote path). */
  readonly path: string;
  /** The server's directory separator. */
  readonly separator: string;
  /** Download of one file: its length and modification time (.NET ticks), for a transfer in ranges. */
  readonly size?: number;
  readonly ticks?: string;
}

/** An X record (X<TAB>failure<TAB>path<TAB>message) as the typed error. */
export function remoteFailure(record: string): FileTransferError {
  const [, failure = 'IO', path = '', message = ''] = record.split('\t');
  return new FileTransferError(isFailure(failure) ? failure : 'IO', 'remote', path, message || undefined);
}

export async function prepare(
  pool: RunspacePool,
  args: { target: string; mode: 'file' | 'stream' | 'tree' | 'download'; name: string; createParents: boolean; overwrite: boolean },
  signal?: AbortSignal,
): Promise<Prepared> {
  const inv = pool.invoke(
    { script: PREPARE_SCRIPT, useLocalScope: true, parameters: { Target: args.target, Mode: args.mode, Name: args.name, CreateParents: args.createParents, Overwrite: args.overwrite } },
    signal ? { signal } : {},
  );
  let output: readonly unknown[];
  try {
    output = (await inv.result()).output;
  } catch (e) {
    if (e instanceof PipelineFailedError) {
      // NoLanguage and JEA endpoints refuse the script itself (a parse error, or a command not visible).
      throw new FileTransferError('Restricted', 'remote', args.target, `the copy script cannot run there: ${e.message.replace(/^the pipeline failed: /, '')}`, { cause: e });
    }
    throw e;
  }
  const line = String(toPlain(output[0] as never) ?? '');
  if (line.startsWith('P\t')) {
    const [, path = args.target, separator = '\\', size, ticks] = line.split('\t');
    return { path, separator, ...(size ? { size: Number(size), ticks: ticks ?? '0' } : {}) };
  }
  if (line.startsWith('RESTRICTED\t')) {
    throw new FileTransferError('Restricted', 'remote', args.target, `the endpoint runs in ${line.split('\t')[1]} mode; the copy script needs FullLanguage`);
  }
  if (line.startsWith('X\t')) throw remoteFailure(line);
  throw new FileTransferError('Restricted', 'remote', args.target, `the copy script did not answer as expected (${line.slice(0, 80) || 'no output'})`);
}
