/**
 * Local time of the plants: an IANA time zone (DST-correct, through Intl, which Node ships with full ICU)
 * or a fixed offset. The engine asks for the offset once per interval; it is memoised per 15 minutes of
 * UTC, the finest step at which real zones change offset.
 */
export interface Zone {
  readonly name: string;
  /** Local minus UTC (ms) at UTC instant `ms`. */
  offset(ms: number): number;
  /** The UTC instant of local wall time `localMs` (ms since 1970-01-01 on the local clock); in a DST gap, the instant after it. */
  toUtc(localMs: number): number;
}

const QUARTER = 900_000;

/** Throws `RangeError` naming the zone when Intl does not know it. */
export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new RangeError(`unknown IANA time zone "${tz}" (e.g. Asia/Shanghai, Europe/Berlin, America/New_York)`);
  }
}

export function fixedZone(offsetMinutes: number): Zone {
  const off = offsetMinutes * 60_000;
  return { name: `UTC${offsetMinutes >= 0 ? '+' : '-'}${Math.abs(offsetMinutes / 60)}`, offset: () => off, toUtc: (l) => l - off };
}

export function ianaZone(tz: string): Zone {
  checkTimeZone(tz);
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
  });
  const cache = new Map<number, number>();
  let lastKey = Number.NaN, lastOff = 0;
  const compute = (ms: number): number => {
    const p: Record<string, number> = {};
    for (const x of fmt.formatToParts(new Date(ms))) if (x.type !== 'literal') p[x.type] = Number(x.value);
    const local = Date.UTC(p['year']!, p['month']! - 1, p['day']!, p['hour']!, p['minute']!);
    return local - Math.floor(ms / 60_000) * 60_000;
  };
  const offset = (ms: number): number => {
    const key = Math.floor(ms / QUARTER);
    if (key === lastKey) return lastOff;
    let off = cache.get(key);
    if (off === undefined) {
      off = compute(key * QUARTER);
      if (cache.size > 50_000) cache.clear();
      cache.set(key, off);
    }
    lastKey = key; lastOff = off;
    return off;
  };
  return {
    name: tz,
    offset,
    toUtc(l: number): number {
      const u = l - offset(l - offset(l));
      // In a spring-forward gap the local time does not exist: take the instant the clock jumps to.
      return u + offset(u) === l ? u : l - offset(l);
    },
  };
}
