import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headerDelimiter, readCsv, type CsvOptions } from '../../src/analyze/csv.js';
import { openInput } from '../../src/analyze/open.js';
import { Rejects, type InputRow } from '../../src/analyze/rows.js';
import { createTimeParser } from '../../src/analyze/time.js';

async function read(text: string, chunk = 7, o: CsvOptions = {}): Promise<{ rows: InputRow[]; rejects: Rejects; n: number }> {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += chunk) parts.push(text.slice(i, i + chunk));
  const stream = Readable.from(parts.map((p) => Buffer.from(p)), { objectMode: false });
  const rows: InputRow[] = [];
  const rejects = new Rejects();
  const n = await readCsv({ stream, bytesRead: () => 0, size: undefined, name: 'f.csv' }, createTimeParser('Asia/Shanghai'), (r) => rows.push({ ...r }), rejects, () => undefined, o);
  return { rows, rejects, n };
}

describe('analyze: CSV reader', () => {
  it('reads BOM, CRLF, quoted fields, optional columns in any order, across chunk boundaries', async () => {
    const { rows, rejects } = await read('\uFEFFtimestamp,Meter_ID,power_kw,energy_kwh,enterprise_id\r\n2026-10-12T00:15:00+08:00,"m,1",12.5,3.25,"ent ""A"""\r\n2026-10-12 00:30,m2,,4,\r\n');
    expect(rejects.total).toBe(0);
    expect(rows).toEqual([
      { meter: 'm,1', ts: Date.parse('2026-10-11T16:15:00Z'), kind: 'energy', value: 3.25, powerKw: 12.5, enterprise: 'ent "A"', source: 'f.csv', line: 2 },
      { meter: 'm2', ts: Date.parse('2026-10-11T16:30:00Z'), kind: 'energy', value: 4, source: 'f.csv', line: 3 },
    ]);
  });

  it('keeps ragged rows, unterminated quotes and line breaks in quotes apart, with the right line numbers', async () => {
    const text = [
      'meter_id,timestamp,register_kwh,enterprise_id',
      'm1,2026-10-12T00:15+08:00,10,"two', 'lines"', // line 2–3, one record
      'm1,2026-10-12T00:30+08:00', // line 4: short
      '', // line 5: empty
      'm1,2026-10-12T00:45+08:00,12,e,extra', // line 6: long
      'm1,2026-10-12T01:00+08:00,13,e', // line 7: fine
      'm1,2026-10-12T01:15+08:00,14,"never closed', // line 8: swallows the rest
      'm1,2026-10-12T01:30+08:00,15,e',
    ].join('\n');
    const { rows, rejects } = await read(text, 5);
    expect(rows.map((r) => [r.line, r.value])).toEqual([[2, 10], [7, 13]]);
    expect(rejects.toJSON()).toEqual({ malformed_line: 1, wrong_column_count: 2 });
    expect(rejects.first[0]).toMatch(/^f\.csv:4: wrong number of columns \(2 instead of 4\)/);
    expect(rejects.first[1]).toMatch(/^f\.csv:6: wrong number of columns/);
    expect(rejects.first[2]).toMatch(/^f\.csv:8: malformed line/);
  });

  it('stops on a missing column or an empty input, naming it', async () => {
    await expect(read('meter,timestamp,energy_kwh\nm1,2026-10-12T00:15+08:00,1\n')).rejects.toThrow(/f\.csv: missing column meter_id/);
    await expect(read('meter_id,timestamp,kwh\n')).rejects.toThrow(/missing column energy_kwh or register_kwh/);
    await expect(read('')).rejects.toThrow(/empty input/);
  });

  it('refuses a line without end (a binary or hostile file) instead of buffering it', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'gridpulse-csv-')), 'long.csv');
    writeFileSync(p, `meter_id,timestamp,energy_kwh\nm1,${'9'.repeat(3 << 20)}`);
    const input = await openInput(p);
    await expect(readCsv(input, createTimeParser('UTC'), () => undefined, new Rejects(), () => undefined)).rejects.toThrow(/a line longer than 1048576 bytes/);
  });

  it('detects the delimiter from the header line: comma, semicolon, tab; quotes and ties read as a comma', () => {
    expect(headerDelimiter('meter_id,timestamp,energy_kwh\nm;1,2,3')).toBe(',');
    expect(headerDelimiter('meter_id;timestamp;energy_kwh\r\nm1;t;12,5')).toBe(';');
    expect(headerDelimiter('meter_id\ttimestamp\tenergy_kwh')).toBe('\t');
    expect(headerDelimiter('"a;b;c",timestamp,energy_kwh')).toBe(',');
    expect(headerDelimiter('energy_kwh')).toBe(',');
  });

  const PLAIN = 'meter_id,timestamp,energy_kwh,power_kw\nm1,2026-10-12T00:15:00+08:00,3.25,12.5\nm1,2026-10-12T00:30:00+08:00,4,\n';
  it('a semicolon export with decimal commas reads as the plain file, the header split across small chunks', async () => {
    const plain = await read(PLAIN);
    const semi = await read('meter_id;timestamp;energy_kwh;power_kw\nm1;2026-10-12T00:15:00+08:00;3,25;12,5\nm1;2026-10-12T00:30:00+08:00;4;\n', 3);
    const tab = await read(PLAIN.replace(/,/g, '\t'), 4);
    expect(semi.rejects.total).toBe(0);
    expect(semi.rows).toEqual(plain.rows);
    expect(tab.rows).toEqual(plain.rows);
    // A comma file keeps reading "3,25" as two fields, not a decimal.
    const comma = await read('meter_id,timestamp,energy_kwh\nm1,2026-10-12T00:15:00+08:00,"3,25"\n');
    expect(comma.rejects.toJSON()).toEqual({ bad_number: 1 });
  });

  it('a header-only input without a line break is read (no rows) and still checked', async () => {
    expect((await read('meter_id;timestamp;energy_kwh')).n).toBe(0);
    await expect(read('meter;timestamp;energy_kwh')).rejects.toThrow(/missing column meter_id \(or --meter ID for a single-meter file\) \(header: meter;timestamp;energy_kwh;/);
  });

  it('--meter and --columns map a single-meter export onto the documented columns', async () => {
    const plain = await read(PLAIN);
    const mapped = await read('Date,Usage_kWh,Power\n2026-10-12T00:15:00+08:00,3.25,12.5\n2026-10-12T00:30:00+08:00,4,\n', 7, { meter: 'm1', columns: { timestamp: 'Date', energy_kwh: 'usage_kwh', power_kw: 'Power' } });
    expect(mapped.rows).toEqual(plain.rows);
    // A bad value is named by the file's own column.
    const bad = await read('Date,Usage_kWh\n2026-10-12T00:15:00+08:00,n/a\n', 7, { meter: 'm1', columns: { timestamp: 'Date', energy_kwh: 'Usage_kWh' } });
    expect(bad.rejects.first).toEqual(['f.csv:2: not a number (usage_kwh="n/a")']);
    await expect(read('Date,Usage_kWh\n', 7, { meter: 'm1', columns: { timestamp: 'Datum', energy_kwh: 'Usage_kWh' } })).rejects.toThrow('f.csv: --columns timestamp=Datum: no column "Datum" (header: date,usage_kwh)');
    await expect(read(PLAIN, 7, { meter: 'm2' })).rejects.toThrow(/--meter m2 is for a file without a meter_id column/);
    await expect(read('Date,Usage_kWh\n', 7, { meter: 'm1' })).rejects.toThrow(/missing column timestamp, energy_kwh or register_kwh \(header: date,usage_kwh; .*--columns timestamp=Date/);
  });
});
