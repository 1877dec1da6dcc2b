// Import-PSSession and Export-PSSession (docs/import-session.md).
export { importSession, discoverCommands, invokeImported, verifyImported, type ImportSessionOptions, type DiscoverOptions, type Discovery, type SessionSource, type ImportedFunction, type ImportedCallOptions } from './import-session.js';
export { ParameterBindingError, CommandNotFoundError, bindParameters } from './bind.js';
export { REMOTING_INFRASTRUCTURE, type ImportedCommand, type ImportedParameter, type ParameterSetBinding } from './discover.js';
export { generateModule, type ExportModuleOptions } from './codegen.js';
export { functionName, parameterName, prefixedCommandName } from './names.js';
export { typeScriptType } from './types.js';
