// The PowerShell host a session offers to remote code (MS-PSRP 2.2.3.17 host
// methods). The application implements what it can answer; anything else gets
// a clear error back instead of a pipeline that hangs waiting for input.

import { PsRemoteError } from '../../errors.js';
import type { PSInput, PSValue } from '../../clixml/index.js';
import { PSObject, PSSecureString } from '../../clixml/index.js';
import type { RawUIDefaults } from './raw-ui.js';

export interface HostCall {
  /** Method name as sent, e.g. "ReadLine", "PromptForCredential1", "WriteLine2". */
  readonly method: string;
  readonly methodId: number;
  readonly parameters: readonly PSValue[];
  /** The pipeline that called, or undefined for a pool-level call. */
  readonly pipelineId: string | undefined;
}

export interface PSHost {
  /**
   * Declares a raw UI ($host.UI.RawUI on the server) with these values, read
   * when the pool opens and again for each pipeline (so a getter can report the
   * host's current state). The server answers RawUI getters from them without a
   * host call; setters, ReadKey, FlushInputBuffer and the buffer methods arrive
   * as host calls 27..51 (raw-ui.ts). Without it $host.UI.RawUI is empty on the
   * server and nothing reaches the host.
   */
  readonly rawUI?: RawUIDefaults | undefined;
  /**
   * Answers a host call. Return the method's result (undefined for void methods);
   * throw to send an error back to the remote pipeline.
   */
  call(call: HostCall): PSInput | undefined | Promise<PSInput | undefined>;
}

/** Host methods that produce output only; a non-interactive host can accept them. */
const OUTPUT_METHODS = new Set([
  'Write1', 'Write2', 'WriteLine1', 'WriteLine2', 'WriteLine3', 'WriteErrorLine', 'WriteDebugLine', 'WriteProgress',
  'WriteVerboseLine', 'WriteWarningLine', 'SetShouldExit', 'EnterNestedPrompt', 'ExitNestedPrompt',
  'NotifyBeginApplication', 'NotifyEndApplication', 'PushRunspace', 'PopRunspace',
]);

/** The host cannot answer this call (PSR_HOST_CALL_NOT_SUPPORTED); the server sees it as the host's exception. */
export class HostCallNotSupportedError extends PsRemoteError {
  readonly method: string;
  constructor(method: string) {
    super('PSR_HOST_CALL_NOT_SUPPORTED', `the host is non-interactive and cannot answer ${method}; pass a host that implements it`);
    this.method = method;
  }
}

/** The client's host answered a host call with an error (PSR_HOST_CALL_FAILED): what a script's host call fails with on the endpoint. */
export class HostCallFailedError extends PsRemoteError {
  constructor(message: string) {
    super('PSR_HOST_CALL_FAILED', message);
  }
}

/**
 * The default host: accepts output calls (collecting WriteLine text) and refuses
 * anything that needs an answer (Read-Host, Get-Credential, prompts) with an error.
 */
export class NonInteractiveHost implements PSHost {
  readonly lines: string[] = [];
  call(call: HostCall): PSValue | undefined {
    if (OUTPUT_METHODS.has(call.method)) {
      if (call.method.startsWith('Write')) {
        const last = call.parameters[call.parameters.length - 1];
        if (typeof last === 'string') this.lines.push(last);
      }
      return undefined;
    }
    throw new HostCallNotSupportedError(call.method);
  }
}

/**
 * The answer to PromptForCredential (Get-Credential): a PSCredential as
 * PowerShell serializes it, with the password as a SecureString (the pool
 * exchanges a session key before sending it, at protocol 2.2/2.3).
 */
export function credentialAnswer(userName: string, password: string): PSValue {
  return new PSObject({
    typeNames: ['System.Management.Automation.PSCredential', 'System.Object'],
    adapted: [
      ['UserName', userName],
      ['Password', PSSecureString.fromPlaintext(password)],
    ],
  });
}

/** The answer to ReadLineAsSecureString (Read-Host -AsSecureString). */
export function secureStringAnswer(text: string): PSValue {
  return PSSecureString.fromPlaintext(text);
}
