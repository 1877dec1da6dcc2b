// The options of the WinRS API (winrs.ts): opening a shell and running a command on it.

import type { ConnectOptions } from './target.js';
import type { Clock } from '../util/clock.js';

export interface OpenShellOptions extends ConnectOptions {
  readonly workingDirectory?: string;
  readonly environment?: Readonly<Record<string, string>>;
  /** Console code page for the shell's output (default 65001, UTF-8). */
  readonly codepage?: number;
  readonly noProfile?: boolean;
  /** Run commands directly instead of through `cmd.exe /c`. */
  readonly skipCmdShell?: boolean;
  /** rsp:IdleTimeOut of the shell. */
  readonly idleTimeoutMs?: number;
  readonly lifetimeMs?: number;
  readonly signal?: AbortSignal;
  /**
   * How long a command's Receive is retried while the network is down (default
   * 240 000, as PowerShell's robust connections); 0: the first network error
   * fails the command. Only Receives are retried, each with its SequenceId, so
   * an answer lost in flight is sent again by a server that keeps it.
   */
  readonly networkRetryMs?: number;
  /** First delay between Receive retries; it doubles up to 10 s (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Time for the retry window and the pauses between retries (default the real clock; tests pass a ManualClock). */
  readonly clock?: Clock;
}

export type StdinSource = string | Uint8Array | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export interface RunOptions {
  /** Data for the command's stdin; the stream is ended after it. */
  readonly stdin?: StdinSource;
  /**
   * Without `stdin`: end the command's stdin at once, as `ssh -n` does, so a command that
   * reads it sees end of input instead of waiting for bytes nobody will send. It is an
   * empty Send with End="true" right after the Command, before the first Receive, on the
   * Command's connection (one request more, no second connection); a fault on it (the
   * command exited already) is ignored. `run` defaults to false (the caller holds
   * `sendInput`); `runCommand` and `psremote exec` without `--stdin` to true, since nothing
   * could write to that stdin later. Ignored when `stdin` is given (its end closes it).
   */
  readonly closeStdin?: boolean;
  readonly signal?: AbortSignal;
  /** WINRS_CONSOLEMODE_STDIN: pass stdin as a console (default false: a pipe). */
  readonly consoleModeStdin?: boolean;
  /** Per-command WINRS_SKIP_CMD_SHELL. */
  readonly skipCmdShell?: boolean;
  /** A Receive failed on the network and is being retried quietly (once per outage). */
  readonly onNetworkInterrupted?: (error: Error) => void;
  /** The network came back within the retry window. */
  readonly onNetworkResumed?: () => void;
  /**
   * The shell is closed right after this command: no Signal terminate after
   * Done, since the Delete releases the command with the shell (one request
   * fewer; runCommand and `psremote exec` set it).
   */
  readonly lastCommand?: boolean;
}
