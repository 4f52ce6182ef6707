import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KOREA_2018_HOLIDAYS } from '../../analytics/index.js';

/**
 * Data for `gridpulse analyze`: the real steel plant (shared/data/steel_industry_15min.csv, UCI 851,
 * CC BY 4.0) as 15-minute interval energy, resampled hourly for docs/examples, and tiled over many
 * meters for the throughput bench. Row i of the source ends at 2018-01-01T00:15+09:00 + i·15 min (see
 * analytics/eval/steel.ts: the `date` column has a midnight quirk, so time comes from the row number).
 */
export const STEEL_CSV = ['/work/shared/data/steel_industry_15min.csv', '../shared/data/steel_industry_15min.csv', 'shared/data/steel_industry_15min.csv'];
const START = Date.parse('2018-01-01T00:00:00+09:00');
const Q = 900_000;

export function steelQuarters(path: string): Float64Array {
  const lines = readFileSync(path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0).slice(1);
  return Float64Array.from(lines, (l) => Number(l.split(',')[1]) || 0);
}

/** ISO 8601 in Korea Standard Time (UTC+9, no DST). */
export function kst(ms: number): string {
  return `${new Date(ms + 9 * 3_600_000).toISOString().slice(0, 19)}+09:00`;
}

/** End of quarter i (ms). */
export const quarterEnd = (i: number) => START + (i + 1) * Q;

/**
 * docs/examples/steel-hourly-stop.csv: six ordinary weeks of the plant, hourly interval energy, with a
 * stop injected on Tuesday 2018-04-10 09:00–17:00 KST (load down to its overnight base, 3–5 kWh per
 * 15 min, as analytics/eval/steel.ts injects them).
 */
export function hourlyExample(q: Float64Array): string {
  const from = Date.parse('2018-03-05T00:00:00+09:00'), to = Date.parse('2018-04-16T00:00:00+09:00');
  const stop = [Date.parse('2018-04-10T09:00:00+09:00'), Date.parse('2018-04-10T17:00:00+09:00')] as const;
  const out = ['meter_id,timestamp,energy_kwh'];
  for (let h = from; h < to; h += 3_600_000) {
    let kwh = 0;
    for (let k = 0; k < 4; k++) {
      const begin = h + k * Q;
      const i = (begin - START) / Q;
      kwh += begin >= stop[0] && begin < stop[1] ? Math.min(q[i]!, 4) : q[i]!;
    }
    out.push(`steel-1,${kst(h + 3_600_000)},${kwh.toFixed(2)}`);
  }
  return `${out.join('\n')}\n`;
}

/** The whole 2018 year as 15-minute interval energy in the command's CSV format (no stops injected). */
export function yearCsv(q: Float64Array): string {
  const out = ['meter_id,timestamp,energy_kwh'];
  for (let i = 0; i < q.length; i++) out.push(`steel-1,${kst(quarterEnd(i))},${q[i]!.toFixed(2)}`);
  return `${out.join('\n')}\n`;
}

// `node dist/test/bench/analyze-data.js [OUT]` writes the example; `--year DIR` writes steel-2018.csv
// (the whole year, 15 min) and kr-2018-holidays.json (analytics KOREA_2018_HOLIDAYS) into DIR.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const src = STEEL_CSV.find((p) => { try { readFileSync(p); return true; } catch { return false; } });
  if (!src) throw new Error('steel_industry_15min.csv not found');
  const y = process.argv.indexOf('--year');
  if (y >= 0) {
    const dir = process.argv[y + 1] ?? '.';
    writeFileSync(`${dir}/steel-2018.csv`, yearCsv(steelQuarters(src)));
    writeFileSync(`${dir}/kr-2018-holidays.json`, `${JSON.stringify(KOREA_2018_HOLIDAYS)}\n`);
  } else writeFileSync(process.argv[2] ?? 'docs/examples/steel-hourly-stop.csv', hourlyExample(steelQuarters(src)));
}
