// The PowerShell that runs on the server side of a file transfer. Only .NET
// APIs and the core language (no cmdlets beyond the engine, no module, nothing
// newer than Windows PowerShell 5.1), so it runs on 5.1 and 7 alike; it needs
// FullLanguage, which PREPARE checks before any data is sent.
//
// Records are strings, several joined by "\n" in one pipeline object (small
// files travel many to one object); paths in records are UTF-8 in base64 with
// '/' separators, so no name can break the framing. Tags:
//   client → server (upload input): F<TAB>rel<TAB>length<TAB>mtimeTicks (a file
//   begins), D<base64> (data), E<TAB>sha256 (the file ends), M<TAB>rel (a
//   folder), Q (abort). A large file's chunks go as byte[] objects (CLIXML
//   <BA>) between its F and E records, both ways: nothing to split or decode
//   in script.
//   server → client: K (one input object done), R<TAB>rel<TAB>sha256<TAB>bytes
//   (a file is in place), X<TAB>failure<TAB>path<TAB>message, and for
//   downloads F/D/E/M as above, L<TAB>rel<TAB>target (a symlink, not
//   followed), Z (nothing more).

/** Shared helpers: the failure an exception means, a relative path under a base. */
export const HELPERS = String.raw`
$ErrorActionPreference = 'Stop'
$utf8 = New-Object System.Text.UTF8Encoding($false)
$sep = [string][System.IO.Path]::DirectorySeparatorChar
function Get-Failure($err) {
  $x = $err
  if ($x -is [System.Management.Automation.ErrorRecord]) { $x = $x.Exception }
  while (($x -is [System.Management.Automation.MethodInvocationException] -or $x -is [System.Management.Automation.RuntimeException]) -and $null -ne $x.InnerException) { $x = $x.InnerException }
  if ($x -is [System.IO.FileNotFoundException] -or $x -is [System.IO.DirectoryNotFoundException]) { return 'NotFound' }
  if ($x -is [System.UnauthorizedAccessException] -or $x -is [System.Security.SecurityException]) { return 'AccessDenied' }
  if ($x -is [System.IO.IOException]) {
    $h = $x.HResult -band 0xFFFF
    if ($h -eq 0x70 -or $h -eq 0x27 -or $h -eq 28 -or $x.Message -match 'space left|disk is full') { return 'DiskFull' }
  }
  return 'IO'
}
function Get-Message($err) {
  $x = $err
  if ($x -is [System.Management.Automation.ErrorRecord]) { $x = $x.Exception }
  while ($x -is [System.Management.Automation.MethodInvocationException] -and $null -ne $x.InnerException) { $x = $x.InnerException }
  return ([string]$x.Message) -replace '[\t\r\n]+', ' '
}
function Join-Rel([string]$base, [string]$relB64) {
  if ($relB64 -eq '') { return $base }
  $rel = $utf8.GetString([System.Convert]::FromBase64String($relB64))
  $parts = $rel.Split([char]'/')
  foreach ($p in $parts) { if ($p -eq '' -or $p -eq '.' -or $p -eq '..' -or $p.Contains([char]92) -or $p.Contains(':')) { throw (New-Object System.ArgumentException("not a relative path: $rel")) } }
  return [System.IO.Path]::Combine($base, [string]::Join($sep, $parts))
}
`;

/** `<T>` in the scripts below is a tab inside a double-quoted PowerShell string. */
export const tabs = (s: string): string => s.replaceAll('<T>', '`t');

/**
 * How DOWNLOAD and READ send: each input object grants N more output objects
 * (Q: stop now, then Z), `$next` writes one and sets $done after the last,
 * and once the input ends the rest follows unpaced. $fs is the open file.
 */
export const CREDIT_PACED = String.raw`process {
  if ($done) { return }
  if ([string]$_ -eq 'Q') {
    if ($null -ne $fs) { $fs.Dispose(); $fs = $null }
    $done = $true; 'Z'; return
  }
  $credit += [int]$_
  while ($credit -gt 0 -and -not $done) { . $next; $credit-- }
}
end {
  while (-not $done) { . $next }
  if ($null -ne $fs) { $fs.Dispose() }
}
`;

/**
 * PREPARE: the language-mode probe and the target's resolution, before any
 * data: args Target, Mode (file|stream|tree|download), Name, CreateParents,
 * Overwrite. Output: P<TAB>resolved path<TAB>separator, or X…, or RESTRICTED<TAB>mode.
 */
export const PREPARE_SCRIPT = tabs(String.raw`param([string]$Target, [string]$Mode, [string]$Name, [bool]$CreateParents, [bool]$Overwrite)
if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') { "RESTRICTED<T>$($ExecutionContext.SessionState.LanguageMode)"; return }
${HELPERS}
$path = $Target
try {
  $path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Target)
  if ($Mode -eq 'download') {
    # a single file's length and time, for a download in ranges
    if ([System.IO.File]::Exists($path)) { $i = [System.IO.FileInfo]::new($path); "P<T>$path<T>$sep<T>$($i.Length)<T>$($i.LastWriteTimeUtc.Ticks)"; return }
    "P<T>$path<T>$sep"; return
  }
  $final = $path
  if (($Mode -eq 'file' -or $Mode -eq 'tree') -and [System.IO.Directory]::Exists($path)) { $final = [System.IO.Path]::Combine($path, $Name) }
  $parent = [System.IO.Path]::GetDirectoryName($final)
  if ($null -ne $parent -and $parent -ne '' -and -not [System.IO.Directory]::Exists($parent)) {
    if ($CreateParents) { [void][System.IO.Directory]::CreateDirectory($parent) }
    else { "X<T>NotFound<T>$parent<T>the parent folder does not exist (createParents not asked)"; return }
  }
  if ($Mode -eq 'tree') {
    if ([System.IO.File]::Exists($final)) { "X<T>TargetExists<T>$final<T>a file is in the way of the folder"; return }
    [void][System.IO.Directory]::CreateDirectory($final)
  } else {
    if ([System.IO.Directory]::Exists($final)) { "X<T>TargetExists<T>$final<T>a folder is in the way of the file"; return }
    if ([System.IO.File]::Exists($final) -and -not $Overwrite) { "X<T>TargetExists<T>$final<T>the file exists"; return }
  }
  "P<T>$final<T>$sep"
} catch {
  "X<T>$(Get-Failure $_)<T>$path<T>$(Get-Message $_)"
}
`);

/**
 * UPLOAD: one lane of an upload, the records of its files as pipeline input.
 * Each file is written to a temporary name in its folder, hashed as it is
 * written, and renamed into place only when its SHA-256 matches the client's.
 */
export const UPLOAD_SCRIPT = tabs(String.raw`param([string]$Base, [bool]$Overwrite, [bool]$Times)
begin {
${HELPERS}
  $fs = $null; $sha = $null; $tmp = $null; $final = $null; $rel = $null; $ticks = -1; $n = 0; $skip = $false; $quit = $false
  $moveOver = [System.IO.File].GetMethod('Move', [type[]]@([string], [string], [bool]))
  $empty = New-Object byte[] 0
}
process {
  if ($quit) { return }
  if ($_ -is [byte[]]) {
    # a large file's chunk (CLIXML <BA>): no string to split or decode
    if ($null -ne $fs) {
      try {
        $fs.Write($_, 0, $_.Length)
        [void]$sha.TransformBlock($_, 0, $_.Length, $null, 0)
        $n += $_.Length
      } catch {
        "X<T>$(Get-Failure $_)<T>$final<T>$(Get-Message $_)"
        try { $fs.Dispose() } catch { } ; $fs = $null
        if ($null -ne $tmp) { try { [System.IO.File]::Delete($tmp) } catch { } ; $tmp = $null }
        $skip = $true
      }
    }
    'K'
    return
  }
  $recs = ([string]$_).Split([char]10)
  foreach ($rec in $recs) {
    $t = $rec[0]
    try {
      if ($t -eq [char]'D') {
        if ($null -ne $fs) {
          $b = [System.Convert]::FromBase64String($rec.Substring(1))
          $fs.Write($b, 0, $b.Length)
          [void]$sha.TransformBlock($b, 0, $b.Length, $null, 0)
          $n += $b.Length
        }
      } elseif ($t -eq [char]'F') {
        $f = $rec.Split([char]9)
        $rel = $f[1]; $ticks = [long]$f[3]; $n = 0; $skip = $false
        if ($rel -eq '') { $final = $Base } else {
          $rs = $utf8.GetString([System.Convert]::FromBase64String($rel))
          $w = '/' + $rs + '/'
          if ($w.Contains('/../') -or $w.Contains('/./') -or $w.Contains('//') -or $rs.Contains([char]92) -or $rs.Contains(':')) { throw [System.ArgumentException]::new("not a plain relative path: $rs") }
          $final = [System.IO.Path]::Combine($Base, $rs.Replace('/', $sep))
        }
        if ([System.IO.Directory]::Exists($final)) { $skip = $true; "X<T>TargetExists<T>$final<T>a folder is in the way of the file"; continue }
        if (-not $Overwrite -and [System.IO.File]::Exists($final)) { $skip = $true; "X<T>TargetExists<T>$final<T>the file exists"; continue }
        $dir = [System.IO.Path]::GetDirectoryName($final)
        if ($rel -ne '') { [void][System.IO.Directory]::CreateDirectory($dir) }
        $tmp = [System.IO.Path]::Combine($dir, '.' + [guid]::NewGuid().ToString('N') + '.psremote-tmp')
        $fs = [System.IO.FileStream]::new($tmp, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write, [System.IO.FileShare]::None, 4096)
        $sha = [System.Security.Cryptography.SHA256]::Create()
      } elseif ($t -eq [char]'E') {
        if ($skip -or $null -eq $fs) { $skip = $false; continue }
        [void]$sha.TransformFinalBlock($empty, 0, 0)
        $fs.Flush(); $fs.Dispose(); $fs = $null
        $hex = [System.BitConverter]::ToString($sha.Hash).Replace('-', '').ToLowerInvariant()
        $sha.Dispose(); $sha = $null
        $want = $rec.Split([char]9)[1]
        if ($hex -ne $want) {
          [System.IO.File]::Delete($tmp); $tmp = $null
          "X<T>HashMismatch<T>$final<T>client $want, server $hex"
          continue
        }
        if ([System.IO.File]::Exists($final)) {
          if (-not $Overwrite) { [System.IO.File]::Delete($tmp); $tmp = $null; "X<T>TargetExists<T>$final<T>the file appeared meanwhile"; continue }
          if ($null -ne $moveOver) { [void]$moveOver.Invoke($null, @($tmp, $final, $true)) } else { [System.IO.File]::Delete($final); [System.IO.File]::Move($tmp, $final) }
        } else { [System.IO.File]::Move($tmp, $final) }
        $tmp = $null
        if ($Times -and $ticks -ge 0) { [System.IO.File]::SetLastWriteTimeUtc($final, [System.DateTime]::new($ticks, [System.DateTimeKind]::Utc)) }
        "R<T>$rel<T>$hex<T>$n"
      } elseif ($t -eq [char]'M') {
        [void][System.IO.Directory]::CreateDirectory((Join-Rel $Base $rec.Split([char]9)[1]))
      } elseif ($t -eq [char]'Q') {
        $quit = $true
        break
      }
    } catch {
      $where = $final; if ($null -eq $where) { $where = $Base }
      "X<T>$(Get-Failure $_)<T>$where<T>$(Get-Message $_)"
      if ($null -ne $fs) { try { $fs.Dispose() } catch { } ; $fs = $null }
      if ($null -ne $tmp) { try { [System.IO.File]::Delete($tmp) } catch { } ; $tmp = $null }
      $skip = $true
    }
  }
  if ($quit) {
    if ($null -ne $fs) { try { $fs.Dispose() } catch { } ; $fs = $null }
    if ($null -ne $tmp) { try { [System.IO.File]::Delete($tmp) } catch { } ; $tmp = $null }
    'Q'
    return
  }
  'K'
}
end {
  if ($null -ne $fs) { try { $fs.Dispose() } catch { } }
  if ($null -ne $tmp) { try { [System.IO.File]::Delete($tmp) } catch { } }
}
`);

/** TIMES: folder modification times, set after every file is in (writing files changes them). Input: path<TAB>ticks. */
export const TIMES_SCRIPT = tabs(String.raw`process {
  $f = ([string]$_).Split([char]9)
  try { [System.IO.Directory]::SetLastWriteTimeUtc($f[0], [System.DateTime]::new([long]$f[1], [System.DateTimeKind]::Utc)) } catch { }
}
`);

/**
 * DOWNLOAD: streams the files under Paths as output, paced by the client: each
 * input object is a credit of N output objects (or Q to stop), so neither the
 * server nor the client holds more than the window. Folders are walked with a
 * stack (depth first), symlinks reported and not followed unless FollowLinks.
 */
export const DOWNLOAD_SCRIPT = tabs(String.raw`param([string[]]$Paths, [bool]$Recursive, [bool]$FollowLinks, [int]$Chunk)
begin {
${HELPERS}
  $stack = New-Object System.Collections.Stack
  for ($i = $Paths.Length - 1; $i -ge 0; $i--) { $stack.Push(@($Paths[$i], $null)) }
  $fs = $null; $sha = $null; $frel = $null; $done = $false; $credit = 0
  $small = 65536
  $buf = New-Object byte[] $small
  $empty = New-Object byte[] 0
  $limit = [int]($Chunk * 4 / 3)
  $next = {
    $sb = [System.Text.StringBuilder]::new()
    while ($true) {
      if ($null -ne $fs -and $fs.Length -gt $small) {
        # a large file: its bytes as byte[] objects (CLIXML <BA>), the records before them flushed first
        $left = $fs.Length - $fs.Position; $take = $Chunk; if ($left -lt $take) { $take = [int]$left }
        $bytes = [byte[]]::new($take); $got = 0
        while ($got -lt $take) { $r = $fs.Read($bytes, $got, $take - $got); if ($r -le 0) { break }; $got += $r }
        if ($got -lt $take) { [System.Array]::Resize([ref]$bytes, $got) }
        [void]$sha.TransformBlock($bytes, 0, $got, $null, 0)
        if ($sb.Length -gt 0) { $sb.ToString(); [void]$sb.Clear() }
        ,$bytes
        if ($got -eq 0 -or $fs.Position -ge $fs.Length) {
          [void]$sha.TransformFinalBlock($empty, 0, 0)
          [void]$sb.Append('E').Append([char]9).Append([System.BitConverter]::ToString($sha.Hash).Replace('-', '').ToLowerInvariant())
          $fs.Dispose(); $fs = $null; $sha.Dispose(); $sha = $null
        }
        if ($null -ne $fs) { break }
        continue
      }
      if ($null -ne $fs) {
        $got = $fs.Read($buf, 0, $small)
        if ($sb.Length -gt 0) { [void]$sb.Append([char]10) }
        [void]$sha.TransformBlock($buf, 0, $got, $null, 0)
        [void]$sb.Append('D').Append([System.Convert]::ToBase64String($buf, 0, $got))
        if ($fs.Position -ge $fs.Length) {
          [void]$sha.TransformFinalBlock($empty, 0, 0)
          [void]$sb.Append([char]10).Append('E').Append([char]9).Append([System.BitConverter]::ToString($sha.Hash).Replace('-', '').ToLowerInvariant())
          $fs.Dispose(); $fs = $null; $sha.Dispose(); $sha = $null
        }
        if ($null -ne $fs -or $sb.Length -ge $limit) { break }
        continue
      }
      if ($stack.Count -eq 0) {
        if ($sb.Length -gt 0) { [void]$sb.Append([char]10) }
        [void]$sb.Append('Z'); $done = $true; break
      }
      $top = $stack.Pop()
      $rel = $top[1]
      $rec = $null
      try {
        if ($null -eq $rel) {
          $p = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath([string]$top[0])
          if ([System.IO.Directory]::Exists($p)) { $info = [System.IO.DirectoryInfo]::new($p) }
          elseif ([System.IO.File]::Exists($p)) { $info = [System.IO.FileInfo]::new($p) }
          else { $rec = "X<T>NotFound<T>$p<T>no such file or folder" }
          if ($null -eq $rec) { $rel = $info.Name }
        } else { $info = $top[0] }
        if ($null -eq $rec) {
          $relB64 = [System.Convert]::ToBase64String($utf8.GetBytes($rel))
          $ticks = $info.LastWriteTimeUtc.Ticks
          $isLink = ($info.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0
          if ($isLink -and -not $FollowLinks) {
            $lt = ''
            if ($null -ne $info.PSObject.Properties['LinkTarget']) { $lt = [string]$info.LinkTarget }
            $rec = "L<T>$relB64<T>$lt"
          } elseif ($info -is [System.IO.DirectoryInfo]) {
            if (-not $Recursive) { $rec = "X<T>NotFound<T>$($info.FullName)<T>is a folder (recursive not asked)" }
            else {
              $kids = $info.GetFileSystemInfos()
              for ($k = $kids.Length - 1; $k -ge 0; $k--) { $stack.Push(@($kids[$k], ($rel + '/' + $kids[$k].Name))) }
              $rec = "M<T>$relB64<T>$ticks"
            }
          } else {
            $fs = [System.IO.FileStream]::new($info.FullName, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, [System.IO.FileShare]::Read, 4096)
            $sha = [System.Security.Cryptography.SHA256]::Create()
            $rec = "F<T>$relB64<T>$($fs.Length)<T>$ticks"
          }
        }
      } catch {
        $where = [string]$top[0]; if ($top[0] -is [System.IO.FileSystemInfo]) { $where = $top[0].FullName }
        if ($null -ne $fs) { $fs.Dispose(); $fs = $null }
        $rec = "X<T>$(Get-Failure $_)<T>$where<T>$(Get-Message $_)"
      }
      if ($sb.Length -gt 0) { [void]$sb.Append([char]10) }
      [void]$sb.Append($rec)
      if ($null -eq $fs -and $sb.Length -ge $limit) { break }
    }
    if ($sb.Length -gt 0) { $sb.ToString() }
  }
}
${CREDIT_PACED}`);
