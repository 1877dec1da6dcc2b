import { describe, expect, test } from 'vitest';
import {
  WSManFaultError,
  checkRelatesTo,
  parseCommandResponse,
  parseCreateResponse,
  parseEnvelope,
  parseMaxEnvelopeSizeKb,
  parseReceiveResponse,
  parseResponse,
  type ReceivedStream,
} from '../../src/wsman/index.js';
import { RemoteProtocolError } from '../../src/errors.js';
import { allRecordingFiles, recording } from '../helpers/recordings.js';

describe('every recorded response parses by namespace', () => {
  test.each(allRecordingFiles())('%s', (file) => {
    const rec = recording(file);
    expect(rec.exchanges.length).toBeGreaterThan(0);
    for (const x of rec.exchanges) {
      if (x.connectionError) continue;
      const env = parseEnvelope(x.response.body, { operation: x.operation });
      // Every non-fault response answers the request it follows.
      if (!env.fault) expect(env.action).toMatch(/Response$/);
      if (x.response.status === 500) expect(env.fault).toBeDefined();
    }
  });
});

describe('recorded faults map to typed errors', () => {
  const cases: [string, string, string, number, RegExp][] = [
    ['test_psrp_is_alive_other_wsman_error.yml', 'Get', 'InvalidMessageInformationHeader', 2150858767, /cannot process the request/],
    ['test_psrp_receive_failure.yml', 'Receive', 'ShellNotFound', 2150858843, /command identifier that does not exist/],
    ['test_winrs_bad_cmd_id.yml', 'Receive', 'ShellNotFound', 2150858843, /command identifier that does not exist/],
    ['test_winrs_fail_poll_process.yml', 'Receive', 'InvalidParameter', 87, /^The parameter is incorrect\.$/],
  ];
  test.each(cases)('%s: %s → %s', (file, op, kind, code, message) => {
    const x = recording(file).exchanges.find((e) => e.operation === op && e.response.status === 500)!;
    let err: unknown;
    try {
      parseResponse(x.response.body, { operation: op, httpStatus: 500, host: 'win' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WSManFaultError);
    const f = err as WSManFaultError;
    expect(f.code).toBe('PSR_WSMAN_FAULT');
    expect(f.kind).toBe(kind);
    expect(f.wsmanCode).toBe(code);
    expect(f.faultMessage).toMatch(message);
    expect(f.httpStatus).toBe(500);
    expect(f.message).toContain(`${op} on win`);
  });

  test('a timed-out Receive is an event, not an error (pypsrp and WinRMSharp recordings)', () => {
    const types = (file: string) =>
      recording(file)
        .exchanges.filter((e) => e.operation === 'Receive')
        .map((x) => parseReceiveResponse(x.response.body).type);
    // pypsrp: the pool Receives, two timeouts while the cmdlet sleeps, then its output.
    expect(types('test_psrp_long_running_cmdlet.yml')).toEqual(['data', 'data', 'timeout', 'timeout', 'data']);
    expect(types('ProtocolRunCommandExceedingOperationTimeout.yml')).toEqual(['timeout']);
  });

});

function stdoutOf(streams: readonly ReceivedStream[], name: string): string {
  return Buffer.concat(streams.filter((s) => s.name === name).map((s) => s.data)).toString('utf8');
}

describe('WinRS shell responses', () => {
  test('test_winrs_standard: shell id, command id, stdout, exit code', () => {
    const rec = recording('test_winrs_standard.yml');
    const create = rec.exchanges.find((x) => x.operation === 'Create')!;
    const shell = parseCreateResponse(parseResponse(create.response.body));
    expect(shell.shellId).toMatch(/^[0-9A-F-]{36}$/);
    const cmd = rec.exchanges.find((x) => x.operation === 'Command')!;
    const commandId = parseCommandResponse(parseResponse(cmd.response.body));
    expect(commandId).toMatch(/^[0-9A-F-]{36}$/);
    const recv = parseReceiveResponse(rec.exchanges.find((x) => x.operation === 'Receive')!.response.body);
    if (recv.type !== 'data') throw new Error('expected data');
    expect(recv.commandState).toEqual({ commandId, state: 'Done', exitCode: 0 });
    expect(stdoutOf(recv.streams, 'stdout')).toMatch(/\S/);
    expect(recv.streams.every((s) => s.commandId === commandId)).toBe(true);
  });

  test('ClientFetchFileFailDir: stderr and exit code 1', () => {
    const rec = recording('ClientFetchFileFailDir.yml');
    const recv = parseReceiveResponse(rec.exchanges.find((x) => x.operation === 'Receive')!.response.body);
    if (recv.type !== 'data') throw new Error('expected data');
    expect(recv.commandState?.exitCode).toBe(1);
    expect(recv.commandState?.state).toBe('Done');
    expect(stdoutOf(recv.streams, 'stderr')).toContain('#< CLIXML');
  });

  test('winrm4j win12: Create, Command, Receive with exit code', () => {
    const rec = recording('win12.xml');
    const recv = parseReceiveResponse(rec.exchanges.find((x) => x.operation === 'Receive')!.response.body);
    if (recv.type !== 'data') throw new Error('expected data');
    expect(recv.commandState?.state).toBe('Done');
    expect(typeof recv.commandState?.exitCode).toBe('number');
  });

  test('PowerShell CreateResponse carries the shell properties', () => {
    const rec = recording('test_psrp_open_runspace.yml');
    const shell = parseCreateResponse(parseResponse(rec.exchanges[0]!.response.body));
    expect(shell.shellId).toBe('76056A84-51DC-4F24-9262-CA2A55464B2B');
    expect(shell.resourceUri).toBe('http://schemas.microsoft.com/powershell/Microsoft.PowerShell');
    expect(shell.idleTimeoutMs).toBe(7_200_000);
    expect(shell.maxIdleTimeoutMs).toBe(2_147_483_647);
    expect(shell.owner).toContain('vagrant');
  });

  test('config Get gives MaxEnvelopeSizekb', () => {
    expect(parseMaxEnvelopeSizeKb(parseResponse(recording('test_wsman_update_envelope_size_150.yml').exchanges[0]!.response.body))).toBe(150);
    expect(parseMaxEnvelopeSizeKb(parseResponse(recording('test_wsman_update_envelope_size_500.yml').exchanges[0]!.response.body))).toBe(500);
  });
});

describe('bad input from a server', () => {
  test.each([
    ['not XML', 'Internal error', /not XML/],
    ['an HTML error page', '<html><body><h1>Bad Request</h1></body></html>', /not a SOAP 1.2 Envelope/],
    ['wrong namespace', '<Envelope xmlns="urn:x"><Body/></Envelope>', /not a SOAP 1.2 Envelope/],
    ['missing body', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>', /no Body/],
    ['truncated', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><rsp:Rec', /not XML/],
  ])('%s', (_name, body, msg) => {
    let err: unknown;
    try {
      parseResponse(body, { operation: 'Receive', host: 'win01' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RemoteProtocolError);
    expect((err as RemoteProtocolError).code).toBe('PSR_WSMAN_INVALID');
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).toContain('Receive response from win01');
  });

  test('missing ReceiveResponse element and bad base64 are typed errors', () => {
    const env = (inner: string) => `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body>${inner}</s:Body></s:Envelope>`;
    expect(() => parseReceiveResponse(env('<rsp:Other/>'))).toThrow(/missing rsp:ReceiveResponse/);
    expect(() => parseReceiveResponse(env('<rsp:ReceiveResponse><rsp:Stream Name="stdout">@@@</rsp:Stream></rsp:ReceiveResponse>'))).toThrow(/not valid base64/);
    expect(() => parseReceiveResponse(env('<rsp:ReceiveResponse><rsp:CommandState State="x/Done"><rsp:ExitCode>one</rsp:ExitCode></rsp:CommandState></rsp:ReceiveResponse>'))).toThrow(/not an integer/);
  });

  test('stream base64: whitespace between groups is accepted, anything else outside the alphabet is refused', () => {
    const env = (text: string) =>
      `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"><s:Body><rsp:ReceiveResponse><rsp:Stream Name="stdout" CommandId="C">${text}</rsp:Stream></rsp:ReceiveResponse></s:Body></s:Envelope>`;
    const stdout = (text: string) => {
      const r = parseReceiveResponse(env(text));
      if (r.type !== 'data') throw new Error(`a ${r.type} answer`);
      return Buffer.from(r.streams[0]!.data).toString('latin1');
    };
    expect(stdout('aGVsbG8h')).toBe('hello!');
    // Whitespace is stripped, including whitespace that keeps the length a multiple of 4.
    expect(stdout('aGVs\r\nbG8h')).toBe('hello!');
    expect(stdout(' aGVsbG8h\t\n ')).toBe('hello!');
    expect(stdout('aGVs  bG8h  ')).toBe('hello!');
    for (const bad of ['aGVs-G8h', 'aGVs_G8h', 'aGVsbG8', 'aGVs*G8h', 'aGVsbG8h=', '=aGVsbG8', 'aGVs&#x1;G8h', 'aGVs\u00e9bG8h']) {
      expect(() => parseReceiveResponse(env(bad)), bad).toThrow(/not valid base64|character reference|not allowed/);
    }
  });

  test('RelatesTo must match the MessageID sent', () => {
    const x = recording('test_psrp_open_runspace.yml').exchanges[0]!;
    const env = parseEnvelope(x.response.body);
    expect(() => checkRelatesTo(env, 'uuid:F249DBE7-0E83-4F39-AE4A-28324CF61227')).not.toThrow();
    expect(() => checkRelatesTo(env, '00000000-0000-0000-0000-000000000001')).toThrow(/does not match the MessageID sent/);
  });
});

describe('WinRb stub faults', () => {
  test('nested ProviderFault: the innermost message wins', async () => {
    const { readFileSync } = await import('node:fs');
    const xml = readFileSync('fixtures/upstream/WinRb-WinRM/tests/spec/stubs/responses/soap_fault_v1.xml', 'utf8');
    const f = parseEnvelope(xml).fault!;
    expect(f.kind).toBe('CannotProcessFilter');
    expect(f.wsmanCode).toBe(2150858778);
    expect(f.subcode).toBe('n:CannotProcessFilter');
    expect(f.message).toBe('The specified class does not exist in the given namespace.');
    expect(f.provider).toBe('WMIv1 plugin for Windows Remote Management');
  });
});

describe('the other recorded WinRb faults', () => {
  test.each([
    ['soap_fault_v2.xml', 'CannotProcessFilter', 2150858778, 'n:CannotProcessFilter', 'The specified class does not exist in the given namespace.'],
    ['soap_fault_omi.xml', 'InternalError', undefined, 'wsman:InternalError', 'get-instance: instance name parameter is missing'],
  ])('%s', async (file, kind, code, subcode, message) => {
    const { readFileSync } = await import('node:fs');
    const xml = readFileSync(`fixtures/upstream/WinRb-WinRM/tests/spec/stubs/responses/${file}`, 'utf8');
    let err: unknown;
    try {
      parseResponse(xml, { operation: 'Enumerate', httpStatus: 500 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WSManFaultError);
    expect(err).toMatchObject({ kind, wsmanCode: code, subcode, faultMessage: message, httpStatus: 500 });
  });
});
