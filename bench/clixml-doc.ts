// Generates realistic CLIXML for the CLIXML benchmark: objects shaped like
// Get-Process and Get-ChildItem output as Windows PowerShell serializes them
// (type names with TN/TNRef, ToString, adapted and extended properties, nested
// thread lists, enums and flags, dates with offsets, TimeSpans, GUIDs, 64-bit
// integers, doubles, shared PSDrive/PSProvider objects written once and then
// as <Ref>, and strings with _xHHHH_ escapes, XML entities, non-ASCII and
// escaped surrogate pairs). Deterministic (seeded), so runs are comparable.

class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    // xorshift32
    let x = this.#s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s / 0x1_0000_0000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
}

const NAMES = ['svchost', 'explorer', 'lsass', 'csrss', 'winlogon', 'MsMpEng', 'RuntimeBroker', 'dwm', 'spoolsv', 'pwsh', 'conhost', 'SearchIndexer', 'WmiPrvSE', 'sqlservr', 'w3wp'];
const DESCRIPTIONS = [
  'Host Process for Windows Services',
  'Windows Explorer',
  'Local Security Authority Process_x000D__x000A_(LSA)',
  'Client Server Runtime Process',
  'Antimalware Service Executable &amp; Real-time Protection',
  'Desktop Window Manager &lt;DWM&gt;',
  'Spooler SubSystem App',
  'PowerShell 7 — café résumé naïve',
  'Console Window Host 日本語テキスト',
  'SQL Server Windows NT - 64 Bit _x005F_x0041_ literal',
  'IIS Worker Process _xD83D__xDE00_ emoji',
];
const STATES = [['Wait', 5], ['Running', 2], ['Ready', 1], ['Standby', 3]] as const;
const PRIORITIES = [['Normal', 32], ['High', 128], ['Idle', 64], ['BelowNormal', 16384]] as const;
const ATTRIBUTES = [['Archive', 32], ['Archive, ReadOnly', 33], ['Hidden, System, Archive', 38], ['Normal', 128]] as const;
const EXTENSIONS = ['.txt', '.log', '.dll', '.exe', '.json', '.ps1', '.xml'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function date(r: Rng, utc: boolean): string {
  const frac = r.int(10_000_000);
  const z = utc ? 'Z' : r.pick(['+02:00', '-07:00', '+00:00', '+05:30']);
  return `20${pad(15 + r.int(10))}-${pad(1 + r.int(12))}-${pad(1 + r.int(28))}T${pad(r.int(24))}:${pad(r.int(60))}:${pad(r.int(60))}.${pad(frac, 7)}${z}`;
}

function guid(r: Rng): string {
  const h = (n: number) => Array.from({ length: n }, () => r.int(16).toString(16)).join('');
  return `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`;
}

/** Serializer state: one per document (RefIds and TN ids restart per document, as in PSRP). */
class Doc {
  ref = 0;
  readonly tns = new Map<string, number>();
  drive: number | undefined;
  provider: number | undefined;
  objects = 0;
  tn(names: string[]): string {
    const key = names.join('|');
    const known = this.tns.get(key);
    if (known !== undefined) return `<TNRef RefId="${known}" />`;
    const id = this.tns.size;
    this.tns.set(key, id);
    return `<TN RefId="${id}">${names.map((n) => `<T>${n}</T>`).join('')}</TN>`;
  }
  enumObj(n: string, typeName: string, name: string, value: number): string {
    this.objects++;
    return `<Obj N="${n}" RefId="${this.ref++}">${this.tn([typeName, 'System.Enum', 'System.ValueType', 'System.Object'])}<ToString>${name}</ToString><I32>${value}</I32></Obj>`;
  }
}

function processObject(r: Rng, d: Doc): string {
  const name = r.pick(NAMES);
  const pid = 4 + r.int(60000);
  d.objects++;
  let s = `<Obj RefId="${d.ref++}">${d.tn(['System.Diagnostics.Process', 'System.ComponentModel.Component', 'System.MarshalByRefObject', 'System.Object'])}`;
  s += `<ToString>System.Diagnostics.Process (${name})</ToString><Props>`;
  s += `<S N="Name">${name}</S><I32 N="Id">${pid}</I32><I32 N="Handles">${r.int(5000)}</I32>`;
  s += `<I64 N="WorkingSet64">${r.int(2 ** 31) * 4}</I64><I64 N="PagedMemorySize64">${r.int(2 ** 30) * 3}</I64><I64 N="VirtualMemorySize64">${2 ** 41 + r.int(2 ** 30)}</I64>`;
  s += `<Db N="CPU">${(r.next() * 5000).toFixed(6)}</Db><DT N="StartTime">${date(r, false)}</DT>`;
  s += `<S N="Path">C:\\Windows\\System32\\${name}.exe</S><S N="Company">Microsoft Corporation</S>`;
  s += `<S N="Description">${r.pick(DESCRIPTIONS)}</S><S N="ProductVersion">10.0.${19000 + r.int(4000)}.${r.int(3000)}</S>`;
  const [pn, pv] = r.pick(PRIORITIES);
  s += d.enumObj('PriorityClass', 'System.Diagnostics.ProcessPriorityClass', pn, pv);
  s += `<TS N="TotalProcessorTime">PT${r.int(3600)}.${pad(r.int(10_000_000), 7)}S</TS><B N="Responding">${r.next() > 0.1}</B>`;
  d.objects++;
  s += `<Obj N="Threads" RefId="${d.ref++}">${d.tn(['System.Diagnostics.ProcessThreadCollection', 'System.Collections.ReadOnlyCollectionBase', 'System.Object'])}<ToString>System.Diagnostics.ProcessThreadCollection</ToString><IE>`;
  const threads = 2 + r.int(7);
  for (let i = 0; i < threads; i++) {
    d.objects++;
    const [sn, sv] = r.pick(STATES);
    s += `<Obj RefId="${d.ref++}">${d.tn(['System.Diagnostics.ProcessThread', 'System.ComponentModel.Component', 'System.MarshalByRefObject', 'System.Object'])}<ToString>System.Diagnostics.ProcessThread</ToString><Props>`;
    s += `<I32 N="Id">${r.int(60000)}</I32><I32 N="BasePriority">${r.int(16)}</I32><I32 N="CurrentPriority">${r.int(16)}</I32>`;
    s += d.enumObj('ThreadState', 'System.Diagnostics.ThreadState', sn, sv);
    s += `<DT N="StartTime">${date(r, false)}</DT><TS N="UserProcessorTime">PT${r.int(60)}.${pad(r.int(10_000_000), 7)}S</TS><Nil N="Site" /><Nil N="Container" /></Props></Obj>`;
  }
  s += `</IE></Obj></Props><MS><S N="PSComputerName">SERVER${pad(r.int(100))}</S><G N="RunspaceId">${guid(r)}</G><B N="PSShowComputerName">true</B></MS></Obj>`;
  return s;
}

function fileObject(r: Rng, d: Doc): string {
  const base = `file_${r.int(1_000_000)}`;
  const ext = r.pick(EXTENSIONS);
  const dir = `C:\\Users\\Administrator\\Documents\\Projects\\dir_${r.int(100)}`;
  d.objects++;
  let s = `<Obj RefId="${d.ref++}">${d.tn(['System.IO.FileInfo', 'System.IO.FileSystemInfo', 'System.MarshalByRefObject', 'System.Object'])}`;
  s += `<ToString>${dir}\\${base}${ext}</ToString><Props>`;
  s += `<S N="Name">${base}${ext}</S><I64 N="Length">${r.int(2 ** 31)}</I64><S N="DirectoryName">${dir}</S><S N="FullName">${dir}\\${base}${ext}</S>`;
  s += `<DT N="CreationTime">${date(r, false)}</DT><DT N="CreationTimeUtc">${date(r, true)}</DT><DT N="LastWriteTime">${date(r, false)}</DT><DT N="LastAccessTime">${date(r, false)}</DT>`;
  const [an, av] = r.pick(ATTRIBUTES);
  s += d.enumObj('Attributes', 'System.IO.FileAttributes', an, av);
  s += `<B N="IsReadOnly">${av === 33}</B><S N="Extension">${ext}</S><B N="Exists">true</B></Props><MS>`;
  s += `<S N="PSPath">Microsoft.PowerShell.Core\\FileSystem::${dir}\\${base}${ext}</S><S N="PSParentPath">Microsoft.PowerShell.Core\\FileSystem::${dir}</S><S N="PSChildName">${base}${ext}</S>`;
  if (d.drive === undefined) {
    d.drive = d.ref++;
    d.objects++;
    s += `<Obj N="PSDrive" RefId="${d.drive}">${d.tn(['System.Management.Automation.PSDriveInfo', 'System.Object'])}<ToString>C</ToString><Props><S N="CurrentLocation">Users\\Administrator</S><S N="Name">C</S><S N="Root">C:\\</S><S N="Description">Local Disk</S><Nil N="MaximumSize" /><Nil N="Credential" /><Nil N="DisplayRoot" /></Props><MS><I64 N="Used">${2 ** 36}</I64><I64 N="Free">${2 ** 37}</I64></MS></Obj>`;
  } else s += `<Ref N="PSDrive" RefId="${d.drive}" />`;
  if (d.provider === undefined) {
    d.provider = d.ref++;
    d.objects++;
    s += `<Obj N="PSProvider" RefId="${d.provider}">${d.tn(['System.Management.Automation.ProviderInfo', 'System.Object'])}<ToString>Microsoft.PowerShell.Core\\FileSystem</ToString><Props><S N="Name">FileSystem</S><S N="Home">C:\\Users\\Administrator</S></Props></Obj>`;
  } else s += `<Ref N="PSProvider" RefId="${d.provider}" />`;
  s += `<B N="PSIsContainer">false</B><S N="Mode">-a----</S><S N="BaseName">${base}</S>`;
  d.objects++;
  s += `<Obj N="VersionInfo" RefId="${d.ref++}">${d.tn(['System.Diagnostics.FileVersionInfo', 'System.Object'])}<ToString>File:             ${dir}\\${base}${ext}_x000D__x000A_InternalName:     _x000D__x000A_</ToString>`;
  s += `<Props><Nil N="Comments" /><Nil N="CompanyName" /><I32 N="FileBuildPart">${r.int(20000)}</I32><S N="FileVersion">10.0.${r.int(20000)}.1</S><B N="IsDebug">false</B><S N="Language">English (United States)</S></Props></Obj>`;
  s += `<S N="Target" /><S N="LinkType" /></MS></Obj>`;
  return s;
}

export interface GeneratedClixml {
  /** One document: a System.Object[] holding every object (like a whole pipeline's output). */
  readonly xml: string;
  /** Top-level output objects in it. */
  readonly outputs: number;
  /** <Obj> elements in it (nested ones included). */
  readonly objects: number;
}

/** A single document of at least `minChars` characters. */
export function generateDocument(minChars: number, seed = 42): GeneratedClixml {
  const r = new Rng(seed);
  const d = new Doc();
  const parts: string[] = [];
  let size = 0;
  const head = `<Obj RefId="${d.ref++}">${d.tn(['System.Object[]', 'System.Array', 'System.Object'])}<LST>`;
  d.objects++;
  let outputs = 0;
  while (size < minChars) {
    const s = r.next() < 0.5 ? processObject(r, d) : fileObject(r, d);
    parts.push(s);
    size += s.length;
    outputs++;
  }
  return { xml: `${head}${parts.join('')}</LST></Obj>`, outputs, objects: d.objects };
}

/** Separate one-object documents totalling at least `minChars` (what PIPELINE_OUTPUT messages carry). */
export function generateMessages(minChars: number, seed = 7): { docs: string[]; objects: number } {
  const r = new Rng(seed);
  const docs: string[] = [];
  let size = 0;
  let objects = 0;
  while (size < minChars) {
    const d = new Doc();
    const s = r.next() < 0.5 ? processObject(r, d) : fileObject(r, d);
    docs.push(s);
    size += s.length;
    objects += d.objects;
  }
  return { docs, objects };
}
