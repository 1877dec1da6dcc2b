// Every PSRP message in every pypsrp recording (real Windows servers) is
// reassembled and decoded. The message-type sequence of each recording is
// pinned in SEQUENCES below and cross-checked against the per-direction counts
// in fixtures/upstream/CATALOGUE.md (written independently of this code).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Defragmenter } from '../../src/psrp/fragment.js';
import { decodeMessage, isKnownMessageType, messageText, messageTypeSpecName, type PsrpMessage } from '../../src/psrp/message.js';
import { decodeBody, decodeValue, encodeValue } from '../../src/psrp/messages.js';
import { SessionKeyCipher } from '../../src/psrp/key-exchange.js';
import { SESSION_KEY_VECTORS } from './helpers/keys.js';
import { recordedPayloads, recordingFiles, type RecordedPayload } from './helpers/recordings.js';

const ABBR: Record<string, string> = {
  SESSION_CAPABILITY: 'SESSION_CAP', INIT_RUNSPACEPOOL: 'INIT_RP', RUNSPACEPOOL_STATE: 'RP_STATE',
  APPLICATION_PRIVATE_DATA: 'APP_PRIV_DATA', PIPELINE_OUTPUT: 'OUTPUT', PIPELINE_INPUT: 'INPUT',
  END_OF_PIPELINE_INPUT: 'END_INPUT', RUNSPACE_AVAILABILITY: 'RS_AVAILABILITY', RUNSPACEPOOL_INIT_DATA: 'RP_INIT_DATA',
  CONNECT_RUNSPACEPOOL: 'CONNECT_RP', ENCRYPTED_SESSION_KEY: 'ENC_SESSION_KEY', PROGRESS_RECORD: 'PROGRESS',
  DEBUG_RECORD: 'DEBUG', VERBOSE_RECORD: 'VERBOSE', WARNING_RECORD: 'WARNING', ERROR_RECORD: 'ERROR',
  INFORMATION_RECORD: 'INFORMATION',
};

// '>' client to server, '<' server to client, in recorded order.
const SEQUENCES: [string, string][] = [
  ['test_client_copy_expand_vars.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >END_INPUT <PROGRESS <OUTPUT <PIPELINE_STATE >SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >END_INPUT <PROGRESS <OUTPUT <PIPELINE_STATE'],
  ['test_client_copy_file.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >END_INPUT <PROGRESS <OUTPUT <PIPELINE_STATE >SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >END_INPUT <PROGRESS <OUTPUT <PIPELINE_STATE'],
  ['test_client_copy_file_empty.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >END_INPUT <PROGRESS <OUTPUT <PIPELINE_STATE'],
  ['test_client_copy_file_failure.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >END_INPUT <PROGRESS <PIPELINE_STATE'],
  ['test_client_copy_file_really_large.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >INPUT >INPUT >INPUT >INPUT >INPUT >INPUT >END_INPUT <PROGRESS <OUTPUT <PIPELINE_STATE'],
  ['test_client_execute_ps.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <PIPELINE_STATE'],
  ['test_client_execute_ps_environment.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <PIPELINE_STATE'],
  ['test_client_execute_ps_failure.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <PIPELINE_STATE'],
  ['test_client_fetch_file.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <PROGRESS <OUTPUT <OUTPUT <PIPELINE_STATE'],
  ['test_client_fetch_file_expand_vars.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <PROGRESS <OUTPUT <OUTPUT <PIPELINE_STATE'],
  ['test_client_fetch_file_fail_dir.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <PIPELINE_STATE'],
  ['test_client_fetch_file_fail_missing.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <PIPELINE_STATE'],
  ['test_client_fetch_file_hash_mismatch.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <PROGRESS <OUTPUT <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_application_args.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_clear_commands.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_disconnect_runspaces.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >SESSION_CAP >CONNECT_RP <SESSION_CAP <RP_INIT_DATA <RP_STATE >SESSION_CAP >CONNECT_RP <SESSION_CAP <RP_INIT_DATA <RP_STATE'],
  ['test_psrp_get_command_metadata.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >GET_COMMAND_METADATA <OUTPUT <OUTPUT <OUTPUT <OUTPUT <PIPELINE_STATE >GET_COMMAND_METADATA <OUTPUT <OUTPUT <OUTPUT <PIPELINE_STATE >GET_COMMAND_METADATA <OUTPUT <OUTPUT <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_is_alive_http_error.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE'],
  ['test_psrp_is_alive_other_wsman_error.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE'],
  ['test_psrp_is_alive_state_disconnected.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE'],
  ['test_psrp_key_exchange_timeout.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >PUBLIC_KEY'],
  ['test_psrp_long_running_cmdlet.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_merge_commands.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <OUTPUT <DEBUG <VERBOSE <ERROR <OUTPUT <WARNING <INFORMATION <PIPELINE_STATE'],
  ['test_psrp_multiple_invocations.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_nested_command.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_no_profile.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_open_runspace.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE'],
  ['test_psrp_pshost_methods.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_HOST_CALL <PIPELINE_STATE'],
  ['test_psrp_pshost_ui_mocked_methods.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >PUBLIC_KEY <ENC_SESSION_KEY >CREATE_PIPELINE <PIPELINE_HOST_CALL >PIPELINE_HOST_RESPONSE <OUTPUT <PIPELINE_HOST_CALL >PIPELINE_HOST_RESPONSE <OUTPUT <PIPELINE_HOST_CALL <PIPELINE_HOST_CALL <PIPELINE_HOST_CALL <PIPELINE_HOST_CALL <PIPELINE_HOST_CALL <PIPELINE_HOST_CALL <DEBUG <PIPELINE_HOST_CALL <PROGRESS <PIPELINE_HOST_CALL <PROGRESS <PIPELINE_HOST_CALL <VERBOSE <PIPELINE_HOST_CALL <WARNING <PIPELINE_HOST_CALL <PIPELINE_HOST_CALL >PIPELINE_HOST_RESPONSE <OUTPUT <PIPELINE_HOST_CALL >PIPELINE_HOST_RESPONSE <OUTPUT <PIPELINE_HOST_CALL >PIPELINE_HOST_RESPONSE <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_receive_failure.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE'],
  ['test_psrp_reset_runspace_state.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <OUTPUT <PIPELINE_STATE >RESET_RUNSPACE_STATE <RS_AVAILABILITY >CREATE_PIPELINE <PIPELINE_STATE'],
  ['test_psrp_reset_runspace_state_fail.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >RESET_RUNSPACE_STATE <RS_AVAILABILITY'],
  ['test_psrp_run_protocol_version_2.2.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >INPUT >END_INPUT <DEBUG <OUTPUT <OUTPUT <OUTPUT <OUTPUT <DEBUG <PIPELINE_STATE'],
  ['test_psrp_run_protocol_version_2.3.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE >INPUT >INPUT >INPUT >END_INPUT <PROGRESS <DEBUG <OUTPUT <OUTPUT <OUTPUT <OUTPUT <DEBUG <PIPELINE_STATE'],
  ['test_psrp_stream_no_output_invocation.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <DEBUG <VERBOSE <ERROR <OUTPUT <WARNING <INFORMATION <PIPELINE_STATE'],
  ['test_psrp_with_history.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <OUTPUT <OUTPUT <PIPELINE_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE'],
  ['test_psrp_with_jea_configuration.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <OUTPUT <PIPELINE_STATE >CREATE_PIPELINE <ERROR <PIPELINE_STATE'],
  ['test_psrp_with_no_history.yml', '>SESSION_CAP >INIT_RP <SESSION_CAP <APP_PRIV_DATA <RP_STATE >CREATE_PIPELINE <PROGRESS <OUTPUT <OUTPUT <PIPELINE_STATE >CREATE_PIPELINE <PIPELINE_STATE'],
];

export interface DecodedRecordedMessage {
  readonly payload: RecordedPayload;
  readonly objectId: bigint;
  readonly message: PsrpMessage;
}

/** Reassemble every message of a recording (one Defragmenter per direction and shell). */
export function decodeRecording(file: string): DecodedRecordedMessage[] {
  const defrag = new Map<string, Defragmenter>();
  const out: DecodedRecordedMessage[] = [];
  for (const p of recordedPayloads(file)) {
    const key = `${p.direction} ${p.shellId ?? ''}`;
    let d = defrag.get(key);
    if (d === undefined) defrag.set(key, (d = new Defragmenter({ where: `${file}#${p.exchange}` })));
    for (const m of d.receive(p.bytes)) out.push({ payload: p, objectId: m.objectId, message: decodeMessage(m.data, `${file}#${p.exchange}`) });
  }
  for (const d of defrag.values()) expect(d.partialCount).toBe(0);
  return out;
}

function sequenceOf(msgs: DecodedRecordedMessage[]): string {
  return msgs
    .map((m) => (m.payload.direction === 'client->server' ? '>' : '<') + (ABBR[messageTypeSpecName(m.message.messageType)] ?? messageTypeSpecName(m.message.messageType)))
    .join(' ');
}

interface CatalogueRow { c2s: Map<string, number>; s2c: Map<string, number> }

function catalogue(): Map<string, CatalogueRow> {
  const text = readFileSync(join(import.meta.dirname, '../../fixtures/upstream/CATALOGUE.md'), 'utf8');
  const rows = new Map<string, CatalogueRow>();
  const counts = (cell: string): Map<string, number> => {
    const m = new Map<string, number>();
    if (cell.trim() === '—') return m;
    for (const item of cell.split(',')) {
      const [name, n] = item.trim().split('×');
      m.set(name!, n === undefined ? 1 : Number(n));
    }
    return m;
  };
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 8 || !/^test_.*\.yml$/.test(cells[1] ?? '')) continue;
    rows.set(cells[1]!, { c2s: counts(cells[4]!), s2c: counts(cells[5]!) });
  }
  return rows;
}

describe('pypsrp recordings: every PSRP message reassembles and decodes', () => {
  const cat = catalogue();
  const files = recordingFiles().filter((f) => recordedPayloads(f).length > 0);

  test('the table covers every recording with PSRP data', () => {
    expect(files).toEqual(SEQUENCES.map(([f]) => f));
    expect(files.length).toBe(38);
  });

  for (const [file, expected] of SEQUENCES) {
    test(file, () => {
      const msgs = decodeRecording(file);
      expect(sequenceOf(msgs)).toBe(expected);
      const row = cat.get(file);
      expect(row, `${file} in CATALOGUE.md`).toBeDefined();
      const tally = (dir: string): Map<string, number> => {
        const m = new Map<string, number>();
        for (const x of msgs.filter((y) => y.payload.direction === dir)) {
          const n = ABBR[messageTypeSpecName(x.message.messageType)] ?? messageTypeSpecName(x.message.messageType);
          m.set(n, (m.get(n) ?? 0) + 1);
        }
        return m;
      };
      expect(Object.fromEntries(tally('client->server'))).toEqual(Object.fromEntries(row!.c2s));
      expect(Object.fromEntries(tally('server->client'))).toEqual(Object.fromEntries(row!.s2c));
      for (const m of msgs) {
        // Destination matches the direction; pipeline messages name a pipeline.
        expect(m.message.destination).toBe(m.payload.direction === 'client->server' ? 2 : 1);
        // Host responses travel on the "pr" stream, everything else on stdin (3.1.5.1.1).
        if (m.payload.element === 'Send') {
          expect(m.payload.stream).toBe(/HOST_RESPONSE/.test(messageTypeSpecName(m.message.messageType)) ? 'pr' : 'stdin');
        }
      }
    });

    test(`${file}: every body decodes to its typed form and its CLIXML round-trips`, () => {
      // The SecureString recordings were made with a fixed key; decrypting them proves the whole chain.
      const cipher = file === 'test_psrp_pshost_ui_mocked_methods.yml'
        ? new SessionKeyCipher(new Uint8Array(Buffer.from(SESSION_KEY_VECTORS.aes_256_session_key_hex, 'hex')))
        : undefined;
      let n = 0;
      for (const m of decodeRecording(file)) {
        expect(isKnownMessageType(m.message.messageType)).toBe(true);
        const text = messageText(m.message);
        const where = `${file}#${m.payload.exchange} ${messageTypeSpecName(m.message.messageType)}`;
        // Typed decode (throws on any missing or mistyped property).
        const body = decodeBody(m.message.messageType as never, text, { cipher }, where);
        expect(body).toBeTypeOf('object');
        if (text.length === 0) continue;
        const v1 = decodeValue(text, { cipher }, where);
        const again = encodeValue(v1, { cipher });
        expect(decodeValue(again, { cipher }, where), where).toEqual(v1);
        n++;
      }
      expect(n).toBeGreaterThan(0);
    });
  }
});
