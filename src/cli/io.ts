// The streams a CLI run writes to and reads from. In a file of its own so that
// the commands can name it without importing main.ts, which imports them.

export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
}
