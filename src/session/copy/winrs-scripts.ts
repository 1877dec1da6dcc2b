// The PowerShell side of a copy over WinRS (copyToHost / copyFromHost): one
// process per transfer, started by a WinRS command, that reads the copy's
// bytes from its raw stdin and writes a download's bytes to its raw stdout, so
// neither CLIXML nor PSRP touches the data. Framing: docs/file-transfer.md
// ("Over WinRS") and spec-notes/winrs-copy.md.
//
// The command line carries only BOOTSTRAP (cmd.exe lines stop at 8191 chars):
// it reads a length-prefixed UTF-8 script from stdin and runs it with a
// BinaryReader on stdin and the stdout stream. That script wraps the scripts
// of the PSRP copy (scripts.ts: PREPARE, UPLOAD, DOWNLOAD, TIMES) as steppable
// pipelines, so the file-system logic (temporary names, SHA-256, rename into
// place, overwrite, failures) is the one code, fed from frames instead of
// pipeline input. .NET APIs and the core language only (5.1 and 7).

import { DOWNLOAD_SCRIPT, PREPARE_SCRIPT, TIMES_SCRIPT, UPLOAD_SCRIPT, tabs } from './scripts.js';

/** Runs the script that follows on stdin; its output is discarded (stdout carries frames only). */
export const BOOTSTRAP =
  "$ProgressPreference='SilentlyContinue';$i=[Console]::OpenStandardInput();$r=New-Object IO.BinaryReader($i);" +
  '$n=$r.ReadInt32();$s=[Text.Encoding]::UTF8.GetString($r.ReadBytes($n));$o=[Console]::OpenStandardOutput();' +
  '$null=& ([ScriptBlock]::Create($s)) $r $o';

/** The command line of a WinRS copy: `exe` with the bootstrap as -EncodedCommand (UTF-16LE, base64). */
export function bootstrapCommand(exe: string): string {
  const quoted = /[\s"]/.test(exe) ? `"${exe.replaceAll('"', '')}"` : exe;
  return `${quoted} -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ${Buffer.from(BOOTSTRAP, 'utf16le').toString('base64')}`;
}

/** A script argument: base64 of UTF-8, decoded by `A` (no quoting rule of PowerShell can break it). */
const arg = (s: string): string => `(A '${Buffer.from(s, 'utf8').toString('base64')}')`;

const COMMON = String.raw`param($r, $o)
$ErrorActionPreference = 'Stop'
$utf8 = New-Object System.Text.UTF8Encoding($false)
function A([string]$b) { return $utf8.GetString([System.Convert]::FromBase64String($b)) }
$sbPrep = {
${PREPARE_SCRIPT}
}
`;

/**
 * Upload: answers are lines on stdout (P after the check, then R or X per
 * file, Q after an abort, Z at the end). Frames on stdin: R (records for
 * UPLOAD, '\n'-joined), D (a file's bytes), T (folder times for TIMES), Z.
 */
const UPLOAD_HOST = tabs(String.raw`
$sbUpload = {
${UPLOAD_SCRIPT}
}
$sbTimes = {
${TIMES_SCRIPT}
}
function Say([string]$s) { $b = $utf8.GetBytes($s + [char]10); $o.Write($b, 0, $b.Length); $o.Flush() }
$p = [string](@(& $sbPrep $Target $Mode $Name $CreateParents $Overwrite)[0])
Say $p
if (-not $p.StartsWith("P<T>")) { return }
$Base = $p.Split([char]9)[1]
$sp = { & $sbUpload -Base $Base -Overwrite $Overwrite -Times $Times }.GetSteppablePipeline()
$sp.Begin($true)
$ended = $false
$tl = $null
try {
  while ($true) {
    $t = [char]$r.ReadByte()
    $n = $r.ReadInt32()
    $b = $r.ReadBytes($n)
    if ($b.Length -ne $n) { throw (New-Object System.IO.EndOfStreamException) }
    if ($t -eq [char]'Z') { $ended = $true; break }
    if ($t -eq [char]'T') { $tl = $utf8.GetString($b); continue }
    if ($t -eq [char]'D') { $outs = $sp.Process($b) } else { $outs = $sp.Process($utf8.GetString($b)) }
    foreach ($y in $outs) { $s = [string]$y; if ($s -ne 'K') { Say $s } }
  }
} catch [System.IO.EndOfStreamException] {
  # stdin ended before Z: the client went away; End below removes the temporary file
} finally {
  try { foreach ($y in $sp.End()) { $s = [string]$y; if ($s -ne 'K') { Say $s } } } catch { }
  $sp.Dispose()
}
if ($null -ne $tl -and $tl -ne '') { $tl.Split([char]10) | & $sbTimes }
if ($ended) { Say 'Z' }
`);

/** Download: frames on stdout, T (DOWNLOAD's records, '\n'-joined; the first one is PREPARE's) and B (bytes). */
const DOWNLOAD_HOST = String.raw`
$sbDownload = {
${DOWNLOAD_SCRIPT}
}
$head = New-Object byte[] 5
function Frame([char]$t, [byte[]]$b) {
  $head[0] = [byte]$t
  [System.Array]::Copy([System.BitConverter]::GetBytes([int]$b.Length), 0, $head, 1, 4)
  $o.Write($head, 0, 5); $o.Write($b, 0, $b.Length); $o.Flush()
}
$p = [string](@(& $sbPrep $Paths[0] 'download' '' $false $false)[0])
Frame 'T' $utf8.GetBytes($p)
if (-not $p.StartsWith('P' + [char]9)) { return }
$sp = { & $sbDownload -Paths $Paths -Recursive $Recursive -FollowLinks $FollowLinks -Chunk $Chunk }.GetSteppablePipeline()
$sp.Begin($true)
$fin = $false
try {
  while (-not $fin) {
    # one credit at a time: each call writes at most a chunk, and stdout blocks while the client is behind
    $outs = $sp.Process('1')
    if ($outs.Count -eq 0) { break }
    foreach ($y in $outs) {
      if ($y -is [byte[]]) { Frame 'B' $y; continue }
      $s = [string]$y
      Frame 'T' $utf8.GetBytes($s)
      if ($s -eq 'Z' -or $s.EndsWith([string][char]10 + 'Z')) { $fin = $true }
    }
  }
} finally {
  try { [void]$sp.End() } catch { }
  $sp.Dispose()
}
`;

export interface UploadArgs {
  readonly target: string;
  readonly mode: 'file' | 'stream' | 'tree';
  readonly name: string;
  readonly createParents: boolean;
  readonly overwrite: boolean;
  readonly times: boolean;
}

export function uploadScript(a: UploadArgs): string {
  const b = (v: boolean) => (v ? '$true' : '$false');
  return `${COMMON}$Target = ${arg(a.target)}; $Mode = ${arg(a.mode)}; $Name = ${arg(a.name)}; $CreateParents = ${b(a.createParents)}; $Overwrite = ${b(a.overwrite)}; $Times = ${b(a.times)}\n${UPLOAD_HOST}`;
}

export interface DownloadArgs {
  readonly paths: readonly string[];
  readonly recursive: boolean;
  readonly followLinks: boolean;
  readonly chunk: number;
}

export function downloadScript(a: DownloadArgs): string {
  const b = (v: boolean) => (v ? '$true' : '$false');
  return `${COMMON}[string[]]$Paths = @(${a.paths.map(arg).join(', ')}); $Recursive = ${b(a.recursive)}; $FollowLinks = ${b(a.followLinks)}; $Chunk = ${Math.floor(a.chunk)}\n${DOWNLOAD_HOST}`;
}

/** What goes on stdin first: the script's length (Int32 LE) and its UTF-8. */
export function scriptFrame(script: string): Buffer {
  const body = Buffer.from(script, 'utf8');
  const head = Buffer.alloc(4);
  head.writeInt32LE(body.length);
  return Buffer.concat([head, body]);
}
