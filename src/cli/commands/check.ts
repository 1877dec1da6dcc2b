// `psremote check TARGET`: what a host's WinRM and PowerShell remoting really
// offer, with the evidence and the fix for each finding, and `--expect FILE`
// to assert it in CI (docs/check.md). Exit 0 when nothing failed (warnings
// allowed) and every expectation holds, 1 otherwise.

import { writeFileSync } from 'node:fs';
import { FILE_LIMITS, readBoundedText } from '../bounded-file.js';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { checkHost } from '../../session/check/check-host.js';
import { compareExpectations, configurationsIn, formatExpectations, junitReport, parseExpectations } from '../../session/check/expect.js';
import { formatReport } from '../../session/check/report.js';
import { promptPassword } from '../connection-flags.js';
import type { CliIO } from '../io.js';
import { visibleText } from '../terminal-text.js';

interface CheckFlags {
  user?: string;
  passwordEnv?: string;
  ca?: string;
  servername?: string;
  configuration?: string[];
  json?: boolean;
  expect?: string;
  junit?: string;
  timeout: string;
  probeIdle?: string;
  keytab?: string;
  ccache?: string;
  kdc?: string;
  krb5Config?: string;
  spn?: string;
}

const readText = (path: string, what: string): string => readBoundedText(path, what, FILE_LIMITS.key);

export function register(program: Command, io: CliIO): void {
  program
    .command('check')
    .description("report what a host's WinRM and PowerShell remoting offer (reachability, certificate, auth schemes, limits, configurations) and assert it with --expect")
    .argument('<target>', 'host, host:port or http(s)://host:port/wsman')
    .option('-u, --user <name>', 'user to authenticate as (checks schemes, limits and configurations)')
    .option('--password-env <var>', 'environment variable holding the password (otherwise you are prompted)')
    .option('--ca <file>', 'CA certificate (PEM) the server certificate should chain to')
    .option('--servername <name>', 'name to check the server certificate against')
    .option('--configuration <name...>', 'session configurations to open (default Microsoft.PowerShell, plus those in --expect)')
    .option('--expect <file>', 'YAML or JSON assertions; exit 1 with the differences when one does not hold')
    .option('--junit <file>', 'also write the results as JUnit XML')
    .option('--timeout <seconds>', 'timeout of each probe', '10')
    .option('--probe-idle <seconds>', 'also watch how long a shell with no outstanding Receive lives (makes one cmd shell, up to this long)')
    .option('--keytab <file>', 'Kerberos: the keytab of the -u principal (user@REALM)')
    .option('--ccache <file>', 'Kerberos: a ccache holding a TGT for the -u principal')
    .option('--kdc <host:port>', 'Kerberos: the KDC (default: krb5.conf, then DNS SRV)')
    .option('--krb5-config <file>', 'Kerberos: krb5.conf to read (default KRB5_CONFIG, /etc/krb5.conf)')
    .option('--spn <spn>', 'Kerberos: the SPN to ask a ticket for (default HTTP/<host>)')
    .option('--json', 'print the report (and the expectation results) as JSON')
    .addHelpText('after', '\nExamples:\n  psremote check server.example.com:5986 --ssl\n  psremote check https://server:5986/wsman -u admin --password-env PW --expect winrm-policy.yml --junit check.xml\n')
    .action(async (target: string, f: CheckFlags) => {
      const expectations = f.expect ? parseExpectations(readText(f.expect, '--expect file'), f.expect) : undefined;
      const timeout = Number(f.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout takes seconds, not '${f.timeout}'`);
      let credential: { username: string; password: string } | undefined;
      const kerberosSecret = f.keytab !== undefined || f.ccache !== undefined;
      if (f.user && !kerberosSecret) {
        const password = f.passwordEnv ? process.env[f.passwordEnv] : await promptPassword(`password for ${f.user}: `, io);
        if (password === undefined) throw new UsageError(`environment variable ${f.passwordEnv} (from --password-env) is not set`);
        credential = { username: f.user, password };
      }
      const configurations = [...new Set([...(f.configuration ?? (expectations && configurationsIn(expectations).length > 0 ? [] : ['Microsoft.PowerShell'])), ...(expectations ? configurationsIn(expectations) : [])])];
      const idle = f.probeIdle !== undefined ? Number(f.probeIdle) : undefined;
      if (idle !== undefined && (!Number.isFinite(idle) || idle <= 0)) throw new UsageError(`--probe-idle takes seconds, not '${f.probeIdle}'`);
      if (kerberosSecret && !f.user?.includes('@')) throw new UsageError('--keytab and --ccache need -u user@REALM');
      const report = await checkHost(target, {
        ...(credential ? { credential } : {}),
        ...(kerberosSecret || f.kdc || f.krb5Config || f.spn
          ? {
              kerberos: {
                principal: f.user ?? '',
                ...(f.keytab ? { keytab: f.keytab } : {}),
                ...(f.ccache ? { ccache: f.ccache } : {}),
                ...(f.kdc ? { kdc: f.kdc } : {}),
                ...(f.krb5Config ? { krb5Config: f.krb5Config } : {}),
                ...(f.spn ? { spn: f.spn } : {}),
              },
            }
          : {}),
        ...(idle !== undefined ? { probes: { idleSeconds: idle } } : {}),
        tls: { ...(f.ca ? { ca: readText(f.ca, '--ca file') } : {}), ...(f.servername ? { servername: f.servername } : {}) },
        configurations,
        timeoutMs: timeout * 1000,
      });
      const results = expectations ? compareExpectations(expectations, report.facts) : [];
      if (f.json) io.stdout.write(`${JSON.stringify({ ...report, ...(expectations ? { expectations: results } : {}) }, null, 2)}\n`);
      else {
        // The report quotes the server (versions, names, messages): controls escaped (terminal-text.ts).
        io.stdout.write(visibleText(formatReport(report)));
        if (expectations) io.stdout.write(visibleText(formatExpectations(results)));
      }
      if (f.junit) writeFileSync(f.junit, junitReport(report, results));
      process.exitCode = report.status === 'fail' || results.some((r) => !r.ok) ? 1 : 0;
    });
}
