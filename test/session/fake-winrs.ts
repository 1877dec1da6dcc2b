// A hand-written scripted cmd-shell endpoint for behaviours no recording shows
// (stdin sent while a Receive is outstanding, Ctrl+C during a long-poll,
// output larger than one response). Envelopes are shaped like the recorded
// Windows ones in fixtures/upstream (same namespaces and elements).

import { startServer, type TestServer } from '../transport/http/helpers.js';
import { systemClock, type Clock } from '../../src/util/clock.js';

const NS =
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
  'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" ' +
  'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"';

const env = (action: string, relatesTo: string, body: string) =>
  `<s:Envelope ${NS}><s:Header><a:Action>${action}</a:Action><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body>${body}</s:Body></s:Envelope>`;

const SHELL = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell';

export interface FakeCommand {
  readonly id: string;
  readonly command: string;
  stdin: Buffer;
  stdinEnded: boolean;
  signals: string[];
  /** Pending output chunks (stdout). */
  out: Buffer[];
  exitCode: number | undefined;
  wake?: () => void;
}

export interface FakeWinRS {
  readonly server: TestServer;
  readonly url: string;
  readonly commands: FakeCommand[];
  readonly log: string[];
  /** Receives held so far (each waits for output, the command's end or `receiveWaitMs`). */
  readonly held: number;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** What the command does with its input when stdin ends (default: echo upper-cased, exit 0). */
  onStdinEnd?(cmd: FakeCommand): void;
  /** Output produced at start (e.g. a big stream). */
  onStart?(cmd: FakeCommand): void;
  /** Longest a Receive waits before the OperationTimeout fault (ms). */
  receiveWaitMs?: number;
  /** Bytes of stdout per ReceiveResponse. */
  chunkBytes?: number;
  /** Time for the Receive hold (default the real clock; a ManualClock makes the OperationTimeout faults come when the test says). */
  clock?: Clock;
}

export async function startFakeWinRS(o: FakeOptions = {}): Promise<FakeWinRS> {
  const commands: FakeCommand[] = [];
  const log: string[] = [];
  const clock = o.clock ?? systemClock;
  let n = 0;
  let held = 0;
  const server = await startServer(async (req, res) => {
    const body = req.body;
    const action = /<(?:\w+:)?Action[^>]*>([^<]*)</.exec(body)?.[1] ?? 'Identify';
    const op = action.slice(action.lastIndexOf('/') + 1);
    const mid = /<(?:\w+:)?MessageID>([^<]*)</.exec(body)?.[1] ?? '';
    const cmdId = /CommandId="([^"]+)"/.exec(body)?.[1];
    const cmd = commands.find((c) => c.id === cmdId);
    log.push(op);
    const reply = (a: string, b: string, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/soap+xml;charset=UTF-8' }).end(env(a, mid, b));
    };
    switch (op) {
      case 'Create':
        return reply(`${action}Response`, `<x:ResourceCreated><a:ReferenceParameters><w:SelectorSet><w:Selector Name="ShellId">SHELL-1</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>SHELL-1</rsp:ShellId></rsp:Shell>`);
      case 'Command': {
        const c: FakeCommand = { id: `CMD-${++n}`, command: /<rsp:Command>([^<]*)</.exec(body)?.[1] ?? '', stdin: Buffer.alloc(0), stdinEnded: false, signals: [], out: [], exitCode: undefined };
        commands.push(c);
        o.onStart?.(c);
        return reply(`${SHELL}/CommandResponse`, `<rsp:CommandResponse><rsp:CommandId>${c.id}</rsp:CommandId></rsp:CommandResponse>`);
      }
      case 'Send': {
        if (!cmd) return reply('fault', '', 500);
        const m = /<rsp:Stream[^>]*>([^<]*)</.exec(body);
        cmd.stdin = Buffer.concat([cmd.stdin, Buffer.from(m?.[1] ?? '', 'base64')]);
        if (/End="true"/.test(body)) {
          cmd.stdinEnded = true;
          if (o.onStdinEnd) o.onStdinEnd(cmd);
          else {
            cmd.out.push(Buffer.from(cmd.stdin.toString('utf8').toUpperCase()));
            cmd.exitCode = 0;
          }
          cmd.wake?.();
        }
        return reply(`${SHELL}/SendResponse`, '<rsp:SendResponse/>');
      }
      case 'Signal': {
        const code = /<rsp:Code>([^<]*)</.exec(body)?.[1] ?? '';
        cmd?.signals.push(code.slice(code.lastIndexOf('/') + 1));
        if (cmd && code.endsWith('ctrl_c') && cmd.exitCode === undefined) {
          cmd.exitCode = -1073741510;
          cmd.wake?.();
        }
        return reply(`${SHELL}/SignalResponse`, '<rsp:SignalResponse/>');
      }
      case 'Receive': {
        if (!cmd) return reply('fault', '', 500);
        if (cmd.out.length === 0 && cmd.exitCode === undefined) {
          await new Promise<void>((r) => {
            const t = clock.setTimeout(r, o.receiveWaitMs ?? 2000);
            cmd.wake = () => {
              clock.clearTimeout(t);
              r();
            };
            held++;
          });
          cmd.wake = undefined;
        }
        if (cmd.out.length === 0 && cmd.exitCode === undefined) {
          return reply(
            'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
            '<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:TimedOut</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="2150858793" Machine="fake"><f:Message>The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  </f:Message></f:WSManFault></s:Detail></s:Fault>',
            500,
          );
        }
        const limit = o.chunkBytes ?? 1 << 20;
        let streams = '';
        let budget = limit;
        while (cmd.out.length && budget > 0) {
          const c = cmd.out.shift()!;
          const part = c.subarray(0, budget);
          if (part.length < c.length) cmd.out.unshift(c.subarray(part.length));
          budget -= part.length;
          streams += `<rsp:Stream Name="stdout" CommandId="${cmd.id}">${part.toString('base64')}</rsp:Stream>`;
        }
        const done = cmd.out.length === 0 && cmd.exitCode !== undefined;
        const state = done
          ? `<rsp:CommandState CommandId="${cmd.id}" State="${SHELL}/CommandState/Done"><rsp:ExitCode>${cmd.exitCode}</rsp:ExitCode></rsp:CommandState>`
          : `<rsp:CommandState CommandId="${cmd.id}" State="${SHELL}/CommandState/Running"/>`;
        return reply(`${SHELL}/ReceiveResponse`, `<rsp:ReceiveResponse>${streams}${state}</rsp:ReceiveResponse>`);
      }
      case 'Delete':
        return reply('http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse', '');
      default:
        return reply('fault', '', 500);
    }
  });
  return {
    server,
    url: server.url,
    commands,
    log,
    get held() {
      return held;
    },
    close: () => server.close(),
  };
}
