// `npm run golden`: records the golden traces of PowerShell's own client (SMA
// 7.6.9, the test host's --client-trace mode) against the real server, through the
// recording proxy, into fixtures/golden/: <scenario>.powershell.jsonl (the lines as
// seen, one JSON object each) and <scenario>.golden.json (normalized). Each
// scenario is recorded twice and the two normalized traces must be equal, which
// checks that normalization removed everything that changes from run to run.
// With --diff, also runs psremote's client and prints the differences.
// Needs the built host (`cd test/peer/host && dotnet build -c Release`, or any vitest run).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffTraces, normalizeTrace } from './normalize.js';
import { recordPowerShell, recordPsremote, SCENARIOS, type Scenario } from './scenarios.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GOLDEN_DIR = join(ROOT, 'fixtures', 'golden');
const HOST = join(ROOT, 'test', 'peer', 'host', 'bin', 'Release', 'net10.0', 'linux-x64', 'PsrpPeer');

async function main(): Promise<void> {
  if (!existsSync(HOST)) throw new Error(`${HOST} is missing: build the test host first (cd test/peer/host && dotnet build -c Release)`);
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--')) as Scenario[];
  const diff = process.argv.includes('--diff');
  mkdirSync(GOLDEN_DIR, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'psremote-golden-'));
  try {
    for (const scenario of wanted.length ? wanted : SCENARIOS) {
      const first = await recordPowerShell(HOST, scenario, tmp);
      const second = await recordPowerShell(HOST, scenario, tmp);
      const golden = normalizeTrace(first.lines);
      const unstable = diffTraces(golden, normalizeTrace(second.lines));
      if (unstable.length) throw new Error(`${scenario}: two runs of PowerShell's client differ after normalization:\n${unstable.join('\n')}`);
      writeFileSync(join(GOLDEN_DIR, `${scenario}.powershell.jsonl`), first.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      writeFileSync(join(GOLDEN_DIR, `${scenario}.golden.json`), JSON.stringify({ scenario, summary: first.summary, trace: golden }, null, 1) + '\n');
      process.stdout.write(`${scenario}: ${first.lines.length} lines; ${first.summary.join('; ')}\n`);
      if (diff) {
        const ours = await recordPsremote(HOST, scenario, tmp);
        const d = diffTraces(golden, normalizeTrace(ours.lines));
        process.stdout.write(`  psremote: ${ours.summary.join('; ')}\n${d.map((x) => `  ${x}\n`).join('')}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
