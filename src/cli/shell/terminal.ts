// The shell's terminal: one node:readline interface for the whole session, so
// that line editing, history and Ctrl+C work the same at the PS prompt and at
// prompts remote code asks for (Read-Host). Secret prompts mute the echo and
// leave nothing in the history; answers to host prompts never enter it at all,
// since only commands are worth recalling.

import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';

export interface ReadOptions {
  /** Hide what is typed (Read-Host -AsSecureString, Get-Credential). */
  readonly secret?: boolean;
  /** Keep the line in the history (commands at the PS prompt; not answers to host prompts). */
  readonly remember?: boolean;
}

export interface TerminalIO {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
}

export class Terminal {
  readonly tty: boolean;
  readonly #rl: Interface;
  readonly #stdout: NodeJS.WritableStream;
  #muted = false;
  #closed = false;
  #waiting: ((line: string | null) => void) | undefined;
  /** Lines that came while nobody was reading: typeahead, or all of a piped script at once. */
  readonly #queue: string[] = [];
  #interrupt: () => void = () => undefined;
  #historyChanged: (history: readonly string[]) => void = () => undefined;

  constructor(io: TerminalIO, history: readonly string[] = [], completer?: (line: string) => Promise<[string[], string]>) {
    this.#stdout = io.stdout;
    const out = io.stdout as NodeJS.WriteStream;
    this.tty = (io.stdin as NodeJS.ReadStream).isTTY === true && out.isTTY === true;
    // readline echoes through this, so a secret prompt can silence it.
    const echo = new Writable({
      write: (chunk, _enc, cb) => {
        if (!this.#muted) io.stdout.write(chunk);
        cb();
      },
    }) as Writable & { columns?: number; isTTY?: boolean };
    Object.defineProperty(echo, 'columns', { get: () => out.columns ?? 80 });
    echo.isTTY = this.tty;
    out.on?.('resize', () => echo.emit('resize'));
    this.#rl = createInterface({
      input: io.stdin,
      output: echo,
      terminal: this.tty,
      history: [...history],
      historySize: 1000,
      removeHistoryDuplicates: true,
      ...(completer && this.tty
        ? {
            completer: (line: string, cb: (e: Error | null, r: [string[], string]) => void) => {
              completer(line).then(
                (r) => cb(null, r),
                () => cb(null, [[], line]),
              );
            },
          }
        : {}),
    });
    this.#rl.on('line', (line) => {
      const w = this.#waiting;
      this.#waiting = undefined;
      if (w) w(line);
      else this.#queue.push(line);
    });
    this.#rl.on('close', () => {
      this.#closed = true;
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(null);
    });
    this.#rl.on('SIGINT', () => this.#interrupt());
  }

  /** Input has ended and every line of it was read. */
  get closed(): boolean {
    return this.#closed && this.#queue.length === 0;
  }

  get columns(): number {
    return (this.#stdout as NodeJS.WriteStream).columns ?? 120;
  }

  /** Ctrl+C: called instead of ending the process. */
  onInterrupt(handler: () => void): void {
    this.#interrupt = handler;
  }

  onHistoryChange(handler: (history: readonly string[]) => void): void {
    this.#historyChanged = handler;
  }

  get reading(): boolean {
    return this.#waiting !== undefined;
  }

  /** Reads one line after `prompt`; null at end of input (Ctrl+D, stdin closed). */
  readLine(prompt: string, options: ReadOptions = {}): Promise<string | null> {
    const queued = this.#queue.shift();
    if (queued !== undefined) {
      // Not typed at this prompt: show the prompt and the line as a transcript would.
      this.#stdout.write(`${prompt}${options.secret ? '' : queued}\n`);
      return Promise.resolve(queued);
    }
    if (this.#closed) return Promise.resolve(null);
    const rl = this.#rl as Interface & { history?: string[] };
    const before = rl.history?.[0];
    return new Promise((resolve) => {
      this.#waiting = (line) => {
        if (options.secret) {
          this.#muted = false;
          if (this.tty) this.#stdout.write('\n');
        }
        // readline has already put the line in its history: take it out again unless it is a command.
        if (line !== null && !options.remember && rl.history && rl.history[0] === line && rl.history[0] !== before) rl.history.shift();
        if (line !== null && options.remember && rl.history) this.#historyChanged(rl.history);
        resolve(line);
      };
      if (options.secret) {
        this.#stdout.write(prompt);
        rl.setPrompt('');
        this.#muted = true;
      } else rl.setPrompt(prompt);
      if (this.tty || !options.secret) rl.prompt();
    });
  }

  /** Ctrl+C at a prompt: forget the half-typed line and ask again. */
  cancelLine(): void {
    if (!this.#waiting) return;
    this.#rl.write(null, { ctrl: true, name: 'e' });
    this.#rl.write(null, { ctrl: true, name: 'u' });
    this.#stdout.write('^C\n');
    this.#rl.prompt();
  }

  write(text: string): void {
    this.#stdout.write(text);
  }

  close(): void {
    this.#rl.close();
  }
}
