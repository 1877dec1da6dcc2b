// <DT> System.DateTime and <TS> System.TimeSpan at .NET precision (100 ns
// ticks), which a JavaScript Date (1 ms) cannot hold. A DateTime also keeps its
// kind: "Z" is Utc, an offset is Local (the offset as written is kept, since
// .NET writes the sender's local offset), no suffix is Unspecified. The text
// forms are those of XmlConvert with XmlDateTimeSerializationMode.RoundtripKind
// and XmlConvert.ToString(TimeSpan), which PowerShell's serializer uses.

import { UsageError } from '../errors.js';

export type DateTimeKind = 'Utc' | 'Local' | 'Unspecified';

const TICKS_PER_SECOND = 10_000_000n;
const TICKS_PER_MS = 10_000n;
const SECONDS_PER_DAY = 86_400;
/** Days from 0001-01-01 to 1970-01-01. */
const EPOCH_DAYS = 719_162;
/** DateTime.MaxValue.Ticks. */
export const DATETIME_MAX_TICKS = 3_155_378_975_999_999_999n;

// Days since 0001-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil, shifted).
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468 + EPOCH_DAYS;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days - EPOCH_DAYS + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** Seven-digit fraction with trailing zeros (and the dot) dropped, as .NET's "FFFFFFF". */
function fraction7(ticks: number): string {
  if (ticks === 0) return '';
  let s = String(ticks).padStart(7, '0');
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  s = s.slice(0, end);
  return `.${s}`;
}

/** Two decimal digits at i, or -1. */
function two(t: string, i: number): number {
  const a = t.charCodeAt(i) - 0x30;
  const b = t.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

export class PSDateTime {
  readonly tag = 'DT' as const;
  /** 100-ns ticks since 0001-01-01T00:00:00 of the clock time as written (before the offset). */
  readonly ticks: bigint;
  readonly kind: DateTimeKind;
  /** UTC offset in minutes as written (Local); 0 for Utc and Unspecified. */
  readonly offsetMinutes: number;

  constructor(ticks: bigint, kind: DateTimeKind = 'Utc', offsetMinutes = 0) {
    if (typeof ticks !== 'bigint' || ticks < 0n || ticks > DATETIME_MAX_TICKS) throw new UsageError(`DateTime: ticks ${String(ticks)} out of range`);
    if (kind !== 'Utc' && kind !== 'Local' && kind !== 'Unspecified') throw new UsageError(`DateTime: unknown kind ${String(kind)}`);
    if (!Number.isInteger(offsetMinutes) || Math.abs(offsetMinutes) > 14 * 60 || (kind !== 'Local' && offsetMinutes !== 0)) {
      throw new UsageError(`DateTime: offset ${offsetMinutes} minutes is not valid for kind ${kind}`);
    }
    this.ticks = ticks;
    this.kind = kind;
    this.offsetMinutes = offsetMinutes;
  }

  /**
   * Parses the xs:dateTime text PowerShell writes. Returns undefined when the
   * text is not one. More than 7 fraction digits are rounded to 100 ns as .NET does.
   */
  static parse(text: string): PSDateTime | undefined {
    // By hand rather than by regex: DateTimes are frequent in PowerShell output.
    const n = text.length;
    if (n < 19) return undefined;
    const y = two(text, 0) * 100 + two(text, 2);
    const mo = two(text, 5), d = two(text, 8), h = two(text, 11), mi = two(text, 14), s = two(text, 17);
    if (
      y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 ||
      text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(10) !== 0x54 ||
      text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a || two(text, 2) < 0 || d > daysInMonth(y, mo)
    ) {
      return undefined;
    }
    let i = 19;
    let frac = 0;
    let carry = 0;
    if (text.charCodeAt(i) === 0x2e /* . */) {
      let digits = 0;
      let round = 0;
      for (i++; i < n; i++) {
        const c = text.charCodeAt(i) - 0x30;
        if (c < 0 || c > 9) break;
        if (digits < 7) frac = frac * 10 + c;
        else if (digits === 7) round = c >= 5 ? 1 : 0;
        digits++;
      }
      if (digits === 0) return undefined;
      for (let k = digits; k < 7; k++) frac *= 10;
      frac += round;
      if (frac === 10_000_000) {
        frac = 0;
        carry = 1;
      }
    }
    let kind: DateTimeKind = 'Unspecified';
    let offset = 0;
    if (i < n) {
      const z = text.charCodeAt(i);
      if (z === 0x5a /* Z */ && i + 1 === n) kind = 'Utc';
      else if ((z === 0x2b || z === 0x2d) && i + 6 === n && text.charCodeAt(i + 3) === 0x3a) {
        const oh = two(text, i + 1), om = two(text, i + 4);
        if (oh < 0 || om < 0 || om > 59 || oh * 60 + om > 14 * 60) return undefined;
        kind = 'Local';
        offset = (z === 0x2d ? -1 : 1) * (oh * 60 + om);
      } else return undefined;
    }
    const secs = daysFromCivil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + s + carry;
    const ticks = BigInt(secs) * TICKS_PER_SECOND + BigInt(frac);
    if (ticks > DATETIME_MAX_TICKS) return undefined;
    return new PSDateTime(ticks, kind, offset);
  }

  /** From a JavaScript Date (ms precision). Local uses this process's offset at that instant. */
  static fromDate(date: Date, kind: DateTimeKind = 'Utc'): PSDateTime {
    const ms = date.getTime();
    if (!Number.isFinite(ms)) throw new UsageError('DateTime: invalid Date');
    const offset = kind === 'Local' ? -date.getTimezoneOffset() : 0;
    const ticks = (BigInt(ms) + BigInt(offset) * 60_000n + BigInt(EPOCH_DAYS) * 86_400_000n) * TICKS_PER_MS;
    return new PSDateTime(ticks, kind, offset);
  }

  /** The instant (ms precision; sub-millisecond ticks are dropped). Unspecified is taken as UTC. */
  toDate(): Date {
    const ms = this.ticks / TICKS_PER_MS - BigInt(EPOCH_DAYS) * 86_400_000n - BigInt(this.offsetMinutes) * 60_000n;
    return new Date(Number(ms));
  }

  /** Ticks within the second (0..9,999,999). */
  get fractionTicks(): number {
    return Number(this.ticks % TICKS_PER_SECOND);
  }

  /** The CLIXML text: yyyy-MM-ddTHH:mm:ss[.fffffff][Z|±hh:mm]. */
  toString(): string {
    const secs = Number(this.ticks / TICKS_PER_SECOND);
    const days = Math.floor(secs / SECONDS_PER_DAY);
    let rest = secs - days * SECONDS_PER_DAY;
    const [y, mo, d] = civilFromDays(days);
    const h = Math.floor(rest / 3600);
    rest -= h * 3600;
    const mi = Math.floor(rest / 60);
    const s = rest - mi * 60;
    let zone = '';
    if (this.kind === 'Utc') zone = 'Z';
    else if (this.kind === 'Local') {
      const a = Math.abs(this.offsetMinutes);
      zone = `${this.offsetMinutes < 0 ? '-' : '+'}${pad2(Math.floor(a / 60))}:${pad2(a % 60)}`;
    }
    return `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}${fraction7(this.fractionTicks)}${zone}`;
  }

  valueOf(): number {
    return this.toDate().getTime();
  }

  toJSON(): string {
    return this.toString();
  }
}

const INT64_MAX = 2n ** 63n - 1n;

/** <TS>: System.TimeSpan as signed 100-ns ticks. */
export class PSDuration {
  readonly tag = 'TS' as const;
  readonly ticks: bigint;

  constructor(ticks: bigint) {
    if (typeof ticks !== 'bigint' || ticks < -INT64_MAX - 1n || ticks > INT64_MAX) throw new UsageError(`TimeSpan: ticks ${String(ticks)} out of range`);
    this.ticks = ticks;
  }

  static fromMilliseconds(ms: number): PSDuration {
    if (!Number.isFinite(ms)) throw new UsageError('TimeSpan: milliseconds must be finite');
    return new PSDuration(BigInt(Math.round(ms * 10_000)));
  }

  /**
   * Parses xs:duration. Years and months count 365 and 30 days (as
   * XmlConvert.ToTimeSpan does); fraction digits beyond 100 ns are dropped.
   */
  static parse(text: string): PSDuration | undefined {
    // By hand (P[nY][nM][nD][T[nH][nM][n[.f]S]]): TimeSpans are frequent in process output.
    const n = text.length;
    let i = 0;
    const neg = text.charCodeAt(0) === 0x2d;
    if (neg) i++;
    if (text.charCodeAt(i++) !== 0x50 /* P */) return undefined;
    let secs = 0;
    let frac = 0;
    let parts = 0;
    let stage = 0; // 1 Y, 2 M, 3 D, 4 T, 5 H, 6 M, 7 S
    while (i < n) {
      if (text.charCodeAt(i) === 0x54 /* T */) {
        if (stage >= 4) return undefined;
        stage = 4;
        i++;
        if (i === n) return undefined;
        continue;
      }
      const start = i;
      let v = 0;
      let c = text.charCodeAt(i);
      while (c >= 0x30 && c <= 0x39) {
        v = v * 10 + (c - 0x30);
        c = text.charCodeAt(++i);
      }
      if (i === start || i - start > 15) return undefined;
      if (c === 0x2e /* . */) {
        if (stage < 4) return undefined;
        const fs = ++i;
        let digits = 0;
        for (c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i)) {
          if (digits++ < 7) frac = frac * 10 + (c - 0x30);
        }
        if (i === fs || c !== 0x53 /* S */) return undefined;
        for (; digits < 7; digits++) frac *= 10;
      }
      let next: number;
      let unit: number;
      if (c === 0x59 /* Y */) [next, unit] = [1, 365 * 86_400];
      else if (c === 0x4d /* M */) [next, unit] = stage < 4 ? [2, 30 * 86_400] : [6, 60];
      else if (c === 0x44 /* D */) [next, unit] = [3, 86_400];
      else if (c === 0x48 /* H */) [next, unit] = [5, 3600];
      else if (c === 0x53 /* S */) [next, unit] = [7, 1];
      else return undefined;
      if (next <= stage || (next >= 5 && stage < 4) || (next <= 3 && stage >= 4)) return undefined;
      stage = next;
      secs += v * unit;
      parts++;
      i++;
    }
    if (parts === 0 || stage === 4) return undefined;
    // TimeSpan.MaxValue is 922,337,203,685 seconds: anything near 2^53 is out of range anyway.
    if (secs > 1e12) return undefined;
    let ticks = BigInt(secs) * TICKS_PER_SECOND + BigInt(frac);
    if (neg) ticks = -ticks;
    if (ticks < -INT64_MAX - 1n || ticks > INT64_MAX) return undefined;
    return new PSDuration(ticks);
  }

  get milliseconds(): number {
    return Number(this.ticks) / 10_000;
  }

  /** The CLIXML text, e.g. PT9.0269026S, P1DT2H, -PT0.5S, PT0S. */
  toString(): string {
    let t = this.ticks < 0n ? -this.ticks : this.ticks;
    const frac = Number(t % TICKS_PER_SECOND);
    t /= TICKS_PER_SECOND;
    const s = t % 60n;
    t /= 60n;
    const mi = t % 60n;
    t /= 60n;
    const h = t % 24n;
    const d = t / 24n;
    let out = this.ticks < 0n ? '-P' : 'P';
    if (d !== 0n) out += `${d}D`;
    if (h !== 0n || mi !== 0n || s !== 0n || frac !== 0) {
      out += 'T';
      if (h !== 0n) out += `${h}H`;
      if (mi !== 0n) out += `${mi}M`;
      if (s !== 0n || frac !== 0) out += `${s}${fraction7(frac)}S`;
    }
    return out.endsWith('P') ? `${out}T0S` : out;
  }

  valueOf(): number {
    return this.milliseconds;
  }

  toJSON(): string {
    return this.toString();
  }
}
