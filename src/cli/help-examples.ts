// Examples in every command's --help (commander's addHelpText), kept in one
// table so the command files stay about options; docs/cli.md is the manual.
// test/cli/help.test.ts checks that every command has some.

import type { Command } from 'commander';

const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  invoke: [
    "psremote invoke http://127.0.0.1:5985/wsman -c 'Get-Process | Select-Object -First 3 Name, Id'",
    "psremote invoke win01 -c 'Get-Service WinRM'                  (win01 from ~/.config/psremote/config.json)",
    "psremote invoke server1 -u 'CORP\\admin' --auth ntlm --password-env PSPW -f ./patch.ps1",
    "psremote invoke web1,web2,web3 -c 'hostname' --json          (one JSON line per object, lines prefixed per host)",
    "psremote invoke --session work -c 'Get-Job' --disconnected",
    "psremote invoke 'exec:pwsh -s -NoLogo -NoProfile' -c '$PSVersionTable' --clixml",
  ],
  exec: ["psremote exec server1 -u admin --password-env PSPW -- ipconfig /all", 'psremote exec win01 -- cmd /c "dir C:\\"   ; echo "exit code $?"'],
  identify: ['psremote identify http://127.0.0.1:5985/wsman', 'psremote identify server1:5986 --ssl --ca corp-ca.pem --json'],
  wmi: ['psremote wmi server1 -u admin --password-env PSPW "SELECT Name, State FROM Win32_Service WHERE StartMode=\'Auto\'"', 'psremote wmi win01 "SELECT * FROM Win32_OperatingSystem" --json'],
  session: ['psremote session new win01 --name work', 'psremote session list --remote win01', 'psremote session receive work', 'psremote session remove work'],
  'session new': ['psremote session new http://127.0.0.1:5985/wsman --name work', "psremote session new server1 -u 'CORP\\me' --auth ntlm --name build --idle-timeout 14400"],
  'session list': ['psremote session list', 'psremote session list --remote server1 -u admin --password-env PSPW --json'],
  'session receive': ['psremote session receive work', 'psremote session receive work --json > output.jsonl'],
  'session remove': ['psremote session remove work', 'psremote session remove --remote server1 --state Disconnected --idle-longer-than 1d'],
  'session connect': ['psremote session connect work', "echo 'Get-Job' | psremote session connect work --json"],
  'session disconnect': ['psremote session disconnect work', 'psremote session disconnect work --idle-timeout 3600 --buffer-mode Drop'],
  upload: ['psremote upload win01 ./tools C:\\Tools -r', 'psremote upload --session work ./patch.msi C:\\Temp\\patch.msi --force', 'psremote upload win01 ./image.iso D:\\ --via winrs   (raw WinRS stdin: faster, needs the cmd shell; no JEA)'],
  download: ['psremote download win01 C:\\Windows\\Logs\\CBS\\CBS.log ./', 'psremote download server1 C:\\inetpub\\logs ./logs -r -p --json', 'psremote download win01 D:\\dumps\\big.dmp ./ --via winrs --powershell pwsh'],
  serve: [
    'psremote serve                                  (http://127.0.0.1:5985/wsman, scripted engine, no users: local tests only)',
    'psremote serve --users users.txt --auth basic,ntlm --engine real',
    'psremote serve --replay recording.yml --match lenient',
  ],
  recording: ['psremote recording convert session.yml session.jsonl'],
  'recording convert': ['psremote recording convert pypsrp.yml psremote.jsonl', 'psremote recording convert mine.jsonl for-pypsrp.yml --to pypsrp'],
  'replay-check': ["psremote replay-check bug.jsonl -- psremote invoke '{url}' -c 'Get-Date'", 'psremote replay-check bug.yml --match lenient -- python3 client.py'],
  decode: ['psremote decode capture.xml', 'psremote decode recording.yml | jq .psrp', "psremote decode --clixml - < error.clixml"],
  demo: ['psremote demo'],
  kinit: ['psremote kinit alice@CORP.EXAMPLE', 'psremote kinit svc-deploy@CORP.EXAMPLE --keytab deploy.keytab --ccache /tmp/deploy.cc'],
  klist: ['psremote klist', 'psremote klist --ccache /tmp/deploy.cc --json'],
  config: ['psremote config show', 'psremote config path'],
  worker: [
    'psremote worker --queue redis://127.0.0.1:6379/0 -u admin --password-env PSPW --concurrency 32',
    "psremote invoke --queue redis://127.0.0.1:6379/0 --hosts-file hosts.txt -f patch.ps1 --json   (the producer: one job per host)",
  ],
  'config show': ['psremote config show', 'psremote config show win01 --json'],
  'config path': ['psremote config path'],
};

function path(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The commands (at any depth) of `program`, with their paths. */
export function allCommands(program: Command): { path: string; cmd: Command }[] {
  const out: { path: string; cmd: Command }[] = [];
  const walk = (c: Command) => {
    for (const s of c.commands) {
      out.push({ path: path(s), cmd: s });
      walk(s);
    }
  };
  walk(program);
  return out;
}

/** Adds the examples to each command's help (commands that write their own are left alone). */
export function addExamples(program: Command): void {
  for (const { path: p, cmd } of allCommands(program)) {
    const ex = EXAMPLES[p];
    if (ex) cmd.addHelpText('after', `\nExamples:\n${ex.map((e) => `  ${e}`).join('\n')}\n`);
  }
  program.addHelpText(
    'after',
    `
Examples:
  npx psremote serve &                                       (a local endpoint to try things on)
  npx psremote invoke http://127.0.0.1:5985/wsman -c 'Get-Date'
  psremote shell win01                                       (named hosts: psremote config show)
  psremote <command> --help                                  (each command's flags and examples)

Exit codes: 0 success, 1 remote error or failed pipeline, 2 usage error, 3 connection or
authentication failure, 4 timeout; exec exits with the remote command's code. Manual: docs/cli.md`,
  );
}
