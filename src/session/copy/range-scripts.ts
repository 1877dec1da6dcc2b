// The server side of one large file moved in ranges on several pipelines at
// once (ranges.ts): each pipeline writes or reads its own byte range of the
// file with a FileStream at an offset, and the SHA-256 is taken over the whole
// file at the end, as for a file sent in one piece. Same rules as scripts.ts:
// .NET APIs and the core language only (5.1 and 7), FullLanguage (checked by
// PREPARE first), X<TAB>failure<TAB>path<TAB>message records for failures.
// (PowerShell names are case-insensitive: no local may share a parameter's name.)

import { CREDIT_PACED, HELPERS, tabs } from './scripts.js';

/** OPEN: the temporary sibling of Final that the ranges are written into. Output T<TAB>tmp, or X. */
export const RANGE_OPEN_SCRIPT = tabs(String.raw`param([string]$Final, [long]$Length)
${HELPERS}
try {
  $dir = [System.IO.Path]::GetDirectoryName($Final)
  $tmp = [System.IO.Path]::Combine($dir, '.' + [guid]::NewGuid().ToString('N') + '.psremote-tmp')
  $fs = [System.IO.FileStream]::new($tmp, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write, [System.IO.FileShare]::ReadWrite, 4096)
  try { $fs.SetLength($Length) } finally { $fs.Dispose() }
  "T<T>$tmp"
} catch {
  if ($null -ne $tmp) { try { [System.IO.File]::Delete($tmp) } catch { } }
  "X<T>$(Get-Failure $_)<T>$Final<T>$(Get-Message $_)"
}
`);

/**
 * WRITE: one range of an upload. Input: byte[] chunks, written in order from
 * Offset (K acknowledges each), or Q to stop. Output at the end: W<TAB>bytes.
 */
export const RANGE_WRITE_SCRIPT = tabs(String.raw`param([string]$Tmp, [string]$Final, [long]$Offset)
begin {
${HELPERS}
  $fs = $null; $n = 0; $quit = $false
  try {
    $fs = [System.IO.FileStream]::new($Tmp, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Write, [System.IO.FileShare]::ReadWrite, 4096)
    [void]$fs.Seek($Offset, [System.IO.SeekOrigin]::Begin)
  } catch { "X<T>$(Get-Failure $_)<T>$Final<T>$(Get-Message $_)"; $quit = $true }
}
process {
  if ($quit) { 'K'; return }
  if ($_ -is [byte[]]) {
    try { $fs.Write($_, 0, $_.Length); $n += $_.Length }
    catch { "X<T>$(Get-Failure $_)<T>$Final<T>$(Get-Message $_)"; $quit = $true }
    'K'
    return
  }
  $quit = $true
  'Q'
}
end {
  if ($null -ne $fs) {
    try { $fs.Flush(); $fs.Dispose() } catch { if (-not $quit) { "X<T>$(Get-Failure $_)<T>$Final<T>$(Get-Message $_)" }; $quit = $true }
  }
  if (-not $quit) { "W<T>$n" }
}
`);

/**
 * COMMIT: the ranges are all in. Sha '' throws the temporary file away (a failed
 * or aborted upload); otherwise the whole file is hashed and moved into place
 * only if it matches. Output R<TAB><TAB>sha256<TAB>bytes, Q (discarded), or X.
 */
export const RANGE_COMMIT_SCRIPT = tabs(String.raw`param([string]$Tmp, [string]$Final, [string]$Sha, [bool]$Overwrite, [long]$Ticks)
${HELPERS}
try {
  if ($Sha -eq '') { [System.IO.File]::Delete($Tmp); 'Q'; return }
  $hasher = [System.Security.Cryptography.SHA256]::Create()
  $fs = [System.IO.FileStream]::new($Tmp, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read, 65536)
  try { $hex = [System.BitConverter]::ToString($hasher.ComputeHash($fs)).Replace('-', '').ToLowerInvariant(); $n = $fs.Length } finally { $fs.Dispose(); $hasher.Dispose() }
  if ($hex -ne $Sha) { [System.IO.File]::Delete($Tmp); "X<T>HashMismatch<T>$Final<T>client $Sha, server $hex"; return }
  if ([System.IO.File]::Exists($Final)) {
    if (-not $Overwrite) { [System.IO.File]::Delete($Tmp); "X<T>TargetExists<T>$Final<T>the file appeared meanwhile"; return }
    $moveOver = [System.IO.File].GetMethod('Move', [type[]]@([string], [string], [bool]))
    if ($null -ne $moveOver) { [void]$moveOver.Invoke($null, @($Tmp, $Final, $true)) } else { [System.IO.File]::Delete($Final); [System.IO.File]::Move($Tmp, $Final) }
  } else { [System.IO.File]::Move($Tmp, $Final) }
  if ($Ticks -ge 0) { [System.IO.File]::SetLastWriteTimeUtc($Final, [System.DateTime]::new($Ticks, [System.DateTimeKind]::Utc)) }
  "R<T><T>$hex<T>$n"
} catch {
  try { [System.IO.File]::Delete($Tmp) } catch { }
  "X<T>$(Get-Failure $_)<T>$Final<T>$(Get-Message $_)"
}
`);

/**
 * READ: one range of a download as byte[] chunks of Chunk bytes, paced by
 * credits as DOWNLOAD is (input: N more objects, or Q). Output ends with Z.
 */
export const RANGE_READ_SCRIPT = tabs(String.raw`param([string]$Path, [long]$Offset, [long]$Length, [int]$Chunk)
begin {
${HELPERS}
  $fs = $null; $left = $Length; $credit = 0; $done = $false
  try {
    $fs = [System.IO.FileStream]::new($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read, 4096)
    [void]$fs.Seek($Offset, [System.IO.SeekOrigin]::Begin)
  } catch { "X<T>$(Get-Failure $_)<T>$Path<T>$(Get-Message $_)"; $done = $true }
  $next = {
    if ($left -le 0) { 'Z'; $done = $true; return }
    $take = $Chunk; if ($left -lt $take) { $take = [int]$left }
    $bytes = [byte[]]::new($take); $got = 0
    try { while ($got -lt $take) { $r = $fs.Read($bytes, $got, $take - $got); if ($r -le 0) { break }; $got += $r } }
    catch { "X<T>$(Get-Failure $_)<T>$Path<T>$(Get-Message $_)"; $done = $true; return }
    if ($got -lt $take) { "X<T>IO<T>$Path<T>the file shrank while it was read"; $done = $true; return }
    $left -= $got
    ,$bytes
  }
}
${CREDIT_PACED}`);

/** HASH: SHA-256 of a whole file (after a download in ranges). Output H<TAB>sha256<TAB>bytes, or X. */
export const FILE_HASH_SCRIPT = tabs(String.raw`param([string]$Path)
${HELPERS}
try {
  $sha = [System.Security.Cryptography.SHA256]::Create()
  $fs = [System.IO.FileStream]::new($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read, 65536)
  try { "H<T>$([System.BitConverter]::ToString($sha.ComputeHash($fs)).Replace('-', '').ToLowerInvariant())<T>$($fs.Length)" } finally { $fs.Dispose(); $sha.Dispose() }
} catch { "X<T>$(Get-Failure $_)<T>$Path<T>$(Get-Message $_)" }
`);
