// Arguments and options that several commands take, worded once so that
// `psremote help` says the same of them everywhere.

export const HOST_ARGUMENT = ['<host>', 'host, host:port or http(s)://host:port/wsman'] as const;

export const CONFIGURATION_NAME_OPTION = ['--configuration-name <name>', 'session configuration (JEA endpoint)', 'Microsoft.PowerShell'] as const;
