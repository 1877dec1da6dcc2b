// `invoke`'s default view (docs/cli.md, "Output of invoke"), colours and errors
// with their position. On real pwsh (serve's real engine behind the endpoint,
// in process): PowerShell formats remotely at the width, its views and
// $FormatEnumerationLimit; errors one line each with `At line:N char:C`, the
// detail only with --debug; colours with FORCE_COLOR, never with NO_COLOR. On
// the scripted engine (hand-written handler: it knows no Out-String, as a
// JEA endpoint would not) the objects are laid out locally.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runInProcess } from '../helpers/cli.js';
import { PSObject } from '../../src/clixml/values.js';
import { startEndpoint } from '../../src/server/endpoint.js';
import { describeWithPwsh, pwshEngineCommand } from '../helpers/pwsh.js';

const cli = runInProcess;

describeWithPwsh('invoke on real pwsh: the remote default view', (pwsh) => {
  let ep: Awaited<ReturnType<typeof startEndpoint>>;
  beforeAll(async () => {
    ep = await startEndpoint({ realEngine: pwshEngineCommand(pwsh) });
  }, 60_000);
  afterAll(async () => {
    vi.unstubAllEnvs();
    await ep?.close();
  });

  it('a table with a header for two properties, a list for five, collections cut at $FormatEnumerationLimit', async () => {
    vi.stubEnv('COLUMNS', '100');
    const r = await cli(['invoke', ep.url, '-c', "[pscustomobject]@{Name='bash'; Id=42}, [pscustomobject]@{Name='sh'; Id=7}"]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('\nName Id\n---- --\nbash 42\nsh    7\n\n');
    const list = await cli(['invoke', ep.url, '-c', '[pscustomobject]@{A=1; B=2; C=3; D=4; E=1..10}']);
    expect(list.stdout).toBe('\nA : 1\nB : 2\nC : 3\nD : 4\nE : {1, 2, 3, 4…}\n\n');
    // --json stays one JSON line per object.
    const json = await cli(['invoke', ep.url, '-c', "[pscustomobject]@{Name='bash'; Id=42}", '--json']);
    expect(json.stdout).toBe('{"Name":"bash","Id":42}\n');
  }, 60_000);

  it('round trips: --json is one Command; the default view two (the Out-String probe, then the formatted script)', async () => {
    // What the default view costs today, so that a change to it shows here (docs/cli.md, "Output of invoke").
    const commands = () => ep.stats.requests.Command ?? 0;
    let before = commands();
    expect((await cli(['invoke', ep.url, '-c', "'x'", '--json'])).stdout).toBe('"x"\n');
    expect(commands() - before).toBe(1);
    before = commands();
    expect((await cli(['invoke', ep.url, '-c', "'x'"])).stdout).toBe('x\n');
    expect(commands() - before).toBe(2);
  }, 60_000);

  it('formats at the width (COLUMNS without a terminal)', async () => {
    vi.stubEnv('COLUMNS', '30');
    const r = await cli(['invoke', ep.url, '-c', "[pscustomobject]@{Id=1; Name='x' * 50}"]);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^\s*Id Name$/);
    // PowerShell cuts the last column at the width with an ellipsis.
    expect(lines[2]).toMatch(/^\s*1 x+…$/);
    expect(Math.max(...lines.map((l) => l.trimEnd().length))).toBeLessThanOrEqual(30);
    expect(lines[2]!.length).toBeGreaterThan(25);
  }, 60_000);

  it('errors: one line each with the position in the script; a terminating error too; details with --debug', async () => {
    vi.stubEnv('NO_COLOR', '1');
    const r = await cli(['invoke', ep.url, '-c', "1/0; Get-Item /nope-psremote\n'after'\nWrite-Error 'it broke'"]);
    expect(r.stdout).toBe('after\n');
    expect(r.stderr).toBe(
      'ERROR: RuntimeException: Attempted to divide by zero. [At line:1 char:1]\n' +
        "ERROR: Get-Item: Cannot find path '/nope-psremote' because it does not exist. [At line:1 char:6]\n" +
        'ERROR: Write-Error: it broke [At line:3]\n',
    );
    expect(r.code).toBe(1);
    const t = await cli(['invoke', ep.url, '-c', "'x'\nthrow 'boom'"]);
    expect(t.stderr).toBe('psremote: the pipeline failed: boom [At line:2] (PSR_PIPELINE_FAILED)\n');
    expect(t.code).toBe(1);
    const d = await cli(['invoke', ep.url, '-c', 'Get-Item /nope-psremote', '--debug']);
    expect(d.stderr.split('\n')).toEqual([
      "ERROR: Get-Item: Cannot find path '/nope-psremote' because it does not exist. [At line:1 char:1]",
      '    At line:1 char:1',
      '    + Get-Item /nope-psremote',
      '    + ~~~~~~~~~~~~~~~~~~~~~~~',
      expect.stringMatching(/^ {4}at <ScriptBlock>, <No file>: line 1$/),
      expect.stringMatching(/^ {4}at <ScriptBlock>, <No file>: line 1$/),
      '    FullyQualifiedErrorId: PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand',
      '',
    ]);
    const td = await cli(['invoke', ep.url, '-c', "throw 'boom'", '--debug']);
    expect(td.stderr).toMatch(/^psremote: the pipeline failed: boom \[At line:1\] \(PSR_PIPELINE_FAILED\)\n {4}at <ScriptBlock>, <No file>: line 1\n[\s\S]*PipelineFailedError/);
    vi.unstubAllEnvs();
  }, 60_000);

  it('colours: FORCE_COLOR paints errors red and warnings/verbose yellow; NO_COLOR wins over it; none by default off a terminal', async () => {
    const script = "Write-Warning careful; Write-Verbose -Verbose said; Write-Error bad; 'out'";
    vi.stubEnv('FORCE_COLOR', '1');
    const c = await cli(['invoke', ep.url, '-c', script]);
    expect(c.stderr).toContain('\x1b[33;1mWARNING: careful\x1b[0m\n');
    expect(c.stderr).toContain('\x1b[33;1mVERBOSE: said\x1b[0m\n');
    expect(c.stderr).toContain('\x1b[31;1mERROR: Write-Error: bad [At line:1]\x1b[0m\n');
    expect(c.stdout).toBe('out\n');
    vi.stubEnv('NO_COLOR', '');
    const n = await cli(['invoke', ep.url, '-c', script]);
    expect(n.stderr).not.toContain('\x1b');
    expect(n.stderr).toContain('ERROR: Write-Error: bad [At line:1]\n');
    vi.unstubAllEnvs();
    vi.stubEnv('NO_COLOR', undefined);
    vi.stubEnv('FORCE_COLOR', undefined);
    const plain = await cli(['invoke', ep.url, '-c', script]);
    expect(plain.stderr).not.toContain('\x1b');
    vi.unstubAllEnvs();
  }, 60_000);
});

describe('invoke on the scripted engine: the local view', () => {
  const procs = [
    PSObject.custom({ Name: 'bash', Id: 1487 }),
    PSObject.custom({ Name: 'sshd', Id: 12 }),
  ];
  let ep: Awaited<ReturnType<typeof startEndpoint>>;
  const seen: string[] = [];
  beforeAll(async () => {
    ep = await startEndpoint({
      handler: (ctx) => {
        seen.push(ctx.commandText);
        // The handler knows no PowerShell: the CLI's question whether Out-String exists fails, as on a JEA endpoint.
        if (ctx.commandText.startsWith('$c = Get-Command Out-String')) throw new Error('no such command');
        for (const p of procs) ctx.output(p);
        ctx.output(PSObject.custom({ A: 1, B: 2, C: 3, D: 4, E: PSObject.list([1, 2, 3, 4, 5, 6]) }));
        ctx.output('done');
      },
    });
  });
  afterAll(() => ep?.close());

  it('a table for objects of one shape, a list for five properties, strings as they are; the script sent unchanged', async () => {
    const r = await cli(['invoke', ep.url, '-c', 'Get-Process']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('\nName   Id\n----   --\nbash 1487\nsshd   12\n\n\nA : 1\nB : 2\nC : 3\nD : 4\nE : {1, 2, 3, 4…}\n\ndone\n');
    expect(seen.at(-1)).toBe('Get-Process');
  });

  it('--json asks nothing first: the script is the only pipeline', async () => {
    seen.length = 0;
    const r = await cli(['invoke', ep.url, '-c', 'Get-Process', '--json']);
    expect(r.stdout.split('\n')[0]).toBe('{"Name":"bash","Id":1487}');
    expect(seen).toEqual(['Get-Process']);
  });
});
