// Colours on the CLI's human output, as PowerShell's console shows its streams
// ($PSStyle.Formatting: Error bold red, Warning, Verbose and Debug bold yellow).
// Only on a terminal, never with NO_COLOR set (https://no-color.org: any value,
// the empty one included, since setting it at all says what the user wants) or
// TERM=dumb; FORCE_COLOR (other than 0/false) turns them on where there is no
// terminal (CI logs that render ANSI), but NO_COLOR still wins.

export type Style = 'error' | 'warning' | 'verbose' | 'debug';

const SGR: Record<Style, string> = { error: '\x1b[31;1m', warning: '\x1b[33;1m', verbose: '\x1b[33;1m', debug: '\x1b[33;1m' };
const RESET = '\x1b[0m';

export function colourWanted(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force.toLowerCase() !== 'false') return true;
  return (stream as NodeJS.WriteStream).isTTY === true && env.TERM !== 'dumb';
}

/** `text` in the stream's colour when `on`; each line coloured on its own, so a pager or `less -R` keeps it. */
export function paint(text: string, style: Style, on: boolean): string {
  if (!on || text === '') return text;
  return text
    .split('\n')
    .map((l) => (l === '' ? l : `${SGR[style]}${l}${RESET}`))
    .join('\n');
}
