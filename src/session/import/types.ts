// .NET parameter types as TypeScript types, for the proxies export-session
// writes. The values are what the CLIXML writer serializes (clixml/writer.ts):
// the server's parameter binder converts from there as it does for any remote
// caller (a string for a Guid, a number for a Byte), so the types admit what
// binds, not only the exact .NET type. Arrays also take one element, since
// PowerShell binds a scalar to an array parameter. What has no closer type is
// PSInput, the writer's input type (any PSValue, or plain JavaScript: an object
// as a Hashtable, a Date as a DateTime), since a parameter is input, not output.

const SCALARS: Readonly<Record<string, string>> = {
  'System.String': 'string',
  'System.Char': 'string | PSChar',
  'System.Boolean': 'boolean',
  'System.Management.Automation.SwitchParameter': 'boolean',
  'System.Byte': 'number',
  'System.SByte': 'number',
  'System.Int16': 'number',
  'System.UInt16': 'number',
  'System.Int32': 'number',
  'System.UInt32': 'number | bigint',
  'System.Int64': 'number | bigint',
  'System.UInt64': 'number | bigint',
  'System.Single': 'number',
  'System.Double': 'number',
  'System.Decimal': 'number | PSDecimal',
  'System.DateTime': 'Date | PSDateTime',
  'System.TimeSpan': 'PSDuration',
  'System.Guid': 'string | PSGuid',
  'System.Uri': 'string | PSUri',
  'System.Version': 'string | PSVersion',
  'System.Management.Automation.ScriptBlock': 'PSScriptBlock',
  'System.Security.SecureString': 'PSSecureString',
  'System.Byte[]': 'Uint8Array',
};

/** The psremote value classes a generated module may name (it imports the ones it uses). */
export const VALUE_CLASSES = ['PSChar', 'PSDecimal', 'PSDateTime', 'PSDuration', 'PSGuid', 'PSUri', 'PSVersion', 'PSScriptBlock', 'PSSecureString'] as const;

const NULLABLE = /^System\.Nullable`1\[(.+)\]$/;

/** TypeScript type text for a .NET type name; `enumValues` (from the server's enum) gives a union of names. */
export function typeScriptType(dotnet: string, enumValues?: readonly string[]): string {
  const nullable = NULLABLE.exec(dotnet);
  if (nullable) return `${typeScriptType(nullable[1]!, enumValues)} | null`;
  const exact = SCALARS[dotnet];
  if (exact) return exact;
  if (dotnet.endsWith('[]')) {
    const element = typeScriptType(dotnet.slice(0, -2), enumValues);
    const single = element.includes(' ') ? `(${element})` : element;
    return `${element} | readonly ${single}[]`;
  }
  if (enumValues && enumValues.length > 0) return enumValues.map((v) => JSON.stringify(v)).join(' | ');
  return 'PSInput';
}

/** The value classes a type text mentions, so the module imports exactly those. */
export function classesIn(typeText: string): string[] {
  return VALUE_CLASSES.filter((c) => new RegExp(`\\b${c}\\b`).test(typeText));
}
