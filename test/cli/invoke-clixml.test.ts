// `invoke --clixml` and the 401 without credentials: each output object as the CLIXML it is (one <Objs> document
// per line), read back by psremote's own parser to the same values; --json and
// --clixml together are refused. The scripted endpoint answers (hand-written
// engine: only Write-Output of literals is needed here).
import { expect, it } from 'vitest';
import { runInProcess } from '../helpers/cli.js';
import { parseClixmlDocument } from '../../src/clixml/index.js';
import { startEndpoint } from '../../src/server/endpoint.js';

const cli = runInProcess;

it('prints one CLIXML document per output object', async () => {
  const ep = await startEndpoint();
  try {
    const r = await cli(['invoke', ep.url, '-c', "Write-Output 2 'six'", '--clixml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><I32>2</I32></Objs>',
      '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S>six</S></Objs>',
    ]);
    expect(lines.map((l) => parseClixmlDocument(l).items.map((i) => i.value))).toEqual([[2], ['six']]);
  } finally {
    await ep.close();
  }
});

it('refuses --json with --clixml', async () => {
  const r = await cli(['invoke', 'http://127.0.0.1:1/wsman', '-c', '1', '--json', '--clixml']);
  expect(r.stderr).toBe('psremote: --json and --clixml are two output formats: give one (PSR_USAGE)\n');
  expect(r.code).toBe(2);
});

it('a 401 when no credential was given says so, not that the credentials were wrong', async () => {
  const ep = await startEndpoint({ users: { ann: 'secret-pw' } });
  try {
    const r = await cli(['invoke', ep.url, '-c', '1']);
    expect(r.stderr).toMatch(/^psremote: .*the server requires authentication \(HTTP 401\) and no credential was given .*\(PSR_AUTH_REJECTED\)\n$/);
    expect(r.stderr).not.toContain('rejected the credentials');
    // Authentication failures exit 3.
    expect(r.code).toBe(3);
  } finally {
    await ep.close();
  }
});

it('exit codes: an unknown option is a usage error (2), --help and --version are 0, nothing listening is 3', async () => {
  expect((await cli(['invoke', '--no-such-flag'])).code).toBe(2);
  expect((await cli(['shell', '--help'])).code).toBe(0);
  expect((await cli(['--version'])).code).toBe(0);
  const down = await cli(['invoke', 'http://127.0.0.1:1/wsman', '-c', '1']);
  expect(down.stderr).toMatch(/\(PSR_TRANSPORT[A-Z_]*\)\n$/);
  expect(down.code).toBe(3);
});
