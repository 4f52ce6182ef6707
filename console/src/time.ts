/** Midnight of a YYYY-MM-DD day in an IANA zone, as epoch ms (pure: no DOM, unit-tested in Node). */
export function midnightIn(day: string, timeZone: string): number {
  const guess = Date.parse(`${day}T00:00:00Z`);
  const offsetAt = (ms: number) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(ms).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - ms;
  };
  // Twice: the offset at the guess can differ from the one at the answer across a DST change.
  const first = guess - offsetAt(guess);
  return guess - offsetAt(first);
}
