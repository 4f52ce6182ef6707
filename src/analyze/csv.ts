import { parse, CsvError } from 'csv-parse';
import { pipeline } from 'node:stream/promises';
import type { OpenedInput } from './open.js';
import { UsageError, type InputRow, type Rejects } from './rows.js';
import type { createTimeParser } from './time.js';

export const CSV_COLUMNS = { meter: 'meter_id', ts: 'timestamp', energy: 'energy_kwh', register: 'register_kwh', power: 'power_kw', enterprise: 'enterprise_id' } as const;

interface Layout {
  meter: number;
  ts: number;
  value: number;
  kind: 'energy' | 'register';
  power: number;
  enterprise: number;
  width: number;
}

function layoutOf(header: string[], name: string): Layout {
  const cols = header.map((h) => h.trim().toLowerCase());
  const at = (c: string) => cols.indexOf(c);
  const missing: string[] = [CSV_COLUMNS.meter, CSV_COLUMNS.ts].filter((c) => at(c) < 0);
  const energy = at(CSV_COLUMNS.energy), register = at(CSV_COLUMNS.register);
  if (energy < 0 && register < 0) missing.push(`${CSV_COLUMNS.energy} or ${CSV_COLUMNS.register}`);
  if (missing.length > 0) {
    throw new UsageError(`${name}: missing column ${missing.join(', ')} (header: ${cols.join(',') || 'empty'}; expected meter_id,timestamp,energy_kwh|register_kwh[,power_kw,enterprise_id])`);
  }
  return {
    meter: at(CSV_COLUMNS.meter), ts: at(CSV_COLUMNS.ts), value: energy >= 0 ? energy : register, kind: energy >= 0 ? 'energy' : 'register',
    power: at(CSV_COLUMNS.power), enterprise: at(CSV_COLUMNS.enterprise), width: cols.length,
  };
}

function num(s: string | undefined): number {
  // Number('') is 0: an empty cell is not a reading.
  return s === undefined || s.length === 0 ? Number.NaN : Number(s);
}

/**
 * Streams one CSV input through csv-parse, one row at a time in its on_record hook (no record objects
 * are queued, so memory does not grow with the file), into `sink`. Bad rows are counted with their line.
 */
export async function readCsv(input: OpenedInput, parseTime: ReturnType<typeof createTimeParser>, sink: (r: InputRow) => void, rejects: Rejects, lastTsOf: (meter: string) => number | undefined): Promise<number> {
  let layout: Layout | undefined;
  let fatal: Error | undefined;
  let rows = 0;
  const name = input.name;
  const parser = parse({
    bom: true, skip_empty_lines: true, relax_column_count: true, skip_records_with_error: true,
    on_record: (rec: string[], ctx: { lines: number }) => {
      if (layout === undefined) {
        try {
          layout = layoutOf(rec, name);
        } catch (err) {
          fatal = err as Error;
          throw err;
        }
        return null;
      }
      rows++;
      const line = ctx.lines;
      const where = () => `${name}:${line}`;
      if (rec.length !== layout.width) {
        rejects.add('wrong_column_count', where(), `${rec.length} instead of ${layout.width}`);
        return null;
      }
      const meter = rec[layout.meter]!.trim();
      const t = parseTime(rec[layout.ts]!.trim(), lastTsOf(meter));
      if (typeof t !== 'number') {
        rejects.add(t, where(), rec[layout.ts]);
        return null;
      }
      const value = num(rec[layout.value]);
      if (Number.isNaN(value)) {
        rejects.add('bad_number', where(), `${layout.kind === 'energy' ? CSV_COLUMNS.energy : CSV_COLUMNS.register}="${rec[layout.value]}"`);
        return null;
      }
      const row: InputRow = { meter, ts: t, kind: layout.kind, value, source: name, line };
      if (layout.power >= 0 && rec[layout.power] !== '') {
        const p = num(rec[layout.power]);
        if (Number.isNaN(p)) {
          rejects.add('bad_number', where(), `${CSV_COLUMNS.power}="${rec[layout.power]}"`);
          return null;
        }
        row.powerKw = p;
      }
      if (layout.enterprise >= 0 && rec[layout.enterprise] !== '') row.enterprise = rec[layout.enterprise]!.trim();
      sink(row);
      return null;
    },
  });
  parser.on('skip', (err: CsvError & { lines?: number }) => {
    rows++;
    rejects.add('malformed_line', `${name}:${err.lines ?? '?'}`, err.message.slice(0, 80));
  });
  try {
    await pipeline(input.stream, parser);
  } catch (err) {
    if (fatal) throw fatal;
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${name}: ${(err as Error).message}`);
  }
  if (layout === undefined) throw new UsageError(`${name}: empty input (no header row)`);
  return rows;
}
