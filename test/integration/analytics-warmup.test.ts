import { describe, expect, it } from 'vitest';
import { buildCity, simulate, quietScenario } from '../../simulator/index.js';
import { createAnalyzer, type Alert } from '../../analytics/index.js';
import { readingToLine } from '../../src/storage/line-protocol.js';
import { Registry } from '../../src/registry/index.js';
import type { EnrichedReading } from '../../src/schemas/reading.js';
import { testInflux } from '../support/pipeline.js';

/**
 * A restart without a checkpoint must not go blind: the analyzer learns its baselines from the
 * history in InfluxDB (InfluxQL over the real server) and then catches a halt right away, where a
 * cold analyzer is still in its learning phase and stays silent.
 */
describe('analyzer warm-up from InfluxDB history', () => {
  it.each(['registers', 'interval energy'] as const)('learns from three weeks of stored readings (%s) and then detects a halt a cold analyzer misses', async (form) => {
    const start = '2026-09-01T00:00:00+08:00';
    const city = buildCity({ seed: 5, enterprises: 8, start, metersPerGateway: 10 });
    const registry = new Registry(city.registry);
    const target = city.registry.enterprises[0]!.id;
    const haltStart = '2026-09-22T10:00:00+08:00';
    const sim = simulate(city, {
      start, days: 23, seed: 5,
      scenario: quietScenario({ incidents: [{ kind: 'production_halt', target, start: haltStart, hours: 20 }], springFestival: false, plannedShutdowns: false, ordinaryVariation: false }),
    });
    const split = Date.parse('2026-09-22T00:00:00+08:00');
    const history: string[] = [];
    const lastReg = new Map<string, number>();
    const live: EnrichedReading[][] = [];
    for (const b of sim.batches()) {
      const rs = b.readings.map((r) => {
        const t = registry.tagsFor(r.meter)!;
        return { ...r, ts: typeof r.ts === 'number' ? r.ts : Date.parse(r.ts), gateway: t.gateway, enterprise: t.enterprise, county: t.county, chain: t.chain, ctMultiplier: t.ctMultiplier } as EnrichedReading;
      });
      // Interval energy: what each meter consumed since its previous reading (secondary kWh, 15 minutes).
      const stored = form === 'registers' ? rs : rs.flatMap((r): EnrichedReading[] => {
        const prev = lastReg.get(r.meter);
        lastReg.set(r.meter, r.energyKwh!);
        if (prev === undefined || r.energyKwh! < prev) return [];
        const { energyKwh: _, ...rest } = r;
        return [{ ...rest, intervalEnergyKwh: Math.round((r.energyKwh! - prev) * 100) / 100, intervalMinutes: 15 }];
      });
      if (rs[0]!.ts < split) history.push(...stored.map((r) => readingToLine(r)));
      else live.push(rs);
    }
    const { client } = testInflux();
    const field = form === 'registers' ? 'register_kwh' : 'interval_kwh';
    await client.ensureDatabase();
    const w = client.writeApi({ batchSize: 5001, gzipThreshold: 1000 });
    for (let i = 0; i < history.length; i += 5000) {
      w.writeRecords(history.slice(i, i + 5000));
      await w.flush();
    }
    await w.close();
    expect(Number((await client.query(`SELECT count(${field}) FROM reading`))[0]!.count)).toBe(history.length);

    const intervalMs = 15 * 60_000;
    const run = async (warm: boolean) => {
      const a = createAnalyzer({ intervalMs }, { registry: () => city.registry, now: () => split });
      const alerts: Alert[] = [];
      a.on('alert', (x) => alerts.push(x));
      let learned = { readings: 0, queries: 0 };
      if (warm) learned = await a.warmUp((q) => client.query(q), { historyMs: 21 * 86_400_000 });
      let last = split;
      for (const rs of live) {
        a.ingest(rs);
        const t = rs[0]!.ts;
        for (; last + intervalMs <= t; last += intervalMs) a.tick(last + intervalMs);
      }
      return { learned, alerts: alerts.filter((x) => x.kind === 'production_halt' && x.entity === target) };
    };

    const warm = await run(true);
    expect(warm.learned.queries).toBe(21);
    expect(warm.learned.readings).toBeGreaterThan(history.length / 2);
    expect(warm.alerts.length).toBeGreaterThanOrEqual(1);
    expect(warm.alerts[0]!.since).toBeGreaterThanOrEqual(Date.parse(haltStart) - intervalMs);

    const cold = await run(false);
    expect(cold.alerts).toEqual([]);
  });
});
