// The package entry point exposes the public API under the names the docs use.
import { expect, test } from 'vitest';
import * as psremote from '../src/index.js';

test('the public API is exported from the package entry point', () => {
  for (const name of ['openSession', 'RunspacePool', 'invokeCommand', 'invokeOnHosts', 'PipelineFailedError', 'runCommand', 'openShell', 'WSManClient', 'WSManFaultError', 'startEndpoint', 'startReplayServer', 'loadRecording', 'PsRemoteError']) {
    expect(typeof (psremote as Record<string, unknown>)[name], name).toBe('function');
  }
  for (const name of ['parseClixml', 'serializeClixml', 'parseClixmlDocument', 'toPlain', 'PSObject', 'PSInt64', 'PSDateTime', 'readErrorRecord']) {
    expect(typeof (psremote as Record<string, unknown>)[name], name).toBe('function');
  }
  expect(typeof psremote.wsman.build.create).toBe('function');
  expect(typeof psremote.psrp.ClientRunspacePool).toBe('function');
});
