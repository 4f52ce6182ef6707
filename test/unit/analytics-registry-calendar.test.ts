import { describe, expect, it } from 'vitest';
import { createAnalyzer, createChineseCalendar, type Alert, type RegistryLike } from '../../analytics/index.js';
import { rng } from '../../analytics/eval/synth.js';
import { registrySchema } from '../../src/registry/schema.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';

/**
 * A calendar per enterprise from the registry: make-up working days (调休) only where the calendar says
 * so. Sunday 27 April 2025 is a make-up working day in mainland China (Labour Day); a site abroad on
 * `calendar: none` keeps its ordinary Sunday.
 */
const I = 900_000;
const H = 3_600_000;
const TZ = 8 * H;
const START = Date.parse('2025-03-03T00:00:00+08:00');
const MAKEUP_SUNDAY = Date.parse('2025-04-27T00:00:00+08:00');

function run(registry: RegistryLike, warn: (x: object) => void = () => {}): Alert[] {
  const logger = { warn: (x: object) => warn(x), info: () => {}, debug: () => {}, error: () => {}, child: () => logger };
  const an = createAnalyzer({ graceMs: 0 }, { registry: () => registry, logger: logger as never });
  const alerts: Alert[] = [];
  an.on('alert', (a) => alerts.push(a));
  const r = rng(4);
  const reg = [100, 200];
  for (let ts = START; ts <= MAKEUP_SUNDAY + 86_400_000 + 12 * H; ts += I) {
    const rs: EnrichedReading[] = [];
    for (let p = 0; p < 2; p++) {
      if (ts > START) {
        const t = new Date(ts - I + TZ);
        const h = t.getUTCHours(), dow = t.getUTCDay();
        // Both plants work Monday to Friday 08–18 (holidays included) and never at weekends.
        reg[p]! += (dow >= 1 && dow <= 5 && h >= 8 && h < 18 ? 30 : 2) * (1 + 0.05 * (r() * 2 - 1));
      }
      rs.push({ meter: `m${p}`, ts, energyKwh: Math.round(reg[p]! * 100) / 100, gateway: `g${p}`, enterprise: p === 0 ? 'home' : 'abroad', county: 'c', chain: 'x', ctMultiplier: 1 });
    }
    an.ingest(rs);
    an.tick(ts);
  }
  return alerts.filter((a) => a.kind === 'production_halt' || a.kind === 'production_cut');
}

describe('per-enterprise calendars (registry)', () => {
  it('27 April 2025 is a make-up working day in the cn calendar', () => {
    expect(createChineseCalendar().dayClass(Math.floor(Date.parse('2025-04-27T00:00:00Z') / 86_400_000)) & 15).toBe(3);
  });

  it('the make-up Sunday is judged as a working day only for the enterprise on cn', () => {
    const alerts = run({ enterprises: [{ id: 'home', county: 'c' }, { id: 'abroad', county: 'c', calendar: 'none' }] });
    expect(alerts.map((a) => a.entity)).toEqual(['home']);
    expect(alerts[0]!.since).toBeGreaterThanOrEqual(MAKEUP_SUNDAY);
    expect(alerts[0]!.since).toBeLessThan(MAKEUP_SUNDAY + 86_400_000);
  });

  it('an unreadable calendar file in the registry is logged naming the enterprise, and the default is used', () => {
    const warned: object[] = [];
    const alerts = run({ enterprises: [{ id: 'home', county: 'c' }, { id: 'abroad', county: 'c', calendar: '/nonexistent/holidays.json' }] }, (x) => warned.push(x));
    expect(alerts.map((a) => a.entity).sort()).toEqual(['abroad', 'home']);
    expect(JSON.stringify(warned)).toMatch(/registry enterprises\[abroad\]\.calendar/);
  });

  it('the registry refuses a calendar that is not cn, none or a holiday file', () => {
    const r = registrySchema.safeParse({ enterprises: [{ id: 'e1', county: 'c', calendar: 'korea' }] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe('enterprises.0.calendar');
  });
});
