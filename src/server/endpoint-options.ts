// The options of the local endpoint, and what it reports of itself (stats, log).

import type { ScriptHandler } from './scripted-engine.js';
import type { CmdHandler } from './commands.js';
import type { FaultInjector } from './faults.js';
import type { EndpointAuthScheme, EndpointUser } from './auth-gate.js';
import type { ChannelBindingPolicy } from '../auth/ntlm/acceptor.js';
import type { ServiceKey } from '../auth/kerberos/gss/acceptor.js';
import type { Clock } from '../util/clock.js';

export interface EndpointOptions {
  readonly port?: number;
  readonly host?: string;
  /**
   * Users (name → password, `{ password, admin? }` or `{ ntHash, admin? }`); none means no
   * authentication. Each user sees and touches only their own shells; `admin` users may
   * enumerate and delete everyone's.
   */
  readonly users?: Readonly<Record<string, EndpointUser>>;
  /** Schemes offered to `users` (default ['basic']); 'ntlm' is NTLM in the Negotiate scheme with message encryption. */
  readonly auth?: readonly EndpointAuthScheme[];
  /** Serve https with this certificate and key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** `auth: ['credssp']`: the inner TLS certificate and key (default `tls`; required over http). */
  readonly credsspTls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Receives each CredSSP delegation (the password is secret: never log it). */
  readonly onDelegatedCredentials?: (user: string, credentials: { readonly domainName: string; readonly userName: string; readonly password: string }) => void;
  /** NTLM channel binding policy over https, as CbtHardeningLevel (default 'relaxed'). */
  readonly channelBindingPolicy?: ChannelBindingPolicy;
  /**
   * AllowUnencrypted (default false): over http, accept Basic (the password in clear)
   * and unsealed SOAP from NTLM clients. Without it Basic is refused over http.
   */
  readonly allowUnencrypted?: boolean;
  /** More Host names clients may use (beside the address served and, on loopback, localhost). */
  readonly allowedHosts?: readonly string[];
  /**
   * Connections held at once; more are closed on arrival. Default: as many as can each
   * hold a request body of the largest size within 1/16 of the machine's memory, 256 to 4096.
   */
  readonly maxConnections?: number;
  /**
   * Lines for the operator (`serve` prints them on stderr): connections dropped over
   * `maxConnections`, at most one line a second with the count since the last one,
   * the limit and how to raise it. Each is also a `log` entry `{ operation: 'dropped', status: 0, reason: line }`.
   */
  readonly onNotice?: (line: string) => void;
  /** Time for a client to send the request headers (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Time for a client to send the whole request, body included (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Output held for one command (or shell) before its producer is paused (default 4 MiB). */
  readonly maxBufferedOutputBytes?: number;
  /** Service keys for `auth: ['kerberos']` (parseKeytab(...).entries). */
  readonly keytab?: readonly ServiceKey[];
  /** Where a forwarded TGT is stored, as an MIT ccache `krb5cc_<client principal>` (mode 0600). */
  readonly delegationDir?: string;
  /** The clock Kerberos tickets are checked against (tests). */
  readonly now?: () => Date;
  /**
   * Time for the shells: activity, the idle sweep, expiry of disconnected
   * shells and how long a Receive is held (default the real clock; tests pass
   * a ManualClock from util/clock.ts and move it on instead of sleeping).
   */
  readonly clock?: Clock;
  /** Runs PowerShell pipelines (default: the demo handler). */
  readonly handler?: ScriptHandler;
  /**
   * Run PowerShell shells on PowerShell's own engine instead of the scripted one:
   * the command line of a PSRP server speaking OutOfProc on stdio (`pwsh -s`, or
   * the test peer's host), started once per shell.
   */
  readonly realEngine?: string | readonly string[];
  /**
   * More session configurations, by name: each the command line of its PSRP
   * server, e.g. `['pwsh', '-s', '-NoLogo', '-NoProfile', '-ConfigurationFile', 'Maintenance.pssc']`
   * (what `serve --configuration NAME=FILE.pssc` builds). When given, a Create
   * for any other name than these and Microsoft.PowerShell is not found.
   */
  readonly configurations?: Readonly<Record<string, string | readonly string[]>>;
  /** Longest a Receive is held, whatever its OperationTimeout (default 60 s). */
  readonly maxOperationTimeoutMs?: number;
  /** MaxEnvelopeSizekb of this server (default 500). */
  readonly maxEnvelopeSizeKb?: number;
  /** Largest raw output bytes in one ReceiveResponse (default 96 KiB; a cmd command's answers are filled to it). */
  readonly maxReceiveBytes?: number;
  /**
   * Drop shells that have had no request and no outstanding Receive for this long,
   * as Windows disconnects idle shells after about a minute (peers note C4).
   * Default 0: off. Tests shorten it.
   */
  readonly idleDisconnectMs?: number;
  /** Per-user quotas, with the faults Windows returns when they are exceeded. */
  readonly quotas?: {
    /** Shells one user may hold at once (Windows MaxShellsPerUser; default 30). */
    readonly maxShellsPerUser?: number;
    /** Commands one shell may hold at once, not yet released (MaxConcurrentOperationsPerUser; default 1500). */
    readonly maxCommandsPerShell?: number;
  };
  /**
   * PowerShell commands by name: a script whose first word is a registered name
   * runs that handler; anything else goes to `handler`.
   */
  readonly psCommands?: Readonly<Record<string, ScriptHandler>>;
  /** WinRS commands by name, run instead of the local shell. */
  readonly cmdCommands?: Readonly<Record<string, CmdHandler>>;
  /** Append every exchange to this file in psremote's recording format (credentials scrubbed). */
  readonly recordPath?: string;
  /** Entries `log` keeps, the latest ones (default 10,000): a long-lived endpoint must not keep every request. */
  readonly logLimit?: number;
}

export interface EndpointStats {
  readonly requests: Record<string, number>;
  readonly openShells: number;
  /** Shells the idle timer disconnected (PowerShell) or dropped (cmd). */
  readonly idleDisconnects: number;
  /** Disconnected shells removed when their idle timeout ran out. */
  readonly expired: number;
  /** Request and response body bytes. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Requests refused before processing (Origin, Host, Content-Type, size), and connections closed over maxConnections. */
  readonly refused: number;
  readonly connectionsDropped: number;
  /** Output bytes held for clients right now, over every shell and command. */
  readonly bufferedOutputBytes: number;
  /** Commands not released yet, over all shells (docs/endpoint.md, "What the endpoint holds"). */
  readonly commandsHeld: number;
  /** Output waiting for a Receive, plus what the PowerShell engines queue or reassemble. */
  readonly bufferedBytes: number;
  /** Receives held (long polls) right now. */
  readonly pendingReceives: number;
  /** Pipelines the PowerShell engines track. */
  readonly enginePipelines: number;
  /** Released command ids kept to answer a repeated Receive (bounded per shell). */
  readonly recentlyDone: number;
  /** Entries in `log` now (at most about 1.25 × logLimit). */
  readonly logEntries: number;
}

export interface LocalEndpoint {
  readonly url: string;
  readonly stats: EndpointStats;
  /**
   * The latest requests (at most `logLimit`), in order: operation, shell, command, HTTP status answered;
   * also `dropped` entries (status 0: no answer), one per onNotice line about connections over maxConnections.
   */
  readonly log: readonly { operation: string; shellId?: string | undefined; commandId?: string | undefined; status: number; user?: string | undefined; reason?: string }[];
  /** Fault injection: add rules to drop, delay or fail requests. */
  readonly faults: FaultInjector;
  /** The shells the server holds now: id, kind, state, owner, commands. */
  shells(): { shellId: string; kind: 'powershell' | 'cmd'; state: 'Connected' | 'Disconnected'; owner: string; commands: string[] }[];
  /** Removes a shell at once, as if an administrator killed it; false if unknown. */
  killShell(shellId: string): boolean;
  close(): Promise<void>;
}
