// Text from a server (PowerShell output, error and warning messages, progress,
// fault messages, WMI properties) is shown to a person on a terminal, where
// control characters are commands: ESC ] 52 writes the user's clipboard, ESC [
// moves the cursor and can paint over what was printed, CR overwrites a line.
// The CLI's human output therefore shows every C0/C1 control except tab and
// newline as a visible escape. `--json` output stays exact (JSON escapes them).
// `exec` passes a remote program's raw stdout/stderr through untouched, as ssh
// does: it is a byte stream the user asked for (colours, binary, redirection).

// C0 except \t and \n, DEL, C1; a CR of a CR LF pair is dropped, a lone CR escaped.
const CONTROLS = /\r\n|[\x00-\x08\x0B-\x1F\x7F-\x9F]/g;

/** `s` with controls shown as `\x1B`-style escapes (a CR LF becomes LF). */
export function visibleText(s: string): string {
  CONTROLS.lastIndex = 0;
  if (!CONTROLS.test(s)) return s;
  return s.replace(CONTROLS, (c) => (c === '\r\n' ? '\n' : `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
}
