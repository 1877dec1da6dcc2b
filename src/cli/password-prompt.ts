// The password prompt, for every command that asks for one (connection and
// Kerberos flags, check, kerberos).

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import type { CliIO } from './io.js';

/** Reads a password from the terminal without echoing it. */
export async function promptPassword(prompt: string, io: CliIO): Promise<string> {
  const input = io.stdin as NodeJS.ReadStream;
  if (!input.isTTY) throw new UsageError('--user needs a password: set --password-env VAR (stdin is not a terminal, so there is no prompt)');
  io.stderr.write(prompt);
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    io.stderr.write('\n');
  }
}
