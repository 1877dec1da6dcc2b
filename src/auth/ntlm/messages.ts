// The three NTLM messages (MS-NLMP 2.2.1): NEGOTIATE, CHALLENGE and
// AUTHENTICATE, encoded and decoded. Every decoder checks the signature, the
// message type and that each (length, offset) field lies inside the message;
// a short or lying token gives an AuthProtocolError naming the field, never an
// out-of-range read.

import { ByteReader, ByteWriter } from '../../util/bytes.js';
import { LimitError } from '../../errors.js';
import { AuthProtocolError, tokenReader } from '../errors.js';
import { decodeAvPairs, findAvPair, MsvAvTimestamp, type AvPair } from './av-pairs.js';
import { fromUtf16le, utf16le } from './crypto.js';
import { hasFlag, NTLMSSP_NEGOTIATE_UNICODE, NTLMSSP_NEGOTIATE_VERSION } from './flags.js';

const SIGNATURE = new Uint8Array([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00]); // "NTLMSSP\0"
export const NEGOTIATE_MESSAGE = 1;
export const CHALLENGE_MESSAGE = 2;
export const AUTHENTICATE_MESSAGE = 3;

/** Largest token accepted (the length fields are 16-bit; a real AUTHENTICATE is well under 4 KiB). */
export const MAX_TOKEN_BYTES = 64 * 1024;

/** VERSION (2.2.2.10): informational, never used for decisions. */
export interface NtlmVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}

/** What psremote puts in VERSION (Windows Server 2022's numbers, NTLMSSP_REVISION_W2K3). */
export const PSREMOTE_VERSION: NtlmVersion = { major: 10, minor: 0, build: 20348, revision: 15 };

export interface NegotiateMessage {
  readonly flags: number;
  readonly domain: string;
  readonly workstation: string;
  readonly version: NtlmVersion | undefined;
}

export interface ChallengeMessage {
  readonly flags: number;
  readonly serverChallenge: Uint8Array;
  readonly targetName: string;
  readonly targetInfo: readonly AvPair[];
  /** TargetInfo as sent (the client copies it into its NTLMv2 response). */
  readonly targetInfoBytes: Uint8Array;
  /** MsvAvTimestamp, if the server sent one (FILETIME, 100 ns ticks). */
  readonly timestamp: bigint | undefined;
  readonly version: NtlmVersion | undefined;
}

export interface AuthenticateMessage {
  readonly flags: number;
  readonly lmChallengeResponse: Uint8Array;
  readonly ntChallengeResponse: Uint8Array;
  readonly domain: string;
  readonly user: string;
  readonly workstation: string;
  readonly encryptedRandomSessionKey: Uint8Array;
  readonly version: NtlmVersion | undefined;
  /** The MIC field, when the header has room for it (payload starts at 88 or later). */
  readonly mic: Uint8Array | undefined;
  /** Offset of the MIC field in the message (72) when present. */
  readonly micOffset: number | undefined;
}

interface Field {
  readonly len: number;
  readonly offset: number;
}

function header(bytes: Uint8Array, type: number, name: string): ByteReader {
  if (bytes.byteLength > MAX_TOKEN_BYTES) throw new LimitError('NTLM token size', MAX_TOKEN_BYTES, bytes.byteLength, name);
  const r = tokenReader(bytes, name);
  const sig = r.bytesView(8, 'Signature');
  for (let i = 0; i < 8; i++) if (sig[i] !== SIGNATURE[i]) throw new AuthProtocolError('not an NTLM message (no NTLMSSP signature)', name);
  const t = r.u32le('MessageType');
  if (t !== type) throw new AuthProtocolError(`MessageType is ${t}, expected ${type}`, name);
  return r;
}

function field(r: ByteReader, label: string): Field {
  const len = r.u16le(`${label}Len`);
  r.u16le(`${label}MaxLen`);
  const offset = r.u32le(`${label}BufferOffset`);
  return { len, offset };
}

function payload(bytes: Uint8Array, f: Field, label: string, where: string, headerEnd: number): Uint8Array {
  if (f.len === 0) return new Uint8Array(0);
  if (f.offset < headerEnd || f.offset + f.len > bytes.byteLength) {
    throw new AuthProtocolError(`${label} (${f.len} bytes at offset ${f.offset}) lies outside the payload (${headerEnd}..${bytes.byteLength})`, where);
  }
  return bytes.subarray(f.offset, f.offset + f.len);
}

function text(b: Uint8Array, unicode: boolean, label: string, where: string): string {
  if (!unicode) return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  if (b.byteLength % 2 !== 0) throw new AuthProtocolError(`${label} is UTF-16 but has an odd length ${b.byteLength}`, where);
  return fromUtf16le(b);
}

function readVersion(r: ByteReader): NtlmVersion {
  const major = r.u8('ProductMajorVersion');
  const minor = r.u8('ProductMinorVersion');
  const build = r.u16le('ProductBuild');
  r.skip(3, 'Reserved');
  const revision = r.u8('NTLMRevisionCurrent');
  return { major, minor, build, revision };
}

function writeVersion(w: ByteWriter, v: NtlmVersion | undefined): void {
  if (!v) return void w.zeros(8);
  w.u8(v.major).u8(v.minor).u16le(v.build).zeros(3).u8(v.revision);
}

/** The smallest non-empty payload offset: where the fixed header really ends. */
function payloadStart(fields: readonly Field[], total: number): number {
  let min = total;
  for (const f of fields) if (f.len > 0 && f.offset < min) min = f.offset;
  return min;
}

export function decodeNegotiate(bytes: Uint8Array): NegotiateMessage {
  const where = 'NEGOTIATE_MESSAGE';
  const r = header(bytes, NEGOTIATE_MESSAGE, where);
  const flags = r.u32le('NegotiateFlags');
  // Fields after the flags are optional in very old clients; modern ones send all.
  if (r.remaining === 0) return { flags, domain: '', workstation: '', version: undefined };
  const dom = field(r, 'DomainName');
  const ws = field(r, 'Workstation');
  const start = payloadStart([dom, ws], bytes.byteLength);
  const version = hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) && start >= 40 && r.remaining >= 8 ? readVersion(r) : undefined;
  const headerEnd = 32;
  // The domain and workstation of a NEGOTIATE are OEM strings (2.2.1.1).
  return {
    flags,
    domain: text(payload(bytes, dom, 'DomainName', where, headerEnd), false, 'DomainName', where),
    workstation: text(payload(bytes, ws, 'Workstation', where, headerEnd), false, 'Workstation', where),
    version,
  };
}

export function encodeNegotiate(flags: number, version: NtlmVersion | undefined = PSREMOTE_VERSION): Uint8Array {
  const w = new ByteWriter(40);
  w.bytes(SIGNATURE).u32le(NEGOTIATE_MESSAGE).u32le(flags >>> 0);
  // No domain or workstation: the OEM_*_SUPPLIED flags are not set.
  w.u16le(0).u16le(0).u32le(40).u16le(0).u16le(0).u32le(40);
  writeVersion(w, hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) ? version : undefined);
  return w.finish();
}

export function decodeChallenge(bytes: Uint8Array): ChallengeMessage {
  const where = 'CHALLENGE_MESSAGE';
  const r = header(bytes, CHALLENGE_MESSAGE, where);
  const tn = field(r, 'TargetName');
  const flags = r.u32le('NegotiateFlags');
  const serverChallenge = r.bytesView(8, 'ServerChallenge');
  r.skip(8, 'Reserved');
  const ti = field(r, 'TargetInfo');
  const start = payloadStart([tn, ti], bytes.byteLength);
  const version = start >= 56 && r.remaining >= 8 ? readVersion(r) : undefined;
  const headerEnd = 48;
  const unicode = hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE);
  const targetName = text(payload(bytes, tn, 'TargetName', where, headerEnd), unicode, 'TargetName', where);
  const targetInfoBytes = payload(bytes, ti, 'TargetInfo', where, headerEnd);
  const targetInfo = targetInfoBytes.byteLength ? decodeAvPairs(targetInfoBytes, `${where} TargetInfo`) : [];
  const ts = findAvPair(targetInfo, MsvAvTimestamp);
  return {
    flags,
    serverChallenge,
    targetName,
    targetInfo,
    targetInfoBytes,
    timestamp: ts ? new DataView(ts.buffer, ts.byteOffset, 8).getBigUint64(0, true) : undefined,
    version: hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) ? version : undefined,
  };
}

export interface ChallengeFields {
  readonly flags: number;
  readonly serverChallenge: Uint8Array;
  readonly targetName: string;
  readonly targetInfo: Uint8Array;
  readonly version?: NtlmVersion | undefined;
}

export function encodeChallenge(c: ChallengeFields): Uint8Array {
  const unicode = hasFlag(c.flags, NTLMSSP_NEGOTIATE_UNICODE);
  const name = unicode ? utf16le(c.targetName) : new Uint8Array(Buffer.from(c.targetName, 'latin1'));
  const w = new ByteWriter(56 + name.byteLength + c.targetInfo.byteLength);
  const start = 56;
  w.bytes(SIGNATURE).u32le(CHALLENGE_MESSAGE);
  w.u16le(name.byteLength).u16le(name.byteLength).u32le(start);
  w.u32le(c.flags >>> 0).bytes(c.serverChallenge).zeros(8);
  w.u16le(c.targetInfo.byteLength).u16le(c.targetInfo.byteLength).u32le(start + name.byteLength);
  writeVersion(w, c.version ?? PSREMOTE_VERSION);
  return w.bytes(name).bytes(c.targetInfo).finish();
}

export function decodeAuthenticate(bytes: Uint8Array): AuthenticateMessage {
  const where = 'AUTHENTICATE_MESSAGE';
  const r = header(bytes, AUTHENTICATE_MESSAGE, where);
  const lm = field(r, 'LmChallengeResponse');
  const nt = field(r, 'NtChallengeResponse');
  const dom = field(r, 'DomainName');
  const user = field(r, 'UserName');
  const ws = field(r, 'Workstation');
  const key = field(r, 'EncryptedRandomSessionKey');
  const flags = r.u32le('NegotiateFlags');
  // The header is 64 bytes, plus VERSION (8) and MIC (16) when the client has them:
  // the first payload byte says how much header there is.
  const start = payloadStart([lm, nt, dom, user, ws, key], bytes.byteLength);
  if (start < 64) throw new AuthProtocolError(`payload starts at ${start}, inside the 64-byte header`, where);
  const version = start >= 72 ? readVersion(r) : undefined;
  const mic = start >= 88 ? r.bytesView(16, 'MIC') : undefined;
  const headerEnd = mic ? 88 : version ? 72 : 64;
  const unicode = hasFlag(flags, NTLMSSP_NEGOTIATE_UNICODE);
  const s = (f: Field, label: string) => text(payload(bytes, f, label, where, headerEnd), unicode, label, where);
  return {
    flags,
    lmChallengeResponse: payload(bytes, lm, 'LmChallengeResponse', where, headerEnd),
    ntChallengeResponse: payload(bytes, nt, 'NtChallengeResponse', where, headerEnd),
    domain: s(dom, 'DomainName'),
    user: s(user, 'UserName'),
    workstation: s(ws, 'Workstation'),
    encryptedRandomSessionKey: payload(bytes, key, 'EncryptedRandomSessionKey', where, headerEnd),
    version: hasFlag(flags, NTLMSSP_NEGOTIATE_VERSION) ? version : undefined,
    mic,
    micOffset: mic ? 72 : undefined,
  };
}

/** What encodeAuthenticate writes: the fields an AUTHENTICATE carries, and how to lay out its header. */
export interface AuthenticateFields extends Omit<AuthenticateMessage, 'version' | 'mic' | 'micOffset'> {
  /** VERSION to send; `null` leaves the field out (a 64-byte header). */
  readonly version?: NtlmVersion | null;
  /** Reserve the 16-byte MIC field (filled with zeros, to patch at `MIC_OFFSET`). */
  readonly withMic: boolean;
}

export const MIC_OFFSET = 72;

/** Payload in Windows' order: domain, user, workstation, LM, NT, session key. */
export function encodeAuthenticate(a: AuthenticateFields): Uint8Array {
  const unicode = hasFlag(a.flags, NTLMSSP_NEGOTIATE_UNICODE);
  const str = (s: string) => (unicode ? utf16le(s) : new Uint8Array(Buffer.from(s, 'latin1')));
  const parts = [str(a.domain), str(a.user), str(a.workstation), a.lmChallengeResponse, a.ntChallengeResponse, a.encryptedRandomSessionKey];
  const withVersion = a.version !== null || a.withMic;
  const headerLen = a.withMic ? 88 : withVersion ? 72 : 64;
  const w = new ByteWriter(headerLen + parts.reduce((n, p) => n + p.byteLength, 0));
  w.bytes(SIGNATURE).u32le(AUTHENTICATE_MESSAGE);
  const offsets: number[] = [];
  let at = headerLen;
  for (const p of parts) {
    offsets.push(at);
    at += p.byteLength;
  }
  // Header field order: LM, NT, domain, user, workstation, session key.
  for (const i of [3, 4, 0, 1, 2, 5]) w.u16le(parts[i]!.byteLength).u16le(parts[i]!.byteLength).u32le(offsets[i]!);
  w.u32le(a.flags >>> 0);
  if (withVersion) writeVersion(w, a.version ?? PSREMOTE_VERSION);
  if (a.withMic) w.zeros(16);
  for (const p of parts) w.bytes(p);
  return w.finish();
}
