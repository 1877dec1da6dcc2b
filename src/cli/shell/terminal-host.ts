// The PowerShell host of `psremote shell`: remote code that asks the user
// (Read-Host, Read-Host -AsSecureString, Get-Credential, $host.UI.PromptForChoice,
// mandatory-parameter prompts) is answered at the terminal, secrets with the
// echo off; host output goes to the terminal as PowerShell's console host
// writes it. What a terminal cannot do is refused with an error, never a hang.

import { PSObject, PSSecureString } from '../../clixml/index.js';
import type { PSValue } from '../../psrp/index.js';
import { credentialAnswer, HostCallNotSupportedError, type HostCall, type PSHost } from '../../session/host/host.js';
import type { RawUIDefaults } from '../../session/host/raw-ui.js';
import { toPlain } from '../../clixml/plain.js';
import type { Terminal } from './terminal.js';
import { AbortError, RemoteProtocolError } from '../../errors.js';

/** A member of a host-call parameter object; the remote host encoder writes field names (camelCase), a hand-built one may use property names. */
function prop(o: unknown, name: string): unknown {
  if (!o || typeof o !== 'object') return undefined;
  const key = Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (o as Record<string, unknown>)[key];
}

const text = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

/** `&Yes` → hotkey Y, label Yes (PowerShell's ChoiceDescription convention). */
export function choiceLabel(label: string): { hotkey: string; label: string } {
  const amp = label.indexOf('&');
  if (amp < 0 || amp === label.length - 1) return { hotkey: label.slice(0, 1), label };
  return { hotkey: label[amp + 1]!, label: label.slice(0, amp) + label.slice(amp + 1) };
}

export class TerminalHost implements PSHost {
  /** Set by SetShouldExit (`exit` inside a script the host runs). */
  shouldExit = false;
  readonly #term: Terminal;
  readonly #stderr: NodeJS.WritableStream;

  constructor(term: Terminal, stderr: NodeJS.WritableStream) {
    this.#term = term;
    this.#stderr = stderr;
  }

  get rawUI(): RawUIDefaults {
    const width = this.#term.columns;
    return { bufferSize: { width, height: 9001 }, windowSize: { width, height: 50 }, maxWindowSize: { width, height: 50 }, windowTitle: 'psremote' };
  }

  async #read(prompt: string, secret = false): Promise<string> {
    const line = await this.#term.readLine(prompt, { secret });
    if (line === null) throw new AbortError('the terminal input ended before an answer was typed');
    return line;
  }

  async call(call: HostCall): Promise<PSValue | undefined> {
    const p = call.parameters;
    switch (call.method) {
      case 'ReadLine':
        return this.#read('');
      case 'ReadLineAsSecureString':
        return PSSecureString.fromPlaintext(await this.#read('', true));
      case 'Write1':
      case 'WriteLine2':
        this.#term.write(`${text(p[0])}${call.method === 'WriteLine2' ? '\n' : ''}`);
        return undefined;
      case 'Write2':
      case 'WriteLine3':
        this.#term.write(`${text(p[2])}${call.method === 'WriteLine3' ? '\n' : ''}`);
        return undefined;
      case 'WriteLine1':
        this.#term.write('\n');
        return undefined;
      case 'WriteErrorLine':
        this.#stderr.write(`${text(p[0])}\n`);
        return undefined;
      case 'WriteDebugLine':
        this.#stderr.write(`DEBUG: ${text(p[0])}\n`);
        return undefined;
      case 'WriteVerboseLine':
        this.#stderr.write(`VERBOSE: ${text(p[0])}\n`);
        return undefined;
      case 'WriteWarningLine':
        this.#stderr.write(`WARNING: ${text(p[0])}\n`);
        return undefined;
      case 'SetShouldExit':
        this.shouldExit = true;
        return undefined;
      case 'WriteProgress':
      case 'NotifyBeginApplication':
      case 'NotifyEndApplication':
      case 'EnterNestedPrompt':
      case 'ExitNestedPrompt':
        return undefined;
      case 'Prompt':
        return this.#prompt(text(p[0]), text(p[1]), p[2]);
      case 'PromptForCredential1':
      case 'PromptForCredential2':
        return this.#credential(text(p[0]), text(p[1]), text(p[2]));
      case 'PromptForChoice':
        return this.#choice(text(p[0]), text(p[1]), p[2], typeof p[3] === 'number' ? p[3] : -1);
      default:
        throw new HostCallNotSupportedError(call.method);
    }
  }

  #heading(caption: string, message: string): void {
    if (caption) this.#term.write(`\n${caption}\n`);
    if (message) this.#term.write(`${message}\n`);
  }

  async #prompt(caption: string, message: string, descriptions: PSValue | undefined): Promise<PSValue> {
    this.#heading(caption, message);
    const fields = toPlain(descriptions);
    const answers: [PSValue, PSValue][] = [];
    for (const f of Array.isArray(fields) ? fields : []) {
      const name = text(prop(f, 'name'));
      const label = text(prop(f, 'label')) || name;
      const type = text(prop(f, 'parameterTypeFullName')) || text(prop(f, 'parameterTypeName'));
      let value: PSValue;
      if (/SecureString$/i.test(type)) value = PSSecureString.fromPlaintext(await this.#read(`${label}: `, true));
      else if (/PSCredential$/i.test(type)) value = await this.#credential('', '', '');
      else value = await this.#read(`${label}: `);
      answers.push([name, value]);
    }
    return new PSObject({ typeNames: ['System.Collections.Hashtable', 'System.Object'], dict: answers as never });
  }

  async #credential(caption: string, message: string, userName: string): Promise<PSValue> {
    this.#heading(caption || 'PowerShell credential request', message || 'Enter your credentials.');
    const user = userName || (await this.#read('User: '));
    const password = await this.#read(`Password for user ${user}: `, true);
    return credentialAnswer(user, password);
  }

  async #choice(caption: string, message: string, choices: PSValue | undefined, defaultChoice: number): Promise<number> {
    this.#heading(caption, message);
    const list = toPlain(choices);
    const options = (Array.isArray(list) ? list : []).map((c) => ({ ...choiceLabel(text(prop(c, 'label'))), help: text(prop(c, 'helpMessage')) }));
    if (options.length === 0) throw new RemoteProtocolError('PSR_PSRP_MESSAGE_INVALID', 'PromptForChoice without choices', { where: 'PromptForChoice' });
    const line = `${options.map((o) => `[${o.hotkey}] ${o.label}`).join('  ')}  [?] Help${defaultChoice >= 0 && options[defaultChoice] ? ` (default is "${options[defaultChoice]!.hotkey}")` : ''}: `;
    for (;;) {
      const answer = (await this.#read(line)).trim();
      if (answer === '' && defaultChoice >= 0 && defaultChoice < options.length) return defaultChoice;
      if (answer === '?') {
        for (const o of options) this.#term.write(`${o.hotkey} - ${o.help || o.label}\n`);
        continue;
      }
      const i = options.findIndex((o) => o.hotkey.toLowerCase() === answer.toLowerCase() || o.label.toLowerCase() === answer.toLowerCase());
      if (i >= 0) return i;
    }
  }
}
