// The ids of one replayed conversation. A recording carries the ids its client
// chose (RunspacePoolId, a PowerShell ShellId, PipelineIds, CommandIds,
// MessageIDs); a live client chooses others. They are learned from the live
// requests as the recorded ones they stand for are matched, and every recorded
// answer is rewritten to the live ids: WSMan text (selectors, ShellId,
// CommandId), the RunspacePoolId/PipelineId in each PSRP message header (the
// base64 fragments of Stream/connectResponseXml) and GUID text in the CLIXML.
// Ids the server chose (a WinRS ShellId, EnumerationContext) have no live
// counterpart and stay as recorded, except in a second concurrent replay of the
// same recording, which gets fresh ones so the two stay apart.

import { randomUUID } from 'node:crypto';
import { decodeFragments, encodeFragment, type Fragment } from '../psrp/fragment.js';
import { MESSAGE_HEADER_LENGTH, messageTypeSpecName } from '../psrp/message.js';
import { guidFromBytesLE, guidToBytesLE, ZERO_GUID } from '../util/guid.js';

/** Base64 PSRP data in a request or answer (rsp:Stream, creationXml, connectXml, connectResponseXml, rsp:Arguments). */
export const PSRP_DATA = /(<(?:[\w-]+:)?(?:creationXml|connectXml|connectResponseXml|Arguments|Stream)\b[^>]*>)([^<]*)(<\/)/g;

export interface PsrpHeader {
  readonly type: string;
  /** Lower-case GUIDs as the header carries them (Guid.ToByteArray order). */
  readonly rpid: string;
  readonly pid: string;
}

/** The header of each PSRP message that starts in this base64 payload; undefined if it is not PSRP. */
export function psrpHeaders(b64: string): PsrpHeader[] | undefined {
  let frags: Fragment[];
  try {
    frags = decodeFragments(new Uint8Array(Buffer.from(b64.trim(), 'base64')));
  } catch {
    return undefined;
  }
  const out: PsrpHeader[] = [];
  for (const f of frags) {
    if (!f.start) continue;
    if (f.blob.byteLength < MESSAGE_HEADER_LENGTH) {
      out.push({ type: f.blob.byteLength >= 8 ? messageTypeSpecName(new DataView(f.blob.buffer, f.blob.byteOffset).getUint32(4, true)) : '?', rpid: ZERO_GUID, pid: ZERO_GUID });
      continue;
    }
    const type = messageTypeSpecName(new DataView(f.blob.buffer, f.blob.byteOffset).getUint32(4, true));
    out.push({ type, rpid: guidFromBytesLE(f.blob, 8), pid: guidFromBytesLE(f.blob, 24) });
  }
  return out;
}

/** The headers of every PSRP message starting in a request or answer body. */
export function psrpHeadersOf(body: string): PsrpHeader[] {
  const all: PsrpHeader[] = [];
  for (const m of body.matchAll(PSRP_DATA)) {
    if (!m[2]!.trim()) continue;
    all.push(...(psrpHeaders(m[2]!) ?? [{ type: '?', rpid: ZERO_GUID, pid: ZERO_GUID }]));
  }
  return all;
}

const escapeRe = (s: string) => s.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, '\\$&');

/** Keeps the case the recording used for each occurrence (WSMan upper, CLIXML often lower). */
function replaceGuids(s: string, map: ReadonlyMap<string, string>): string {
  if (map.size === 0) return s;
  const re = new RegExp([...map.keys()].map(escapeRe).join('|'), 'gi');
  return s.replace(re, (m) => {
    const live = map.get(m.toUpperCase());
    if (!live) return m;
    return m === m.toLowerCase() ? live.toLowerCase() : live.toUpperCase();
  });
}

export class ReplayIds {
  // WSMan text ids: live (upper) -> recorded (upper), recorded (upper) -> live.
  readonly #liveToRec = new Map<string, string>();
  readonly #recToLive = new Map<string, string>();
  // PSRP header ids: recorded (upper) -> live (upper).
  readonly #psrpRecToLive = new Map<string, string>();

  /** For a second concurrent replay: every server-chosen id gets a fresh live value. */
  freshenServerIds(ids: Iterable<string>): void {
    for (const id of ids) if (!this.#recToLive.has(id.toUpperCase())) this.bind(randomUUID(), id);
  }

  bind(live: string | undefined, recorded: string | undefined): void {
    if (!live || !recorded) return;
    const old = this.#recToLive.get(recorded.toUpperCase());
    if (old) this.#liveToRec.delete(old.toUpperCase());
    this.#liveToRec.set(live.toUpperCase(), recorded.toUpperCase());
    this.#recToLive.set(recorded.toUpperCase(), live.toUpperCase());
  }

  /** Binds the RunspacePool and Pipeline ids of the live request's PSRP headers to the recorded request's, in order. */
  bindPsrp(liveBody: string, recordedBody: string): void {
    const live = psrpHeadersOf(liveBody);
    const rec = psrpHeadersOf(recordedBody);
    for (let i = 0; i < Math.min(live.length, rec.length); i++) {
      for (const k of ['rpid', 'pid'] as const) {
        if (rec[i]![k] !== ZERO_GUID && live[i]![k] !== ZERO_GUID) this.#psrpRecToLive.set(rec[i]![k].toUpperCase(), live[i]![k].toUpperCase());
      }
    }
  }

  /** The recorded id a live one stands for (the id itself when it was never bound). */
  toRecorded(id: string | undefined): string | undefined {
    return id === undefined ? undefined : (this.#liveToRec.get(id.toUpperCase()) ?? id);
  }

  /** A recorded answer with the live ids in it. `psrp` says whether its streams carry PSRP. */
  rewriteAnswer(body: string, psrp: boolean): string {
    let out = replaceGuids(body, this.#recToLive);
    if (psrp && (this.#psrpRecToLive.size || this.#recToLive.size)) {
      out = out.replace(PSRP_DATA, (all, open: string, b64: string, close: string) => {
        const t = b64.trim();
        if (!t) return all;
        const rewritten = this.#rewritePsrp(t);
        return rewritten === undefined ? all : `${open}${rewritten}${close}`;
      });
    }
    return out;
  }

  #rewritePsrp(b64: string): string | undefined {
    let frags: Fragment[];
    try {
      frags = decodeFragments(new Uint8Array(Buffer.from(b64, 'base64')));
    } catch {
      return undefined;
    }
    const textMap = new Map([...this.#recToLive, ...this.#psrpRecToLive]);
    const parts = frags.map((f) => {
      // GUID text is ASCII, so a byte-preserving latin1 round trip keeps the UTF-8 intact.
      const blob = new Uint8Array(Buffer.from(replaceGuids(Buffer.from(f.blob).toString('latin1'), textMap), 'latin1'));
      if (f.start && blob.byteLength >= MESSAGE_HEADER_LENGTH) {
        for (const at of [8, 24]) {
          const live = this.#psrpRecToLive.get(guidFromBytesLE(blob, at).toUpperCase());
          if (live) guidToBytesLE(live, blob, at);
        }
      }
      return encodeFragment({ ...f, blob });
    });
    return Buffer.concat(parts).toString('base64');
  }
}
