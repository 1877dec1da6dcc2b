// A remote command's stdin without input to forward: `psremote exec` without
// --stdin and the library's runCommand without `stdin` end it at once (an
// empty Send with End right after the Command, as `ssh -n`), so a command that
// reads stdin exits instead of hanging; --stdin and `stdin` still forward;
// shell.run keeps it open for sendInput. Against `psremote serve` (a child
// process: WinRS commands run through /bin/sh), and the library's exec path
// against the in-process endpoint for the Send's sequence and a refused Send.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { spawnCli, startServe, type Serve } from '../helpers/cli.js';
import { openShell, runCommand } from '../../src/winrm/winrs.js';
import { startEndpoint, type LocalEndpoint } from '../../src/server/endpoint.js';

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'psremote-exec-stdin-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('against psremote serve', () => {
  let serve: Serve | undefined;
  beforeAll(async () => void (serve = await startServe([])));
  afterAll(() => serve?.stop());

  test('exec without --stdin: a command that reads stdin sees end of input and exits', async () => {
    const file = join(dir, 'from-exec');
    // Before the fix this hung until the 20 s limit ("did not end").
    const r = await spawnCli(['exec', serve!.url, '--', `cat > ${file}; echo read-to-eof`], { timeoutMs: 20_000 });
    expect(r).toEqual({ code: 0, stdout: 'read-to-eof\n', stderr: '' });
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  test('exec --stdin still forwards our stdin, then its end', async () => {
    const r = await spawnCli(['exec', serve!.url, '--stdin', '--', 'tr a-z A-Z'], { input: 'piped in\n', timeoutMs: 20_000 });
    expect(r).toEqual({ code: 0, stdout: 'PIPED IN\n', stderr: '' });
  });

  test('runCommand without stdin: the command reads end of input; with stdin it gets the bytes', async () => {
    const empty = await runCommand(serve!.url, 'wc', ['-c'], { awaitClose: true });
    expect(empty).toMatchObject({ exitCode: 0, stdout: '0\n' });
    const given = await runCommand(serve!.url, 'wc', ['-c'], { stdin: 'four', awaitClose: true });
    expect(given).toMatchObject({ exitCode: 0, stdout: '4\n' });
  });

  test('shell.run keeps stdin open by default: input sent later still arrives', async () => {
    await using shell = await openShell(serve!.url);
    const cmd = await shell.run('cat');
    await cmd.sendInput('later', { end: true });
    expect(await cmd.wait()).toBe(0);
    expect((await cmd.stdout.collect()).toString()).toBe('later');
  });
});

describe('on the endpoint log (in process)', () => {
  let ep: LocalEndpoint | undefined;
  afterEach(async () => {
    await ep?.close();
    ep = undefined;
  });
  const collect = { collect: async (ctx: { stdin: AsyncIterable<Uint8Array>; stdout(d: string): void }) => {
    let n = 0;
    for await (const d of ctx.stdin) n += d.length;
    ctx.stdout(`${n} bytes`);
    return 0;
  } };

  test('the end is one empty Send with End, after the Command and before the first Receive', async () => {
    ep = await startEndpoint({ cmdCommands: collect });
    const r = await runCommand(ep.url, 'collect', [], { awaitClose: true });
    expect(r).toMatchObject({ exitCode: 0, stdout: '0 bytes' });
    expect(ep.log.map((l) => l.operation)).toEqual(['Create', 'Command', 'Send', 'Receive', 'Delete']);
  });

  test('a fault on that Send (Windows refuses a Send to a command that exited) is not the command\'s failure', async () => {
    ep = await startEndpoint({ cmdCommands: { quick: (ctx) => (ctx.stdout('done'), 0) } });
    // Hand-written fault, shaped like the endpoint's own (same RelatesTo), in place of the SendResponse.
    ep.faults.add({
      operation: 'Send',
      action: {
        type: 'rewrite',
        response: (soap) =>
          soap
            .replace(/<a:Action>[^<]*<\/a:Action>/, '<a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>')
            .replace(/<s:Body>[\s\S]*<\/s:Body>/, '<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:InternalError</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The pipe is being closed.</s:Text></s:Reason></s:Fault></s:Body>'),
      },
    });
    const r = await runCommand(ep.url, 'quick', [], { awaitClose: true });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'done' });
    expect(ep.faults.fired).toEqual([{ operation: 'Send', action: 'rewrite' }]);
  });
});
