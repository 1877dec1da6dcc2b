// Namespace URIs, actions, resource URIs and signal codes of WS-Management as
// Windows speaks it (MS-WSMV 2.2.1, 3.1.4). Parsers match on these URIs, never
// on prefixes: servers use `s:` and `env:` alike.

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  wsmv: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  shell: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  transfer: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  enumeration: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
  wsmanFault: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
  identity: 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd',
  powershell: 'http://schemas.microsoft.com/powershell',
  config: 'http://schemas.microsoft.com/wbem/wsman/1/config',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  cim: 'http://schemas.dmtf.org/wbem/wscim/1/common',
} as const;

export const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';

export const ACTION = {
  Create: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  CreateResponse: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse',
  Delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  DeleteResponse: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse',
  Get: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get',
  GetResponse: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse',
  Put: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put',
  PutResponse: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/PutResponse',
  Enumerate: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate',
  EnumerateResponse: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse',
  Pull: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull',
  PullResponse: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse',
  Command: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command',
  CommandResponse: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandResponse',
  Send: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send',
  SendResponse: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SendResponse',
  Receive: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive',
  ReceiveResponse: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReceiveResponse',
  Signal: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal',
  SignalResponse: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/SignalResponse',
  Disconnect: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Disconnect',
  DisconnectResponse: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/DisconnectResponse',
  Reconnect: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Reconnect',
  ReconnectResponse: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ReconnectResponse',
  Connect: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Connect',
  ConnectResponse: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/ConnectResponse',
  Fault: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  AddressingFault: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault',
} as const;

/** Operation names as used in recordings, logs and the replay server. */
export type Operation =
  | 'Identify'
  | 'Create'
  | 'Delete'
  | 'Get'
  | 'Put'
  | 'Enumerate'
  | 'Pull'
  | 'Command'
  | 'Send'
  | 'Receive'
  | 'Signal'
  | 'Disconnect'
  | 'Reconnect'
  | 'Connect'
  | 'Invoke';

const ACTION_TO_OPERATION = new Map<string, Operation>([
  [ACTION.Create, 'Create'],
  [ACTION.Delete, 'Delete'],
  [ACTION.Get, 'Get'],
  [ACTION.Put, 'Put'],
  [ACTION.Enumerate, 'Enumerate'],
  [ACTION.Pull, 'Pull'],
  [ACTION.Command, 'Command'],
  [ACTION.Send, 'Send'],
  [ACTION.Receive, 'Receive'],
  [ACTION.Signal, 'Signal'],
  [ACTION.Disconnect, 'Disconnect'],
  [ACTION.Reconnect, 'Reconnect'],
  [ACTION.Connect, 'Connect'],
]);

/** The operation a request action names; custom actions are `Invoke`, a missing action `Identify`. */
export function operationOfAction(action: string | undefined): Operation {
  if (action === undefined || action === '') return 'Identify';
  return ACTION_TO_OPERATION.get(action) ?? 'Invoke';
}

export function actionOfOperation(op: Exclude<Operation, 'Identify' | 'Invoke'>): string {
  return ACTION[op];
}

export const RESOURCE = {
  cmdShell: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd',
  shell: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell',
  shellCommand: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command',
  config: 'http://schemas.microsoft.com/wbem/wsman/1/config',
  wmiPrefix: 'http://schemas.microsoft.com/wbem/wsman/1/wmi/',
  /** `http://schemas.microsoft.com/powershell/<ConfigurationName>` */
  powershell: (configurationName = 'Microsoft.PowerShell') => `http://schemas.microsoft.com/powershell/${configurationName}`,
  wmi: (namespace: string, className: string) =>
    `http://schemas.microsoft.com/wbem/wsman/1/wmi/${namespace.replace(/\\/g, '/')}/${className}`,
} as const;

export const POWERSHELL_RESOURCE_PREFIX = 'http://schemas.microsoft.com/powershell/';

export const SIGNAL = {
  /** WinRS: end a command after Done (MS-WSMV 3.1.4.14). */
  terminate: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate',
  ctrlC: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c',
  ctrlBreak: 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_break',
  /**
   * PowerShell's stop signal. The misspelling is PowerShell's own: the server
   * plugin compares ordinally and treats any other code as closing the command.
   */
  psCtrlC: 'http://schemas.microsoft.com/powershell/signal/crtl_c',
} as const;

export const COMMAND_STATE_PREFIX = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/';

export const FILTER_DIALECT = {
  wql: 'http://schemas.microsoft.com/wbem/wsman/1/WQL',
  selector: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter',
} as const;
