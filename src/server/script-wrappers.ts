// The wrapper `psremote shell` puts around what the user typed when the server
// cannot format remotely (src/cli/shell/remote.ts `formatted(…, 'none')`):
// `. { try { . ([scriptblock]::Create('<text>')) } catch { $_ } } 2>&1`. The
// scripted engine is not PowerShell, so its handlers get the text inside, as
// PowerShell itself would run it; the output then comes back as objects, which
// the CLI lays out locally.

const SHELL_WRAPPER = /^\. \{ try \{ \. \(\[scriptblock\]::Create\('((?:[^'\u2018\u2019\u201A\u201B]|['\u2018\u2019\u201A\u201B]{2})*)'\)\) \} catch \{ \$_ \} \} 2>&1$/s;

/** The user's text inside the shell's wrapper, or `text` itself. */
export function unwrapShellInput(text: string): string {
  const m = SHELL_WRAPPER.exec(text);
  return m ? m[1]!.replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1') : text;
}
