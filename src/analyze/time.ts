/**
 * Timestamps of analyst files: ISO 8601 with an offset (`2018-01-01T00:15:00+09:00`, `…Z`, a space for
 * the `T`), or naive local time read in an IANA zone, DST-correct: the zone's offsets come from Intl
 * (the ICU tz database), never from hand arithmetic. Epoch milliseconds (digits only) are accepted too.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

export class TimeZoneError extends Error {}

/** Offset of `zone` from UTC (ms) at instant `ms`. */
export type OffsetFn = (ms: number) => number;

export function zoneOffset(zone: string): OffsetFn {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw new TimeZoneError(`unknown time zone "${zone}" (an IANA name such as Asia/Shanghai or Europe/Berlin)`);
  }
  // Offsets change at most every 15 minutes of UTC time in any real zone: one lookup per quarter hour.
  const cache = new Map<number, number>();
  return (ms) => {
    const q = Math.floor(ms / 900_000);
    let off = cache.get(q);
    if (off === undefined) {
      const p: Record<string, number> = {};
      for (const x of fmt.formatToParts(new Date(q * 900_000))) if (x.type !== 'literal') p[x.type] = Number(x.value);
      off = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - q * 900_000;
      if (cache.size > 100_000) cache.clear();
      cache.set(q, off);
    }
    return off;
  };
}

/**
 * UTC instants of a naive local time `local` (its fields read as if UTC): none in a spring-forward gap,
 * two in a fall-back hour (earlier first), else one.
 */
export function localToUtc(offset: OffsetFn, local: number): number[] {
  const out: number[] = [];
  for (const probe of [local - 86_400_000, local + 86_400_000]) {
    const t = local - offset(probe);
    if (offset(t) === local - t && !out.includes(t)) out.push(t);
  }
  // Offsets around the instant may both be wrong for it when they differ from the one at it.
  const t = local - offset(local);
  if (offset(t) === local - t && !out.includes(t)) out.push(t);
  return out.sort((a, b) => a - b);
}

export type ParsedTime = number | 'bad_timestamp' | 'nonexistent_local_time';

/** The meter's previous instant, or how to look it up by key: asked only for an ambiguous local time. */
export type After = number | ((key: string) => number | undefined) | undefined;

/**
 * A timestamp parser for one zone. `after`: the meter's previous instant (or a lookup of it by `key`,
 * so that the hot path pays no lookup for unambiguous times), so that the second pass through a
 * fall-back hour maps to the later of its two instants.
 */
export function createTimeParser(zone: string): (s: string, after?: After, key?: string) => ParsedTime {
  const offset = zoneOffset(zone);
  let lastText: string | undefined, lastNaive: number[] | number = 0;
  return (s, after, key) => {
    if (s === lastText) return pick(lastNaive, after, key);
    const m = ISO.exec(s) ?? DATE_ONLY.exec(s);
    let res: number[] | number;
    if (m) {
      const frac = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
      const local = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), frac);
      if (Number.isNaN(local) || +m[2]! > 12 || +m[3]! > 31 || +(m[4] ?? 0) > 24 || +(m[5] ?? 0) > 59) return 'bad_timestamp';
      const z = m[8];
      if (z === undefined) res = localToUtc(offset, local);
      else if (z === 'Z' || z === 'z') res = local;
      else {
        const sign = z[0] === '-' ? -1 : 1;
        const digits = z.slice(1).replace(':', '');
        res = local - sign * (Number(digits.slice(0, 2)) * 3_600_000 + Number(digits.slice(2) || '0') * 60_000);
      }
    } else if (/^\d{10,14}$/.test(s)) res = Number(s);
    else return 'bad_timestamp';
    lastText = s;
    lastNaive = res;
    return pick(res, after, key);
  };
}

function pick(r: number[] | number, after: After, key: string | undefined): ParsedTime {
  if (typeof r === 'number') return r;
  if (r.length === 0) return 'nonexistent_local_time';
  if (r.length === 1) return r[0]!;
  const prev = typeof after === 'function' ? after(key ?? '') : after;
  return prev !== undefined && r[0]! <= prev ? r[1]! : r[0]!;
}

/** Parses a command-line time (`--from`, `--at`, …) in the zone; throws a message naming the option. */
export function parseOptionTime(parse: ReturnType<typeof createTimeParser>, name: string, s: string): number {
  const t = parse(s.trim());
  if (typeof t !== 'number') throw new TimeZoneError(`${name}: "${s}" is not a timestamp (ISO 8601, e.g. 2018-03-14T09:00 or 2018-03-14T09:00+09:00)`);
  return t;
}
