// `psremote serve`: a local WinRM endpoint on loopback (WinRS shells run
// through the local shell, PowerShell on the scripted engine), or the replay of
// a recording with `--replay FILE`.
//
// Safe by default: Basic over http (the password in clear) needs
// --allow-unencrypted, as WinRM's AllowUnencrypted; serving with no --users, on
// an address that is not loopback, or unencrypted prints a warning naming the
// risk (on stderr, so scripts reading the URL from stdout are not disturbed).

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadRecording } from '../../server/recording.js';
import { startReplayServer } from '../../server/replay.js';
import { startEndpoint, type EndpointOptions } from '../../server/endpoint.js';
import type { EndpointAuthScheme, EndpointUser } from '../../server/auth-gate.js';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { splitCommandLine } from '../../transport/outofproc/connection.js';
import { parseKeytab } from '../../auth/kerberos/keytab.js';
import { FILE_LIMITS, readBoundedFile, readBoundedText } from '../bounded-file.js';
import type { CliIO } from '../io.js';

interface ServeFlags {
  replay?: string;
  credsspTls?: string;
  match: string;
  port: string;
  host: string;
  users?: string;
  auth: string;
  keytab?: string;
  delegationDir?: string;
  https?: string;
  tlsCert?: string;
  tlsKey?: string;
  cbt: string;
  record?: string;
  configuration?: string[];
  idleDisconnect: string;
  maxShellsPerUser: string;
  maxCommandsPerShell: string;
  engine: string;
  engineCommand?: string;
  allowUnencrypted?: boolean;
  allowedHost: string[];
  maxConnections?: string;
  maxOutputBuffer: string;
}

/** `--https CERT,KEY` or `--tls-cert CERT --tls-key KEY`: the PEM files, read. */
function tlsFiles(opts: ServeFlags): { cert: Buffer; key: Buffer } | undefined {
  let cert = opts.tlsCert;
  let key = opts.tlsKey;
  if (opts.https) {
    const parts = opts.https.split(',');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError('--https takes two files: CERT.pem,KEY.pem');
    if (cert || key) throw new UsageError('give --https or --tls-cert/--tls-key, not both');
    [cert, key] = parts;
  }
  if (!cert && !key) return undefined;
  if (!cert || !key) throw new UsageError('--tls-cert and --tls-key go together');
  return { cert: readBoundedFile(cert, 'certificate', FILE_LIMITS.key), key: readBoundedFile(key, 'private key', FILE_LIMITS.key) };
}

export function register(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('serve a local WinRM endpoint on 127.0.0.1, or replay a recording')
    .option('--replay <file>', 'answer requests from a recording (pypsrp YAML, WinRMSharp YAML, winrm4j XML, psremote JSON Lines)')
    .option('--match <mode>', 'with --replay: strict (compare each request with the recorded one, the default) or lenient (operation and target only)', 'strict')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '0')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--users <file>', 'users, one "name:password" (or "name:$NT$<32 hex>", an NT hash) per line; "[admin] name:password" may list and remove every user\'s shells (default: no authentication)')
    .option('--auth <schemes>', 'schemes offered: basic, ntlm (to --users), kerberos (with --keytab), negotiate (= kerberos,ntlm), credssp (NTLM to --users, Kerberos with --keytab; receives their passwords), comma-separated (default basic)', 'basic')
    .option('--keytab <file>', 'Kerberos: the service keys (HTTP/<host>@REALM), default KRB5_KTNAME')
    .option('--delegation-dir <dir>', 'Kerberos: store forwarded TGTs there as MIT ccaches krb5cc_<principal>')
    .option('--credssp-tls <cert,key>', 'CredSSP: the inner TLS certificate and key (PEM files, comma-separated; default the --https ones, required over http)')
    .option('--https <cert,key>', 'serve https with this PEM certificate and key (two files, comma-separated)')
    .option('--tls-cert <file>', 'serve https with this certificate (PEM); same as the first file of --https')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--cbt <level>', 'NTLM channel binding over https, as CbtHardeningLevel: none, relaxed (default) or strict', 'relaxed')
    .option('--engine <engine>', 'PowerShell shells run on: scripted (psremote\'s own, script handlers) or real (a PSRP server process per shell)', 'scripted')
    .option('--engine-command <cmd>', 'with --engine real: the PSRP server command line speaking OutOfProc on stdio', 'pwsh -s -NoLogo -NoProfile')
    .option('--configuration <name=file...>', 'with --engine real on pwsh: serve session configuration NAME from a .pssc file (pwsh -ConfigurationFile: LanguageMode, VisibleCmdlets, … as JEA applies them); repeatable')
    .option('--record <file>', 'write every exchange to FILE in psremote\'s recording format (credentials scrubbed; mode 0600, a symlink is refused)')
    .option('--allow-unencrypted', 'over http, accept Basic (passwords in clear) and unsealed NTLM traffic (WinRM\'s AllowUnencrypted)')
    .option('--allowed-host <name>', 'another Host name clients may use (repeatable; the address served and, on loopback, localhost are always accepted)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--max-connections <n>', 'connections held at once (default: sized to 1/16 of memory, 256 to 4096)')
    .option('--max-output-buffer <bytes>', 'output held per command before it is paused until a client receives', String(4 * 1024 * 1024))
    .option('--idle-disconnect <seconds>', 'disconnect shells that nobody receives from for this long (Windows: about 60)', '0')
    .option('--max-shells-per-user <n>', 'shells one user may hold at once (MaxShellsPerUser)', '30')
    .option('--max-commands-per-shell <n>', 'commands one shell may hold at once, not yet released (MaxConcurrentOperationsPerUser)', '1500')
    .action(async (opts: ServeFlags) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid --port ${opts.port}`);
      if (!opts.replay) {
        const users = opts.users ? readUsers(opts.users) : undefined;
        const auth = [...new Set(opts.auth.split(',').flatMap((s) => (s.trim().toLowerCase() === 'negotiate' ? ['kerberos', 'ntlm'] : [s.trim().toLowerCase()])))];
        for (const a of auth) if (a !== 'basic' && a !== 'ntlm' && a !== 'kerberos' && a !== 'credssp') throw new UsageError(`unknown --auth ${a}: use basic, ntlm, kerberos, credssp or negotiate`);
        // CredSSP takes Kerberos inside when given a keytab (NTLM to --users otherwise).
        const keytab = auth.includes('kerberos') || (auth.includes('credssp') && opts.keytab) ? readServiceKeytab(opts.keytab) : undefined;
        if (!auth.includes('kerberos') && !auth.includes('credssp') && opts.keytab) throw new UsageError('--keytab goes with --auth kerberos, negotiate or credssp');
        if (!['none', 'relaxed', 'strict'].includes(opts.cbt)) throw new UsageError(`invalid --cbt ${opts.cbt}: use none, relaxed or strict`);
        const count = (name: string, v: string, min: number) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < min) throw new UsageError(`invalid --${name} ${v}: expected an integer ≥ ${min}`);
          return n;
        };
        const tls = tlsFiles(opts);
        if (opts.engine !== 'scripted' && opts.engine !== 'real') throw new UsageError(`unknown --engine ${opts.engine}: scripted or real`);
        const configurations: Record<string, string[]> = {};
        for (const c of opts.configuration ?? []) {
          const eq = c.indexOf('=');
          if (eq <= 0 || eq === c.length - 1) throw new UsageError(`invalid --configuration ${c}: expected NAME=FILE.pssc`);
          if (opts.engine !== 'real') throw new UsageError('--configuration needs --engine real (the configuration runs on PowerShell\'s own engine)');
          const file = resolve(c.slice(eq + 1));
          if (!existsSync(file)) throw new UsageError(`--configuration ${c.slice(0, eq)}: no file ${file}`);
          configurations[c.slice(0, eq)] = [...splitCommandLine(opts.engineCommand ?? 'pwsh -s -NoLogo -NoProfile'), '-ConfigurationFile', file];
        }
        const warnings = risks(opts, users !== undefined, auth, tls !== undefined);
        const credsspTls = auth.includes('credssp') ? (opts.credsspTls ? tlsFiles({ ...opts, https: opts.credsspTls, tlsCert: undefined, tlsKey: undefined }) : tls) : undefined;
        if (auth.includes('credssp') && !credsspTls) throw new UsageError('--auth credssp needs a certificate for its inner TLS: --https CERT,KEY or --credssp-tls CERT,KEY');
        const o: EndpointOptions = {
          ...(credsspTls ? { credsspTls } : {}),
          // Only who delegated, never the password.
          ...(credsspTls ? { onDelegatedCredentials: (user: string, c: { domainName: string; userName: string }) => void process.stderr.write(`credssp: ${user} delegated credentials for ${c.domainName ? `${c.domainName}\\` : ''}${c.userName}\n`) } : {}),
          ...(Object.keys(configurations).length > 0 ? { configurations } : {}),
          port,
          host: opts.host,
          ...(opts.allowUnencrypted ? { allowUnencrypted: true } : {}),
          ...(opts.allowedHost.length ? { allowedHosts: opts.allowedHost } : {}),
          ...(opts.maxConnections !== undefined ? { maxConnections: count('max-connections', opts.maxConnections, 1) } : {}),
          onNotice: (line: string) => void io.stderr.write(`notice: ${line}\n`),
          maxBufferedOutputBytes: count('max-output-buffer', opts.maxOutputBuffer, 1024),
          ...(users || keytab ? { auth: auth as EndpointAuthScheme[] } : {}),
          ...(users ? { users } : {}),
          ...(keytab ? { keytab } : {}),
          ...(opts.delegationDir ? { delegationDir: opts.delegationDir } : {}),
          ...(tls ? { tls } : {}),
          channelBindingPolicy: opts.cbt as 'none' | 'relaxed' | 'strict',
          ...(opts.record ? { recordPath: opts.record } : {}),
          ...(opts.engine === 'real' ? { realEngine: opts.engineCommand ?? 'pwsh -s -NoLogo -NoProfile' } : {}),
          idleDisconnectMs: count('idle-disconnect', opts.idleDisconnect, 0) * 1000,
          quotas: {
            maxShellsPerUser: count('max-shells-per-user', opts.maxShellsPerUser, 1),
            maxCommandsPerShell: count('max-commands-per-shell', opts.maxCommandsPerShell, 1),
          },
        };
        // Before listening: the warning stands even if the address cannot be served.
        for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
        const ep = await startEndpoint(o);
        io.stdout.write(`listening on ${ep.url}\n`);
        io.stdout.write(
          `engine: ${opts.engine === 'real' ? `real (${opts.engineCommand})` : 'scripted'}${Object.keys(configurations).length ? `; configurations ${['Microsoft.PowerShell', ...Object.keys(configurations)].join(', ')}` : ''} (WinRS commands run through /bin/sh)${users || keytab ? `; ${[users ? `${Object.keys(users).length} users` : '', keytab ? `${keytab.length} Kerberos keys` : ''].filter(Boolean).join(', ')} (${auth.join(', ')})` : '; no authentication'}${opts.record ? `; recording to ${opts.record}` : ''}\n`,
        );
        await untilSignal();
        await ep.close();
        return;
      }
      if (opts.match !== 'strict' && opts.match !== 'lenient') throw new UsageError(`unknown --match ${opts.match}: strict or lenient`);
      const recording = loadRecording(opts.replay);
      const server = await startReplayServer({
        recording,
        match: opts.match,
        port,
        host: opts.host,
        onUnmatched: (u) =>
          io.stderr.write(`unmatched request #${u.index}: ${u.operation}${u.shellId ? ` shell ${u.shellId}` : ''}${u.commandId ? ` command ${u.commandId}` : ''}: ${u.reason}\n`),
      });
      io.stdout.write(`listening on ${server.url}\n`);
      io.stdout.write(`replaying ${recording.exchanges.length} exchanges from ${recording.source} (${recording.format})\n`);
      await untilSignal();
      const left = server.remaining().length;
      const ends = server.stdinEnds ? `; ${server.stdinEnds} empty stdin End${server.stdinEnds === 1 ? '' : 's'} not in the recording answered (closeStdin)` : '';
      io.stdout.write(`${server.served.length} requests matched, ${server.unmatched.length} unmatched, ${left} recorded exchanges unused${ends}\n`);
      await server.close();
    });
}

export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const isLoopback = (h: string) => {
  const bare = h.startsWith('[') ? h.slice(1, -1) : h;
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
};

/** What is unsafe about this configuration: refused outright, or warned about. */
function risks(opts: ServeFlags, hasUsers: boolean, auth: string[], secure: boolean): string[] {
  const w: string[] = [];
  const basicInClear = hasUsers && auth.includes('basic') && !secure;
  if (basicInClear && !opts.allowUnencrypted && !auth.includes('ntlm')) {
    throw new UsageError('--auth basic over http would send passwords in clear: serve --https CERT,KEY, use --auth ntlm, or accept the risk with --allow-unencrypted');
  }
  if (basicInClear && !opts.allowUnencrypted) w.push('Basic is refused over http without --allow-unencrypted (passwords would cross in clear); only NTLM is accepted');
  if (!hasUsers) w.push(`no --users: anyone who can reach this endpoint runs commands as ${userInfo().username}, and every client sees and uses every shell`);
  if (!isLoopback(opts.host)) {
    w.push(`--host ${opts.host} is not a loopback address: the endpoint is reachable from the network${secure ? '' : ', and its traffic is not protected by TLS'}`);
  }
  if (opts.allowUnencrypted && !secure) w.push('--allow-unencrypted: Basic passwords and unsealed SOAP may cross the network in clear');
  return w;
}

function readUsers(file: string): Record<string, EndpointUser> {
  const users: Record<string, EndpointUser> = {};
  for (const [i, line] of readBoundedText(file, '--users', FILE_LIMITS.users).split('\n').entries()) {
    let l = line.trim();
    if (!l || l.startsWith('#')) continue;
    const admin = /^\[admin\]\s+/i.exec(l);
    if (admin) l = l.slice(admin[0].length);
    const c = l.indexOf(':');
    if (c <= 0) throw new UsageError(`${file} line ${i + 1}: expected name:password or [admin] name:password`);
    const secret = l.slice(c + 1);
    const nt = /^\$NT\$([0-9a-fA-F]{32})$/.exec(secret);
    const flag = admin ? { admin: true } : {};
    users[l.slice(0, c)] = nt ? { ntHash: nt[1]!, ...flag } : admin ? { password: secret, admin: true } : secret;
  }
  return users;
}

/** The service keys of --keytab (or KRB5_KTNAME). */
function readServiceKeytab(path: string | undefined) {
  const p = (path ?? process.env.KRB5_KTNAME)?.replace(/^(FILE|WRFILE):/, '');
  if (!p) throw new UsageError('--auth kerberos needs --keytab FILE (or KRB5_KTNAME): the HTTP/<host> service keys');
  const bytes = new Uint8Array(readBoundedFile(p, 'keytab', FILE_LIMITS.key));
  const kt = parseKeytab(bytes, p);
  if (kt.entries.length === 0) throw new UsageError(`keytab ${p} has no key psremote can use (aes256, aes128 or rc4)`);
  return kt.entries;
}
