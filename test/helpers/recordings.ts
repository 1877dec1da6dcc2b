import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRecording, type Recording } from '../../src/server/recording.js';

export const PYPSRP_DIR = 'fixtures/upstream/jborean93-pypsrp/tests/tests_pypsrp/responses';
export const WINRMSHARP_DIR = 'fixtures/upstream/adstep-WinRMSharp/src/WinRMSharp.Tests/Data/Sessions';
export const WINRM4J_FILE = 'fixtures/upstream/cloudsoft-winrm4j/client/src/test/resources/recordings/win12.xml';

/** Every public recording in fixtures/upstream, by file name. */
export function allRecordingFiles(): string[] {
  return [
    ...readdirSync(PYPSRP_DIR)
      .filter((f) => f.endsWith('.yml') && !f.startsWith('_'))
      .map((f) => join(PYPSRP_DIR, f)),
    ...readdirSync(WINRMSHARP_DIR)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => join(WINRMSHARP_DIR, f)),
    WINRM4J_FILE,
  ].sort();
}

export function recording(nameOrPath: string): Recording {
  if (nameOrPath.includes('/')) return loadRecording(nameOrPath);
  const path = allRecordingFiles().find((p) => p.endsWith(`/${nameOrPath}`));
  if (!path) throw new Error(`no recording ${nameOrPath}`);
  return loadRecording(path);
}
