import { describe, expect, it } from 'vitest';
import { buildCity, dayInfo, holidayBlocks, simulate, springFestivalDate } from '../../simulator/index.js';
import { CHAINS, COUNTIES } from '../../src/registry/city.js';
import { verifyPassword } from '../../src/registry/password.js';
import { registrySchema } from '../../src/registry/schema.js';
import { incidentLabelSchema } from '../../src/schemas/incident.js';
import { readingSchema } from '../../src/schemas/reading.js';
import { cityMeanKw, collect, smallCity } from './simulator-helpers.js';

describe('simulator city', () => {
  it('writes a registry that validates, with chains, leaders, suppliers and CT multipliers', async () => {
    const city = smallCity();
    const reg = registrySchema.parse(JSON.parse(JSON.stringify(city.registry)));
    expect(reg.enterprises).toHaveLength(150);
    expect(reg.meters.length).toBeGreaterThanOrEqual(150);
    expect(new Set(reg.enterprises.map((e) => e.county)).size).toBe(COUNTIES.length);
    const chains = new Set(reg.enterprises.flatMap((e) => e.chains));
    for (const c of chains) expect(CHAINS.some((x) => x.id === c)).toBe(true);
    expect(reg.enterprises.filter((e) => e.leader).length).toBeGreaterThanOrEqual(10);
    expect(reg.enterprises.some((e) => e.suppliers.length > 0)).toBe(true);
    const ids = new Set(reg.enterprises.map((e) => e.id));
    for (const e of reg.enterprises) for (const s of e.suppliers) expect(ids.has(s)).toBe(true);
    const cts = new Set(reg.meters.map((m) => m.ctMultiplier));
    expect(cts.has(1)).toBe(true);
    expect([...cts].some((c) => c >= 100)).toBe(true);
    // Every gateway's hash verifies against its plaintext credential.
    const g = reg.gateways[0]!;
    expect(await verifyPassword(city.credentials[g.id]!, g.passwordHash)).toBe(true);
    expect(Object.keys(city.credentials).sort()).toEqual(reg.gateways.map((x) => x.id).sort());
    const gwIds = new Set(reg.gateways.map((x) => x.id));
    for (const m of reg.meters) expect(gwIds.has(m.gateway)).toBe(true);
  });

  it('is reproducible for a seed and differs for another seed', () => {
    const a = smallCity(11, 60), b = smallCity(11, 60), c = smallCity(12, 60);
    expect(a.credentials).toEqual(b.credentials);
    const strip = (x: typeof a) => ({ ...x.registry, gateways: x.registry.gateways.map((g) => ({ ...g, passwordHash: '' })) });
    expect(strip(a)).toEqual(strip(b));
    expect(strip(a)).not.toEqual(strip(c));
    // The registry does not depend on when or how long the run is: a registry written once for the
    // pipeline matches a later live run of the same seed.
    const later = buildCity({ seed: 11, enterprises: 60, start: '2026-11-28T00:00:00Z', days: 3, metersPerGateway: 12 });
    expect(strip(later)).toEqual(strip(a));
    expect(later.credentials).toEqual(a.credentials);
    const opts = { start: '2025-03-03T00:00:00+08:00', days: 8 };
    const sa = simulate(a, opts), sb = simulate(b, opts), sc = simulate(c, opts);
    expect(sa.labels).toEqual(sb.labels);
    const ra = collect(sa).batches, rb = collect(sb).batches;
    expect(ra.length).toBeGreaterThan(100);
    expect(rb).toEqual(ra);
    expect(collect(sc).batches).not.toEqual(ra);
  });

  it('emits readings that satisfy the MQTT reading contract and plausible 400 V values', () => {
    const city = smallCity(3, 40);
    const sim = simulate(city, { start: '2025-03-03T00:00:00+08:00', days: 3, scenario: undefined });
    const { batches, delivered } = collect(sim);
    expect(batches.every((b) => b.readings.length <= 1000)).toBe(true);
    let valid = 0, maxKw = 0, vMin = Infinity, vMax = 0, pfMin = 1;
    for (const d of delivered) {
      const r = readingSchema.safeParse(d.r);
      if (!r.success) continue;
      valid++;
      const x = r.data;
      maxKw = Math.max(maxKw, Math.abs(x.powerKw!));
      if (x.voltageV![0] > 0) {
        vMin = Math.min(vMin, ...x.voltageV!);
        vMax = Math.max(vMax, ...x.voltageV!);
        pfMin = Math.min(pfMin, x.powerFactor!);
      }
    }
    // Secondary power far below the meter format's 100 kW; phase voltage 220–235 V ± noise; PF plausible.
    expect(maxKw).toBeLessThan(100);
    expect(vMin).toBeGreaterThan(205);
    expect(vMax).toBeLessThan(245);
    expect(pfMin).toBeGreaterThanOrEqual(0.5);
    expect(valid / delivered.length).toBeGreaterThan(0.97);
    for (const l of sim.labels) incidentLabelSchema.parse(l);
  });

  it('runs registers up and wraps them at 999999.99; replaced meters are flagged', () => {
    const city = buildCity({ seed: 5, enterprises: 400, start: '2025-03-03T00:00:00+08:00', metersPerGateway: 40 });
    const sim = simulate(city, { start: '2025-03-03T00:00:00+08:00', days: 14, scenario: undefined });
    const last = new Map<string, number>();
    let wraps = 0, replaced = 0, backwards = 0;
    for (const b of sim.batches()) {
      for (const r of b.readings) {
        if (typeof r.meter !== 'string' || typeof r.energyKwh !== 'number' || r.energyKwh < 0) continue;
        if (r.quality?.includes('meter_replaced')) replaced++;
        const prev = last.get(r.meter);
        if (prev !== undefined && r.energyKwh < prev) {
          if (prev > 999_000 && r.energyKwh < 1000) wraps++;
          else if (!r.quality?.includes('meter_replaced')) backwards++;
        }
        last.set(r.meter, Math.max(r.energyKwh, prev !== undefined && r.energyKwh < prev ? r.energyKwh : r.energyKwh));
      }
    }
    expect(sim.stats.rollovers).toBeGreaterThan(0);
    expect(wraps).toBeGreaterThan(0);
    expect(replaced).toBe(sim.stats.replacements);
    expect(replaced).toBeGreaterThan(0);
    // Late and out-of-order deliveries can make a register look like it went back; nothing else does.
    expect(backwards).toBeLessThanOrEqual(sim.stats.late + sim.stats.outOfOrder + sim.stats.duplicates + sim.stats.backlog);
  });
});

describe('simulator calendar (chinese-days)', () => {
  it('knows Spring Festival 2024, National Day 2025 and 调休 working Sundays', () => {
    expect(springFestivalDate(2024)).toBe('2024-02-10');
    expect(dayInfo('2024-02-10')).toMatchObject({ holiday: 'Spring Festival', mode: 'holiday' });
    for (let d = 1; d <= 8; d++) expect(dayInfo(`2025-10-0${d}`).mode).toBe('holiday');
    expect(dayInfo('2025-10-09').mode).toBe('work');
    // 2024-02-04 and 2025-09-28 are Sundays that are working days (调休).
    expect(dayInfo('2024-02-04')).toMatchObject({ weekday: 0, makeUp: true, mode: 'work' });
    expect(dayInfo('2025-09-28')).toMatchObject({ weekday: 0, makeUp: true, mode: 'work' });
    expect(dayInfo('2025-10-11')).toMatchObject({ weekday: 6, makeUp: true, mode: 'work' });
    expect(dayInfo('2025-09-21')).toMatchObject({ weekday: 0, mode: 'sun' });
    const blocks = holidayBlocks('2025-09-20', '2025-10-20');
    expect(blocks.map((b) => [b.name, b.first, b.last])).toEqual([['National Day / Mid-autumn Festival', '2025-10-01', '2025-10-08']]);
    // Beyond the package's years the fixed and lunar dates still apply.
    expect(dayInfo('2027-10-01').mode).toBe('holiday');
    expect(dayInfo(springFestivalDate(2027)).mode).toBe('holiday');
  });

  it('works a 调休 Sunday, rests on an ordinary Sunday and through National Day', () => {
    const city = smallCity(21, 120, '2025-09-15T00:00:00+08:00');
    const sim = simulate(city, { start: '2025-09-15T00:00:00+08:00', days: 21, scenario: { ...quiet() } });
    const { delivered } = collect(sim);
    const dayKw = (date: string) => cityMeanKw(city, delivered, Date.parse(`${date}T09:00:00+08:00`), Date.parse(`${date}T11:00:00+08:00`));
    const workday = dayKw('2025-09-24'), makeUpSunday = dayKw('2025-09-28'), sunday = dayKw('2025-09-21'), nationalDay = dayKw('2025-10-03');
    expect(makeUpSunday / workday).toBeGreaterThan(0.9);
    expect(sunday / workday).toBeLessThan(0.75);
    expect(nationalDay / workday).toBeLessThan(0.6);
    expect(sim.labels.filter((l) => l.kind === 'holiday').map((l) => [l.start, l.expected])).toEqual([['2025-09-30T16:00:00.000Z', 'none']]);
  });

  it('shuts plants for Spring Festival 2024 for 1–4 weeks with a ramp back, labelled must-not-alert', () => {
    const city = smallCity(8, 80, '2024-01-22T00:00:00+08:00');
    const sim = simulate(city, { start: '2024-01-22T00:00:00+08:00', days: 49, scenario: quiet() });
    const { delivered } = collect(sim);
    const total = (date: string) => cityMeanKw(city, delivered, Date.parse(`${date}T09:00:00+08:00`), Date.parse(`${date}T11:00:00+08:00`));
    const before = total('2024-01-24'), eve = total('2024-02-12'), after = total('2024-03-06');
    expect(eve / before).toBeLessThan(0.45);
    expect(after / before).toBeGreaterThan(0.8);
    const sf = sim.labels.find((l) => l.kind === 'spring_festival')!;
    expect(sf.expected).toBe('none');
    expect(Date.parse(sf.start)).toBeLessThanOrEqual(Date.parse('2024-02-09T16:00:00Z'));
    expect(Date.parse(sf.end)).toBeGreaterThan(Date.parse('2024-02-25T00:00:00Z'));
  });
});

import { quietScenario } from '../../simulator/index.js';
function quiet() {
  return quietScenario({ meterReplacements: 0 });
}
