import Papa from 'papaparse';
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
  const cols = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim().toLowerCase());
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

/** Line breaks inside quoted fields: each moves the following rows' line numbers on. */
function breaks(rec: string[]): number {
  let n = 0;
  for (let i = 0; i < rec.length; i++) {
    const f = rec[i]!;
    for (let j = f.indexOf('\n'); j >= 0; j = f.indexOf('\n', j + 1)) n++;
  }
  return n;
}

/**
 * Streams one CSV input through Papa Parse (chunk mode: about four times csv-parse's rows per second
 * here, docs/benchmarks.md; it reports unterminated quotes and keeps ragged rows apart) into `sink`, one
 * chunk of rows at a time, so memory does not grow with the file. Bad rows are counted with their line.
 */
export async function readCsv(input: OpenedInput, parseTime: ReturnType<typeof createTimeParser>, sink: (r: InputRow) => void, rejects: Rejects, lastTsOf: (meter: string) => number | undefined): Promise<number> {
  let layout: Layout | undefined;
  let fatal: Error | undefined;
  let rows = 0;
  let lineNo = 0;
  const name = input.name;
  const out: InputRow = { meter: '', ts: 0, kind: 'energy', value: 0, source: name, line: 0 };
  let line = 0;
  const where = () => `${name}:${line}`;
  const row = (rec: string[], at: number, bad: string | undefined): void => {
    line = at;
    if (layout === undefined) {
      layout = layoutOf(rec, name);
      return;
    }
    rows++;
    if (bad !== undefined) return rejects.add('malformed_line', where(), bad);
    if (rec.length !== layout.width) return rejects.add('wrong_column_count', where(), `${rec.length} instead of ${layout.width}`);
    const meter = rec[layout.meter]!.trim();
    const t = parseTime(rec[layout.ts]!.trim(), lastTsOf, meter);
    if (typeof t !== 'number') return rejects.add(t, where(), rec[layout.ts]);
    const value = num(rec[layout.value]);
    if (Number.isNaN(value)) return rejects.add('bad_number', where(), `${layout.kind === 'energy' ? CSV_COLUMNS.energy : CSV_COLUMNS.register}="${rec[layout.value]}"`);
    let powerKw: number | undefined;
    if (layout.power >= 0 && rec[layout.power] !== '') {
      powerKw = num(rec[layout.power]);
      if (Number.isNaN(powerKw)) return rejects.add('bad_number', where(), `${CSV_COLUMNS.power}="${rec[layout.power]}"`);
    }
    let enterprise: string | undefined;
    if (layout.enterprise >= 0) {
      enterprise = rec[layout.enterprise]!.trim();
      if (enterprise === '') enterprise = undefined;
    }
    // One row object reused: the sink copies what it keeps.
    out.meter = meter; out.ts = t; out.kind = layout.kind; out.value = value; out.line = line;
    out.powerKw = powerKw; out.enterprise = enterprise;
    sink(out);
  };
  // Strings, not Buffers: the stream's decoder keeps a UTF-8 character split across chunks whole.
  input.stream.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(input.stream, {
      delimiter: ',', header: false, dynamicTyping: false, skipEmptyLines: false,
      chunk: (res, parser) => {
        const bad = new Map<number, string>();
        for (const e of res.errors) if (e.row !== undefined && e.code !== 'UndetectableDelimiter') bad.set(e.row, e.message);
        const data = res.data;
        try {
          for (let i = 0; i < data.length; i++) {
            const rec = data[i]!;
            lineNo++;
            const at = lineNo;
            lineNo += breaks(rec);
            if (rec.length === 1 && rec[0] === '') continue; // an empty line
            row(rec, at, bad.get(i));
          }
        } catch (err) {
          fatal = err as Error;
          parser.abort();
        }
      },
      complete: () => resolve(),
      error: (err: Error) => reject(new UsageError(`cannot read ${name}: ${err.message}`)),
    });
  });
  if (fatal) throw fatal;
  if (layout === undefined) throw new UsageError(`${name}: empty input (no header row)`);
  return rows;
}
