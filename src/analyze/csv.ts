import type { Readable } from 'node:stream';
import Papa from 'papaparse';
import type { OpenedInput } from './open.js';
import { UsageError, type InputRow, type Rejects } from './rows.js';
import type { createTimeParser } from './time.js';

export const CSV_COLUMNS = { meter: 'meter_id', ts: 'timestamp', energy: 'energy_kwh', register: 'register_kwh', power: 'power_kw', enterprise: 'enterprise_id' } as const;
export type ColumnName = (typeof CSV_COLUMNS)[keyof typeof CSV_COLUMNS];
export const COLUMN_NAMES = Object.values(CSV_COLUMNS) as ColumnName[];

/** How an export that is not in the documented shape is read (--meter, --columns). */
export interface CsvOptions {
  /** The meter of a single-meter file without a meter_id column. */
  meter?: string;
  /** Documented column → the file's header name for it (matched as the header is: trimmed, any case). */
  columns?: Partial<Record<ColumnName, string>>;
}

export type Delimiter = ',' | ';' | '\t';

/**
 * The delimiter of an export, from its header line: the most frequent of `,` `;` tab outside quotes
 * (a comma on a tie or none). Decided once, from the header only: a data row of a `;` export with
 * decimal commas ("12,17") would make a guess over rows (Papa Parse's own) see commas too.
 */
export function headerDelimiter(text: string): Delimiter {
  const n = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') break;
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ',' || c === ';' || c === '\t')) n[c]++;
  }
  return n[';'] > n[','] && n[';'] >= n['\t'] ? ';' : n['\t'] > n[','] ? '\t' : ',';
}

interface Layout {
  /** Column of the meter id, or -1: every row is `fixedMeter` (--meter). */
  meter: number;
  fixedMeter: string;
  /** Reads a number cell: `;` exports write decimals with a comma (European locales). */
  number: (s: string | undefined) => number;
  ts: number;
  value: number;
  kind: 'energy' | 'register';
  /** Header names of the value and power columns as the file has them (--columns), for reject messages. */
  valueName: string;
  powerName: string;
  power: number;
  enterprise: number;
  width: number;
}

function layoutOf(header: string[], name: string, o: CsvOptions, delimiter: Delimiter): Layout {
  const cols = header.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim().toLowerCase());
  const shown = `header: ${cols.join(delimiter === '\t' ? '<tab>' : delimiter) || 'empty'}`;
  const nameOf = (c: ColumnName) => (o.columns?.[c] ?? c).trim().toLowerCase();
  const at = (c: ColumnName) => cols.indexOf(nameOf(c));
  for (const [c, h] of Object.entries(o.columns ?? {})) {
    if (at(c as ColumnName) < 0) throw new UsageError(`${name}: --columns ${c}=${h}: no column "${h}" (${shown})`);
  }
  const meter = at(CSV_COLUMNS.meter);
  if (o.meter !== undefined && meter >= 0) throw new UsageError(`${name}: --meter ${o.meter} is for a file without a meter_id column, and this one has one (${shown})`);
  const missing: string[] = [CSV_COLUMNS.ts].filter((c) => at(c) < 0);
  if (meter < 0 && o.meter === undefined) missing.unshift(`${CSV_COLUMNS.meter} (or --meter ID for a single-meter file)`);
  const energy = at(CSV_COLUMNS.energy), register = at(CSV_COLUMNS.register);
  if (energy < 0 && register < 0) missing.push(`${CSV_COLUMNS.energy} or ${CSV_COLUMNS.register}`);
  if (missing.length > 0) {
    throw new UsageError(`${name}: missing column ${missing.join(', ')} (${shown}; expected meter_id,timestamp,energy_kwh|register_kwh[,power_kw,enterprise_id]; other names: --columns timestamp=Date,energy_kwh=Usage_kWh)`);
  }
  return {
    meter, fixedMeter: o.meter ?? '', number: delimiter === ';' ? numComma : num, ts: at(CSV_COLUMNS.ts), value: energy >= 0 ? energy : register, kind: energy >= 0 ? 'energy' : 'register',
    power: at(CSV_COLUMNS.power), enterprise: at(CSV_COLUMNS.enterprise), width: cols.length,
    valueName: cols[energy >= 0 ? energy : register]!, powerName: cols[at(CSV_COLUMNS.power)] ?? CSV_COLUMNS.power,
  };
}

function num(s: string | undefined): number {
  // Number('') is 0: an empty cell is not a reading.
  return s === undefined || s.length === 0 ? Number.NaN : Number(s);
}

/** A `;` export's number: "12,17" or "12.17" (no thousands separators: "1.234,5" is not a number). */
function numComma(s: string | undefined): number {
  return num(s === undefined ? s : s.replace(',', '.'));
}

/**
 * Reads up to the header's line break and puts it back (the delimiter is decided before parsing starts).
 * Returns the text and whether that was the whole input (a stream cannot take text back after its end).
 */
async function peekHeader(stream: Readable, name: string): Promise<{ text: string; ended: boolean }> {
  let text = '';
  while (!text.includes('\n')) {
    const chunk = stream.read() as string | null;
    if (chunk !== null) {
      text += chunk;
      continue;
    }
    if (stream.readableEnded) return { text, ended: true };
    const ended = await new Promise<boolean>((resolve, reject) => {
      const off = () => { stream.off('readable', onReadable); stream.off('end', onEnd); stream.off('error', onError); };
      const onReadable = () => { off(); resolve(false); };
      const onEnd = () => { off(); resolve(true); };
      const onError = (e: Error) => { off(); reject(new UsageError(`cannot read ${name}: ${e.message}`)); };
      stream.on('readable', onReadable); stream.on('end', onEnd); stream.on('error', onError);
    });
    if (ended) return { text, ended: true };
  }
  stream.unshift(text);
  return { text, ended: false };
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
export async function readCsv(input: OpenedInput, parseTime: ReturnType<typeof createTimeParser>, sink: (r: InputRow) => void, rejects: Rejects, lastTsOf: (meter: string) => number | undefined, o: CsvOptions = {}): Promise<number> {
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
      layout = layoutOf(rec, name, o, delimiter);
      return;
    }
    rows++;
    if (bad !== undefined) return rejects.add('malformed_line', where(), bad);
    if (rec.length !== layout.width) return rejects.add('wrong_column_count', where(), `${rec.length} instead of ${layout.width}`);
    const meter = layout.meter >= 0 ? rec[layout.meter]!.trim() : layout.fixedMeter;
    const t = parseTime(rec[layout.ts]!.trim(), lastTsOf, meter);
    if (typeof t !== 'number') return rejects.add(t, where(), rec[layout.ts]);
    const value = layout.number(rec[layout.value]);
    if (Number.isNaN(value)) return rejects.add('bad_number', where(), `${layout.valueName}="${rec[layout.value]}"`);
    let powerKw: number | undefined;
    if (layout.power >= 0 && rec[layout.power] !== '') {
      powerKw = layout.number(rec[layout.power]);
      if (Number.isNaN(powerKw)) return rejects.add('bad_number', where(), `${layout.powerName}="${rec[layout.power]}"`);
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
  const head = await peekHeader(input.stream, name);
  const delimiter = headerDelimiter(head.text);
  await new Promise<void>((resolve, reject) => {
    Papa.parse<string[]>(head.ended ? head.text : input.stream, {
      delimiter, header: false, dynamicTyping: false, skipEmptyLines: false,
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
