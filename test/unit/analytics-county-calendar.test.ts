import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calendarFromSpec, createAnalyzer, createNoneCalendar, type Alert, type Calendar, type RegistryLike } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import { loadConfig } from '../../src/config/index.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * A calendar per county (config analytics.countyCalendars): every plant works Monday to Friday 08–18 and
 * all stop on Wednesday 16 April 2025. County `east` declares that day a holiday in its file, county
 * `west` does not: only west's plant is alerted, and an east plant with a registry calendar of its own
 * (`none`) is judged by that one (enterprise > county > analytics.calendar).
 */
const I = 900_000;
const H = 3_600_000;
const TZ = 8 * H;
const START = Date.parse('2025-03-03T00:00:00+08:00');
const STOP_DAY = Date.parse('2025-04-16T00:00:00+08:00');

const dir = mkdtempSync(join(tmpdir(), 'gridpulse-county-cal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const eastFile = join(dir, 'east.json');
writeFileSync(eastFile, JSON.stringify([{ date: '2025-04-16', name: 'east county holiday' }]));

const ENTERPRISES = ['east-1', 'east-2', 'west-1'] as const;

function run(registry: RegistryLike, countyCalendars: ReadonlyMap<string, Calendar>): Alert[] {
  // The analyzer's own calendar is `none`: no holiday anywhere but where a county or an enterprise says so.
  const an = createAnalyzer({ graceMs: 0 }, { registry: () => registry, calendar: createNoneCalendar(), countyCalendars });
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  const r = rng(7);
  const reg = ENTERPRISES.map((_, p) => 100 * (p + 1));
  for (let ts = START; ts <= STOP_DAY + 86_400_000 + 12 * H; ts += I) {
    const rs: EnrichedReading[] = [];
    for (let p = 0; p < ENTERPRISES.length; p++) {
      const ent = ENTERPRISES[p]!;
      if (ts > START) {
        const t = new Date(ts - I + TZ);
        const h = t.getUTCHours(), dow = t.getUTCDay();
        const stopped = ts - I >= STOP_DAY && ts - I < STOP_DAY + 86_400_000;
        reg[p]! += (!stopped && dow >= 1 && dow <= 5 && h >= 8 && h < 18 ? 30 : 2) * (1 + 0.05 * (r() * 2 - 1));
      }
      rs.push({ meter: `m-${ent}`, ts, energyKwh: Math.round(reg[p]! * 100) / 100, gateway: `g-${ent}`, enterprise: ent, county: ent.split('-')[0]!, chain: `x-${ent}`, ctMultiplier: 1 });
    }
    an.ingest(rs);
    an.tick(ts);
  }
  return alerts.filter((a) => (a.kind === 'production_halt' || a.kind === 'production_cut') && a.since >= STOP_DAY && a.since < STOP_DAY + 86_400_000);
}

const counties = () => new Map([['east', calendarFromSpec(eastFile, 'analytics.countyCalendars.east')]]);
const registry: RegistryLike = { enterprises: ENTERPRISES.map((id) => ({ id, county: id.split('-')[0]! })) };

describe('per-county calendars (analytics.countyCalendars)', () => {
  it('a county\'s holiday file is honoured for its enterprises and not for another county\'s', () => {
    expect(run(registry, counties()).map((a) => a.entity).sort()).toEqual(['west-1']);
  });

  it('without the county calendar every plant is alerted (the stop day is a working day)', () => {
    expect(run(registry, new Map()).map((a) => a.entity).sort()).toEqual(['east-1', 'east-2', 'west-1']);
  });

  it('an enterprise\'s own registry calendar wins over its county\'s', () => {
    const own: RegistryLike = { enterprises: registry.enterprises.map((e) => (e.id === 'east-2' ? { ...e, calendar: 'none' } : e)) };
    expect(run(own, counties()).map((a) => a.entity).sort()).toEqual(['east-2', 'west-1']);
  });

  it('config: a bad county calendar stops start-up naming the key', () => {
    expect(() => loadConfig({ env: { GRIDPULSE_ANALYTICS_COUNTY_CALENDARS: '{"east":"korea"}' } })).toThrow(/analytics\.countyCalendars\.east="korea": expected cn, none or a holiday file/);
    expect(() => loadConfig({ env: { GRIDPULSE_ANALYTICS_COUNTY_CALENDARS: 'east=cn' } })).toThrow(/analytics\.countyCalendars \(GRIDPULSE_ANALYTICS_COUNTY_CALENDARS\)="east=cn": expected a JSON object/);
    expect(() => calendarFromSpec(join(dir, 'missing.json'), 'analytics.countyCalendars.east')).toThrow(/^analytics\.countyCalendars\.east: /);
    const ok = loadConfig({ env: { GRIDPULSE_ANALYTICS_COUNTY_CALENDARS: JSON.stringify({ east: eastFile, west: 'cn' }) } });
    expect(ok.analytics.countyCalendars).toEqual({ east: eastFile, west: 'cn' });
  });
});
