import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertsOf, runAnalyze, tempFile } from './analyze-data.js';

/**
 * Real exports as they come: the steel example written as a European export (`;`, decimal commas) and
 * as a single-meter file with its own header names (no meter_id column) give the plain file's alerts.
 */
const EXAMPLE = readFileSync('docs/examples/steel-hourly-stop.csv', 'utf8').trim().split('\n');
const SEOUL = ['--calendar', 'none', '--timezone', 'Asia/Seoul'];

describe('gridpulse analyze: real exports (delimiter, decimal comma, --meter, --columns)', () => {
  it('a semicolon export with decimal commas and a mapped single-meter file give the plain file\'s alerts', async () => {
    const plain = await runAnalyze(['docs/examples/steel-hourly-stop.csv', ...SEOUL]);
    expect(plain.code).toBe(0);
    expect(alertsOf(plain.stdout).map((a) => a.since)).toEqual(['2018-04-10T09:00:00+09:00']);

    const semi = tempFile('steel-semicolon.csv', `${EXAMPLE.map((l) => l.replace(/,/g, ';').replace(/(\d)\.(\d)/g, '$1,$2')).join('\r\n')}\r\n`);
    expect(readFileSync(semi, 'utf8').split('\r\n')[1]).toBe('steel-1;2018-03-05T01:00:00+09:00;12,17');
    const s = await runAnalyze([semi, ...SEOUL]);
    expect(s.code).toBe(0);
    expect(s.stderr).toMatch(/rejected rows: 0/);
    expect(s.stdout).toBe(plain.stdout);

    const mapped = tempFile('steel-usage.csv', `Date,Usage_kWh\n${EXAMPLE.slice(1).map((l) => l.split(',').slice(1).join(',')).join('\n')}\n`);
    const m = await runAnalyze([mapped, ...SEOUL, '--meter', 'steel-1', '--columns', 'timestamp=Date', '--columns', 'energy_kwh=Usage_kWh']);
    expect(m.code).toBe(0);
    expect(m.stdout).toBe(plain.stdout);
  });

  it.each([
    [['--columns', 'timestamp'], /--columns: "timestamp" is not NAME=HEADER/],
    [['--columns', 'time=Date'], /--columns: "time" is not one of meter_id, timestamp, energy_kwh/],
    [['--columns', 'timestamp=Datum'], /--columns timestamp=Datum: no column "Datum" \(header: meter_id,timestamp,energy_kwh/],
  ])('a bad --columns %j exits 2 naming the option', async (args, msg) => {
    const r = await runAnalyze(['docs/examples/steel-hourly-stop.csv', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });
});
