import { describe, expect, it } from 'vitest';
import { buildCity, INJECTABLE_KINDS, quietScenario, simulate, type City } from '../../simulator/index.js';
import { INCIDENT_KINDS, incidentLabelSchema } from '../../src/schemas/incident.js';
import { readingSchema } from '../../src/schemas/reading.js';
import { collect, smallCity, type Delivered } from './simulator-helpers.js';

const T = (s: string) => Date.parse(`${s}+08:00`);
const HOUR = 3600_000;

/** Mean primary kW per enterprise over [from, to), indexed once for all lookups. */
function entIndex(city: City, delivered: Delivered[]) {
  const meter = new Map(city.registry.meters.map((m) => [m.id, m]));
  const rows = new Map<string, { ts: number; kw: number; key: string }[]>();
  for (const d of delivered) {
    const m = meter.get(d.r.meter as string);
    if (!m || typeof d.r.ts !== 'number') continue;
    const list = rows.get(m.enterprise) ?? [];
    list.push({ ts: d.r.ts, kw: (d.r.powerKw ?? 0) * m.ctMultiplier, key: `${d.r.meter}@${d.r.ts}` });
    rows.set(m.enterprise, list);
  }
  return (ent: string, from: number, to: number) => {
    const seen = new Set<string>(), ts = new Set<number>();
    let s = 0;
    for (const r of rows.get(ent) ?? []) {
      if (r.ts < from || r.ts >= to || seen.has(r.key)) continue;
      seen.add(r.key); ts.add(r.ts); s += r.kw;
    }
    return s / Math.max(1, ts.size);
  };
}

describe('simulator incidents: the data shows what each label says', () => {
  const start = '2025-03-03T00:00:00+08:00'; // a Monday after Spring Festival ramps are over
  const city = smallCity(7, 150, start);
  const reg = city.registry;
  const busy = new Set<string>();
  const chainIdx = city.graph.leaders.findIndex((l) => l >= 0 && city.graph.suppliers[l]!.length + city.graph.customers[l]!.length >= 3);
  const leader = city.graph.leaders[chainIdx]!;
  const chainId = reg.enterprises[leader]!.chains[0]!;
  for (const n of [leader, ...city.graph.suppliers[leader]!, ...city.graph.customers[leader]!]) busy.add(reg.enterprises[n]!.id);
  const pick = () => {
    const e = reg.enterprises.find((x) => !busy.has(x.id) && !x.leader && x.plannedShutdowns.length === 0)!;
    busy.add(e.id);
    return e.id;
  };
  const halt = pick(), cut = pick(), decline = pick(), offEnt = pick();
  const offMeter = reg.meters.find((m) => m.enterprise === offEnt)!.id;
  const county = reg.enterprises.find((e) => !busy.has(e.id))!.county;
  const countyGws = new Set(reg.gateways.filter((g) => reg.meters.some((m) => m.gateway === g.id && reg.enterprises.find((e) => e.id === m.enterprise)!.county === county)).map((g) => g.id));
  const gwOff = reg.gateways.find((g) => !countyGws.has(g.id))!.id;
  const gwT = reg.gateways.filter((g) => !countyGws.has(g.id) && g.id !== gwOff)[0]!.id;
  const scenario = quietScenario({
    ordinaryVariation: false,
    meterBacklogShare: 1,
    meterReplacements: 0,
    incidents: [
      { kind: 'production_halt', target: halt, start: '2025-03-11T09:00:00+08:00', hours: 24 },
      { kind: 'production_cut', target: cut, start: '2025-03-11T09:00:00+08:00', hours: 48, magnitude: 0.5 },
      { kind: 'slow_decline', target: decline, start: '2025-03-05T00:00:00+08:00', hours: 14 * 24, magnitude: 0.4 },
      { kind: 'chain_disruption', target: chainId, start: '2025-03-11T08:00:00+08:00', hours: 72, magnitude: 1 },
      { kind: 'grid_outage', target: county, start: '2025-03-12T10:00:00+08:00', hours: 2 },
      { kind: 'gateway_offline', target: gwOff, start: '2025-03-12T08:00:00+08:00', hours: 6 },
      { kind: 'meter_offline', target: offMeter, start: '2025-03-12T00:00:00+08:00', hours: 12 },
      { kind: 'transport_duplicates', target: gwT, start: '2025-03-17T00:00:00+08:00', hours: 24, magnitude: 0.2 },
      { kind: 'transport_late', target: gwT, start: '2025-03-18T00:00:00+08:00', hours: 24, magnitude: 0.2 },
      { kind: 'transport_out_of_order', target: gwT, start: '2025-03-19T00:00:00+08:00', hours: 24, magnitude: 0.2 },
      { kind: 'transport_malformed', target: gwT, start: '2025-03-20T00:00:00+08:00', hours: 24, magnitude: 0.2 },
    ],
  });
  const sim = simulate(city, { start, days: 21, scenario });
  const { batches, delivered } = collect(sim);
  const mean = entIndex(city, delivered);
  const ratio = (ent: string, day: string, base: string, h0 = 9.5, h1 = 11.5) =>
    mean(ent, T(`${day}T00:00:00`) + h0 * HOUR, T(`${day}T00:00:00`) + h1 * HOUR) / mean(ent, T(`${base}T00:00:00`) + h0 * HOUR, T(`${base}T00:00:00`) + h1 * HOUR);
  const labelOf = (kind: string) => sim.labels.find((l) => l.kind === kind)!;

  it('labels every injected kind with the expected alert', () => {
    for (const l of sim.labels) incidentLabelSchema.parse(l);
    const kinds = new Set(sim.labels.map((l) => l.kind));
    for (const k of INJECTABLE_KINDS) expect(kinds.has(k)).toBe(true);
    expect(labelOf('production_halt')).toMatchObject({ scope: 'enterprise', entities: [halt], expected: 'production_halt', magnitude: 1 });
    expect(labelOf('production_cut')).toMatchObject({ entities: [cut], expected: 'production_cut', magnitude: 0.5 });
    expect(labelOf('slow_decline')).toMatchObject({ entities: [decline], expected: 'slow_decline' });
    expect(labelOf('grid_outage')).toMatchObject({ scope: 'county', entities: [county], expected: 'grid_outage' });
    expect(labelOf('gateway_offline')).toMatchObject({ scope: 'gateway', entities: [gwOff], expected: 'gateway_offline' });
    expect(labelOf('meter_offline')).toMatchObject({ scope: 'meter', entities: [offMeter], expected: 'meter_offline' });
    for (const k of ['transport_duplicates', 'transport_late', 'transport_out_of_order', 'transport_malformed']) expect(labelOf(k).expected).toBe('none');
  });

  it('halt: the enterprise falls to standby; cut: to about half', () => {
    expect(ratio(halt, '2025-03-11', '2025-03-04')).toBeLessThan(0.2);
    expect(ratio(halt, '2025-03-13', '2025-03-06')).toBeGreaterThan(0.8);
    const r = ratio(cut, '2025-03-12', '2025-03-05');
    expect(r).toBeGreaterThan(0.38);
    expect(r).toBeLessThan(0.62);
  });

  it('slow decline: a little lower after a week, about 1 − magnitude after two', () => {
    const r1 = ratio(decline, '2025-03-12', '2025-03-05'), r2 = ratio(decline, '2025-03-20', '2025-03-05');
    expect(r1).toBeGreaterThan(0.65);
    expect(r1).toBeLessThan(0.9);
    expect(r2).toBeGreaterThan(0.45);
    expect(r2).toBeLessThan(0.72);
  });

  it('chain disruption: the leader drops, some of its suppliers/customers follow with a lag', () => {
    const l = labelOf('chain_disruption');
    expect(l).toMatchObject({ scope: 'chain', entities: [chainId], expected: 'chain_disruption' });
    expect(l.contributors[0]).toBe(reg.enterprises[leader]!.id);
    expect(l.contributors.length).toBeGreaterThanOrEqual(2);
    expect(ratio(l.contributors[0]!, '2025-03-11', '2025-03-04')).toBeLessThan(0.2);
    const followers = l.contributors.slice(1).map((e) => ratio(e, '2025-03-14', '2025-03-07'));
    expect(Math.min(...followers)).toBeLessThan(0.8);
    // Followers drop partially, not to standby, and not all at the trigger's moment.
    const atOnce = l.contributors.slice(1).map((e) => ratio(e, '2025-03-11', '2025-03-04', 8.25, 8.75));
    expect(Math.max(...atOnce)).toBeGreaterThan(0.8);
  });

  it('grid outage: the county reads zero or goes silent, then comes back', () => {
    const from = T('2025-03-12T10:00:00'), to = T('2025-03-12T12:00:00');
    const meterGw = new Map(reg.meters.map((m) => [m.id, m.gateway]));
    // A reading stamped t covers (t − 15 min, t]: the outage shows in readings stamped (10:00, 12:00].
    const inWin = delivered.filter((d) => countyGws.has(meterGw.get(d.r.meter as string) ?? '') && (d.r.ts as number) > from && (d.r.ts as number) <= to);
    for (const d of inWin) { expect(d.r.powerKw).toBe(0); expect(d.r.voltageV).toEqual([0, 0, 0]); }
    const countyEnts = labelOf('grid_outage').contributors;
    expect(countyEnts.length).toBeGreaterThan(3);
    const metersInCounty = reg.meters.filter((m) => countyGws.has(m.gateway)).length;
    expect(inWin.length).toBeLessThan(metersInCounty * 8);
    const after = delivered.filter((d) => countyGws.has(meterGw.get(d.r.meter as string) ?? '') && d.r.ts === T('2025-03-12T15:00:00'));
    expect(after.some((d) => (d.r.powerKw ?? 0) > 0)).toBe(true);
  });

  it('gateway offline: nothing during the window, then a backlog burst with the missed readings', () => {
    const from = T('2025-03-12T08:00:00'), to = T('2025-03-12T14:00:00');
    const gwBatches = batches.filter((b) => b.gateway === gwOff);
    expect(gwBatches.filter((b) => b.ts >= from && b.ts < to)).toHaveLength(0);
    const nMeters = reg.meters.filter((m) => m.gateway === gwOff).length;
    const burst = gwBatches.find((b) => b.ts >= to)!;
    const held = burst.readings.filter((r) => (r.ts as number) >= from && (r.ts as number) < to);
    expect(held.length).toBe(nMeters * 24);
  });

  it('meter offline: the meter is missing during the window and its readings come back afterwards', () => {
    const from = T('2025-03-12T00:00:00'), to = T('2025-03-12T12:00:00');
    const mine = delivered.filter((d) => d.r.meter === offMeter);
    expect(mine.filter((d) => d.batchTs >= from && d.batchTs < to)).toHaveLength(0);
    expect(mine.filter((d) => (d.r.ts as number) >= from && (d.r.ts as number) < to && d.batchTs >= to)).toHaveLength(48);
  });

  it('transport faults: duplicates, late, out-of-order and malformed readings on the faulty gateway', () => {
    const mine = delivered.filter((d) => d.gateway === gwT);
    const day = (s: string) => [T(`${s}T00:00:00`), T(`${s}T00:00:00`) + 24 * HOUR] as const;
    const inDay = (ts: unknown, [a, b]: readonly [number, number]) => typeof ts === 'number' && ts >= a && ts < b;
    const keys = mine.filter((d) => inDay(d.r.ts, day('2025-03-17'))).map((d) => `${d.r.meter}@${d.r.ts}`);
    expect(keys.length - new Set(keys).size).toBeGreaterThan(10);
    expect(mine.filter((d) => inDay(d.r.ts, day('2025-03-18')) && d.batchTs > (d.r.ts as number)).length).toBeGreaterThan(10);
    const gwB = batches.filter((b) => b.gateway === gwT && inDay(b.ts, day('2025-03-19')));
    // A message whose readings are all older than the previous message's.
    const newest = gwB.map((b) => Math.max(...b.readings.map((r) => r.ts as number)));
    let inversions = 0;
    for (let i = 1; i < newest.length; i++) if (newest[i]! < newest[i - 1]!) inversions++;
    expect(inversions).toBeGreaterThan(0);
    const mal = mine.filter((d) => inDay(d.batchTs, day('2025-03-20')) && !readingSchema.safeParse(d.r).success).length;
    expect(mal).toBeGreaterThan(10);
    // Outside the windows everything this gateway sends is well-formed.
    expect(mine.filter((d) => d.batchTs < T('2025-03-17T00:00:00') && !readingSchema.safeParse(d.r).success)).toHaveLength(0);
  });
});

describe('default scenario', () => {
  it('places every kind, tens of halts and cuts on distinct enterprises, and keeps many enterprises incident-free', () => {
    const city = buildCity({ seed: 42, enterprises: 2000, start: '2025-09-01T00:00:00+08:00', days: 60 });
    const sim = simulate(city, { start: '2025-09-01T00:00:00+08:00', days: 60 });
    const count = (k: string) => sim.labels.filter((l) => l.kind === k).length;
    for (const k of INCIDENT_KINDS) if (k !== 'spring_festival') expect(count(k), k).toBeGreaterThan(0);
    expect(count('production_halt')).toBeGreaterThanOrEqual(20);
    expect(count('production_cut')).toBeGreaterThanOrEqual(20);
    expect(count('chain_disruption')).toBeGreaterThanOrEqual(3);
    expect(count('grid_outage')).toBeGreaterThanOrEqual(2);
    const entLabels = sim.labels.filter((l) => ['production_halt', 'production_cut', 'slow_decline'].includes(l.kind)).map((l) => l.entities[0]);
    expect(new Set(entLabels).size).toBe(entLabels.length);
    const touched = new Set(sim.labels.filter((l) => l.expected !== 'none' && l.kind !== 'grid_outage').flatMap((l) => (l.scope === 'enterprise' ? l.entities : l.contributors)));
    expect(touched.size / 2000).toBeLessThan(0.6);
    // National Day 2025 is labelled as a must-not-alert holiday.
    expect(sim.labels.some((l) => l.kind === 'holiday' && l.start === '2025-09-30T16:00:00.000Z' && l.expected === 'none')).toBe(true);
  });
});
