// `psremote replay-check` (which recorded exchanges a client used, left unused
// or asked differently) and `psremote recording convert` (to and from pypsrp's
// YAML), run as users run them: the built CLI in a child process.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadRecording } from '../../src/server/recording.js';
import { scrubNames, SCRUBBED } from '../../src/wsman/scrub.js';
import { PYPSRP_DIR, WINRMSHARP_DIR, WINRM4J_FILE } from '../helpers/recordings.js';
import { CLI, runCli } from '../helpers/replay-cli.js';

const CLEAR = `${PYPSRP_DIR}/test_psrp_clear_commands.yml`;

describe('psremote replay-check', () => {
  test('a client that asks what was recorded: every exchange used, exit 0', async () => {
    const r = await runCli(['replay-check', CLEAR, '--', process.execPath, CLI, 'invoke', '{url}', '-c', 'echo new', '--json']);
    expect(r.stdout).toContain('"new"\n');
    expect(r.stdout).toContain('6 used, 0 unused, 0 mismatched of 6 recorded exchanges; 0 requests unmatched; client exited 0');
    expect(r.code).toBe(0);
  });

  test('a changed script: the Command is reported mismatched with the difference, exit 1', async () => {
    const r = await runCli(['replay-check', CLEAR, '--', process.execPath, CLI, 'invoke', '{url}', '-c', 'echo old', '--json']);
    expect(r.stdout).toContain('  #3 Command: mismatched: CREATE_PIPELINE command text: sent "echo old", recorded "echo new"\n');
    expect(r.stdout).toContain('  #4 Receive: unused\n');
    expect(r.code).toBe(1);
  });
});

describe('psremote recording convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'psr-convert-'));
  const same = (a: ReturnType<typeof loadRecording>, b: ReturnType<typeof loadRecording>) => {
    expect(b.exchanges.map((x) => [x.operation, x.request, x.response.status, x.response.body, !!x.connectionError])).toEqual(
      a.exchanges.map((x) => [x.operation, x.request, x.response.status, x.response.body, !!x.connectionError]),
    );
  };

  test.each([
    ['pypsrp YAML', `${PYPSRP_DIR}/test_psrp_is_alive_other_wsman_error.yml`],
    ['pypsrp YAML with a dropped connection', `${PYPSRP_DIR}/test_psrp_is_alive_http_error.yml`],
    ['WinRMSharp YAML', `${WINRMSHARP_DIR}/ClientRunCommand.yml`],
    ['winrm4j XML', WINRM4J_FILE],
  ])('%s to psremote JSON Lines and to pypsrp YAML and back, exchange for exchange', async (_what, input) => {
    const jsonl = join(dir, 'out.jsonl');
    const yml = join(dir, 'out.yml');
    const back = join(dir, 'back.jsonl');
    const r1 = await runCli(['recording', 'convert', input, jsonl]);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/written to .*out\.jsonl \(psremote\)/);
    const r2 = await runCli(['recording', 'convert', jsonl, yml]);
    expect(r2.stdout).toMatch(/\(pypsrp\)/);
    expect(readFileSync(yml, 'utf8')).toMatch(/^# converted by psremote[^\n]*\nmessages:\n  - request: /);
    await runCli(['recording', 'convert', yml, back]);
    const original = loadRecording(input);
    expect(loadRecording(yml).format).toBe('pypsrp');
    same(original, loadRecording(jsonl));
    same(original, loadRecording(yml));
    same(original, loadRecording(back));
  });

  test('an unknown --to is a usage error', async () => {
    const r = await runCli(['recording', 'convert', CLEAR, join(dir, 'x'), '--to', 'xml']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown --to xml');
  });
});

describe('scrubbing names (--scrub-hosts)', () => {
  test('host, user (also as DOMAIN\\user) and addresses are replaced in SOAP text and inside PSRP fragments; loopback is kept', async () => {
    const { encodeMessage } = await import('../../src/psrp/message.js');
    const { decodeFragments } = await import('../../src/psrp/fragment.js');
    const { fragmentMessage } = await import('../../src/psrp/fragmenter.js');
    const clixml = '<Obj><S N="ComputerName">winhost01.corp.example</S><S N="User">CORP\\alice</S><S>10.1.2.3</S></Obj>';
    const msg = encodeMessage({ destination: 1, messageType: 0x00041004, runspacePoolId: '11111111-2222-3333-4444-555555555555', data: clixml });
    const b64 = Buffer.concat(fragmentMessage(msg, 1n, 32_000)).toString('base64');
    const soap = `<s:Envelope><a:To>http://winhost01.corp.example:5985/wsman</a:To><x>alice at 10.1.2.3, not 127.0.0.1</x><rsp:Stream Name="stdout">${b64}</rsp:Stream></s:Envelope>`;
    const out = scrubNames(soap, { hosts: ['winhost01.corp.example'], users: ['CORP\\alice'] }, true);
    expect(out).toContain(`<a:To>http://${SCRUBBED.host}:5985/wsman</a:To>`);
    expect(out).toContain(`<x>${SCRUBBED.user} at ${SCRUBBED.address}, not 127.0.0.1</x>`);
    const stream = /Stream Name="stdout">([^<]+)</.exec(out)![1]!;
    const blob = Buffer.from(decodeFragments(new Uint8Array(Buffer.from(stream, 'base64')))[0]!.blob).subarray(40).toString('utf8');
    expect(blob).toBe(`<Obj><S N="ComputerName">${SCRUBBED.host}</S><S N="User">${SCRUBBED.user}</S><S>${SCRUBBED.address}</S></Obj>`);
    for (const leak of ['winhost01', 'alice', 'CORP', '10.1.2.3']) expect(out).not.toContain(leak);
  });
});
