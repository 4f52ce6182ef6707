import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { alertsOf, plantCsv, runAnalyze, tempFile } from './analyze-data.js';

/**
 * `gridpulse analyze` as an analyst runs it: the real CLI (dist/), real files, stdin, gzip. The plant
 * works weekdays 08–17 (analytics/eval/synth.ts shape); a stop on Wednesday 2026-11-04 from 10:00 for
 * 6 hours must come out as a production halt dated from 10:00, and nothing else.
 */
const BASE = { meters: ['plant-a'], start: '2026-10-12T00:00:00+08:00', days: 28, stop: { at: '2026-11-04T10:00:00+08:00', hours: 6 } } as const;
const STOP = Date.parse('2026-11-04T10:00:00+08:00');

function theStop(stdout: string) {
  const alerts = alertsOf(stdout);
  return { alerts, stop: alerts.find((a) => a.kind === 'production_halt' && Math.abs(Date.parse(a.since) - STOP) <= 3_600_000) };
}

describe('gridpulse analyze (CLI)', () => {
  it('finds the stop in the hourly example (real steel plant data) with --calendar none', async () => {
    const r = await runAnalyze(['docs/examples/steel-hourly-stop.csv', '--calendar', 'none', '--timezone', 'Asia/Seoul']);
    expect(r.code).toBe(0);
    const a = alertsOf(r.stdout).find((x) => x.since === '2018-04-10T09:00:00+09:00');
    expect(a).toMatchObject({ kind: 'production_halt', scope: 'enterprise', entity: 'steel-1' });
    expect(a!.dropPct).toBeGreaterThan(30);
    expect(r.stderr).toMatch(/1,008 readings of 1 meters/);
    expect(r.stderr).toMatch(/interval 1h \(inferred\)/);
    // Deterministic: the same input gives byte-identical output.
    const again = await runAnalyze(['docs/examples/steel-hourly-stop.csv', '--calendar', 'none', '--timezone', 'Asia/Seoul']);
    expect(again.stdout).toBe(r.stdout);
  });

  it('15-minute interval energy and the same data as registers give the same alerts, with the stop', async () => {
    const energy = tempFile('energy.csv', plantCsv({ ...BASE, intervalMin: 15, kind: 'energy' }));
    const register = tempFile('register.csv', plantCsv({ ...BASE, intervalMin: 15, kind: 'register' }));
    const e = await runAnalyze([energy]);
    const g = await runAnalyze([register]);
    expect(e.code).toBe(0);
    expect(g.code).toBe(0);
    expect(e.stderr).toMatch(/interval 15m \(inferred\)/);
    const { alerts, stop } = theStop(e.stdout);
    expect(stop, e.stdout + e.stderr).toBeDefined();
    expect(Date.parse(stop!.since)).toBe(STOP);
    expect(alerts).toHaveLength(1);
    // The same alerts; kWh figures agree to float rounding (the register from energy starts elsewhere).
    const kwh = ['baselineKwh', 'actualKwh'] as const;
    const rest = (s: string) => s.trim().split('\n').map((l) => { const a = JSON.parse(l) as Record<string, unknown>; for (const k of kwh) delete a[k]; return a; });
    expect(rest(g.stdout)).toEqual(rest(e.stdout));
    const gs = g.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    e.stdout.trim().split('\n').forEach((l, i) => {
      const a = JSON.parse(l) as Record<string, number>;
      for (const k of kwh) expect(Math.abs(gs[i]![k]! - a[k]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(a[k]!)));
    });
  });

  it('hourly naive timestamps read in --timezone, CSV output', async () => {
    const f = tempFile('hourly.csv', plantCsv({ ...BASE, intervalMin: 60, kind: 'energy', offset: '' }));
    const r = await runAnalyze([f, '--format', 'csv']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('kind,scope,entity,status,since,raised_at,resolved_at,baseline_kwh,actual_kwh,drop_pct,contributors,reason,parent_id,id');
    expect(lines.some((l) => l.startsWith('production_halt,enterprise,plant-a,resolved,2026-11-04T10:00:00+08:00,'))).toBe(true);
  });

  it('reads gzip from stdin (-)', async () => {
    const text = plantCsv({ ...BASE, intervalMin: 15, kind: 'energy' });
    const fromFile = await runAnalyze([tempFile('p.csv', text)]);
    const r = await runAnalyze(['-', '--no-progress'], gzipSync(text));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(fromFile.stdout);
    expect(theStop(r.stdout).stop).toBeDefined();
  });

  it('a holiday file (JSON or .ics) declaring the stop day: no alert that day', async () => {
    const f = tempFile('p.csv', plantCsv({ ...BASE, intervalMin: 15, kind: 'energy' }));
    const json = tempFile('holidays.json', JSON.stringify(['2026-10-13', { start: '2026-11-04', end: '2026-11-04' }]));
    const ics = tempFile('holidays.ics', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:1@test', 'DTSTAMP:20260101T000000Z',
      'DTSTART;VALUE=DATE:20261104', 'DTEND;VALUE=DATE:20261105', 'SUMMARY:Plant holiday', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n'));
    for (const cal of [json, ics]) {
      const r = await runAnalyze([f, '--calendar', cal]);
      expect(r.code, r.stderr).toBe(0);
      expect(theStop(r.stdout).stop, `${cal}: ${r.stdout}`).toBeUndefined();
    }
  });

  it('bad rows are counted by reason with their line numbers; the rest is analysed', async () => {
    const lines = plantCsv({ ...BASE, intervalMin: 15, kind: 'energy' }).trimEnd().split('\n');
    // Lines 101..104 of the file (index 100..103): replaced by bad rows; the reading they held is lost.
    lines[100] = 'plant-a,2026-10-13T01:15:00+08:00,abc';
    lines[101] = 'plant-a,13/10/2026 01:30,5';
    lines[102] = 'plant-a,2026-10-13T01:45:00+08:00,-3';
    lines.splice(200, 0, lines[199]!); // a duplicate of line 200 at line 201
    const f = tempFile('bad.csv', `${lines.join('\n')}\n`);
    const r = await runAnalyze([f]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/rejected rows: 4 \(bad_number 1, bad_timestamp 1, duplicate 1, negative_energy 1\)/);
    expect(r.stderr).toContain(`${f}:101: not a number`);
    expect(r.stderr).toContain(`${f}:102: unknown timestamp format`);
    expect(r.stderr).toContain(`${f}:103: negative energy`);
    expect(r.stderr).toContain(`${f}:201: duplicate reading`);
    expect(theStop(r.stdout).stop).toBeDefined();
  });

  it('a missing column or an unreadable file stops with exit 2, naming it', async () => {
    const f = tempFile('nocol.csv', 'meter_id,time,energy_kwh\nm1,2026-10-12T00:15:00+08:00,3\n');
    const r = await runAnalyze([f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing column timestamp/);
    const m = await runAnalyze(['/nonexistent/readings.csv']);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/cannot read \/nonexistent\/readings\.csv: no such file/);
    const bad = await runAnalyze([f, '--interval', '7m']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--interval: "7m" is not one of/);
    const unknown = await runAnalyze([f, '--bogus']);
    expect(unknown.code).toBe(2);
  });

  it('--from reports only later alerts, --kinds filters, --explain says why', async () => {
    const f = tempFile('p.csv', plantCsv({ ...BASE, intervalMin: 15, kind: 'energy' }));
    expect(alertsOf((await runAnalyze([f, '--from', '2026-11-05T00:00'])).stdout)).toHaveLength(0);
    expect(alertsOf((await runAnalyze([f, '--kinds', 'production_cut'])).stdout)).toHaveLength(0);
    const ex = await runAnalyze([f, '--explain', 'plant-a', '--at', '2026-11-04T12:00']);
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toMatch(/CUSUM/);
    expect(ex.stdout).toMatch(/alert production_halt .* since 2026-11-04T10:00:00\+08:00/);
    const early = await runAnalyze([f, '--explain', 'plant-a', '--at', '2026-10-14T10:00']);
    expect(early.stdout).toMatch(/still learning/);
  });

  it('enterprise_id groups meters into one enterprise; --progress draws rows and rows/s on stderr', async () => {
    const text = plantCsv({ ...BASE, meters: ['m1', 'm2'], intervalMin: 15, kind: 'energy' }).trimEnd().split('\n')
      .map((l, i) => (i === 0 ? `${l},enterprise_id` : `${l},plant-x`)).join('\n');
    const r = await runAnalyze([tempFile('two.csv', `${text}\n`), '--progress']);
    expect(r.code, r.stderr).toBe(0);
    const { alerts } = theStop(r.stdout);
    expect(alerts.map((a) => `${a.kind} ${a.entity} ${a.since}`)).toEqual(['production_halt plant-x 2026-11-04T10:00:00+08:00']);
    expect(r.stderr).toMatch(/rows \| [\d,]+ rows\/s/);
    expect(r.stderr).toMatch(/of 2 meters/);
  });
});
