import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, allPanels, byUid, influxUid, interpolate, parseInterval, type Dashboard, type Row, type VarValue } from '../support/grafana.js';
import { launch, pictureOf, render } from '../support/grafana-render.js';
import { tempDir } from '../support/pipeline.js';
import { MEASUREMENTS, RANGE, incidentSelection, influxDashboards, resolveVariables, runCity, type CityRun } from '../support/grafana-city.js';

/**
 * Every InfluxDB query of the City, County, Chain and Enterprise dashboards (panels and annotations),
 * with their variables resolved by their own queries and substituted the way Grafana's InfluxDB
 * datasource does, against the real InfluxDB after the real pipeline processed a simulated city
 * (test/support/grafana-city.ts): nothing in this file writes a point. Each query must return rows of
 * the shape its panel draws; a few panels are checked for what they must show.
 */

let run: CityRun;
/** dashboard uid → variable values for the incident selection. */
const scopes = new Map<string, { vars: Record<string, VarValue>; options: Record<string, string[]> }>();
/** Closing figures: rows each query returned. */
const counts: { dashboard: string; panel: string; refId: string; rows: number }[] = [];

beforeAll(async () => {
  run = await runCity();
  for (const d of influxDashboards()) scopes.set(d.uid, await resolveVariables(run, d, incidentSelection(run)));
}, 240_000);
afterAll(async () => {
  await run?.p.stop();
  if (counts.length) console.log(`rows per dashboard query (incident selection, ${new Date(RANGE.fromMs).toISOString()} – ${new Date(RANGE.toMs).toISOString()}):\n${counts.map((c) => `  ${c.dashboard} | ${c.panel} | ${c.refId} | ${c.rows}`).join('\n')}`);
});

/** The columns the outer SELECT names, and the tags the outer GROUP BY splits rows by. */
function shape(q: string): { columns: string[]; tags: string[] } {
  const select = q.slice('SELECT '.length, q.indexOf(' FROM '));
  const columns = select.split(/,(?![^(]*\))/).map((c) => (/AS "(\w+)"\s*$/.exec(c) ?? /^\s*"(\w+)"\s*$/.exec(c))?.[1]).filter((c): c is string => !!c);
  // The outer query's clauses: after the subquery's closing parenthesis, if there is one.
  const outer = q.includes('FROM (') ? q.slice(q.lastIndexOf(') WHERE')) : q;
  const at = outer.lastIndexOf('GROUP BY');
  const tags = at < 0 ? [] : [...outer.slice(at).matchAll(/(?<!time\()"(\w+)"/g)].map((m) => m[1]!);
  return { columns, tags };
}

function expectShape(rows: Row[], q: string, where: string): void {
  const { columns, tags } = shape(q);
  expect(columns.length, `${where}: no columns in ${q}`).toBeGreaterThan(0);
  for (const r of rows) {
    expect(typeof r.time, `${where}: time`).toBe('number');
    for (const t of tags) expect(typeof r[t], `${where}: tag ${t} on ${JSON.stringify(r)}`).toBe('string');
    for (const c of columns) expect(c in r, `${where}: column ${c}`).toBe(true);
  }
  // At least one row has every column filled, numbers finite.
  const full = rows.find((r) => columns.every((c) => r[c] !== null && r[c] !== undefined));
  expect(full, `${where}: no row with every column of ${columns.join(', ')}`).toBeDefined();
  for (const c of columns) if (typeof full![c] === 'number') expect(Number.isFinite(full![c]), `${where}: ${c}`).toBe(true);
}

async function panelRows(d: Dashboard, title: string, refId = 'A', intervalMs?: number): Promise<Row[]> {
  const p = allPanels(d.panels).find((x) => x.title === title)!;
  const t = p.targets!.find((x) => x.refId === refId)!;
  const s = scopes.get(d.uid)!;
  return run.query(interpolate(t.query!, { ...s, ...RANGE, intervalMs: intervalMs ?? parseInterval(p.interval ?? '15m') }, d.templating.list));
}

it('the pipeline wrote every measurement the dashboards read', () => {
  const missing = MEASUREMENTS.filter((m) => !run.present.has(m));
  expect(missing, `not written by the pipeline: ${missing.join(', ')}`).toEqual([]);
});

for (const d of influxDashboards()) {
  describe(`${d.title} (${d.uid})`, () => {
    it('resolves every variable from the pipeline\'s data, the incident\'s values among them', () => {
      const s = scopes.get(d.uid)!;
      for (const v of d.templating.list) expect(s.options[v.name]!.length, v.name).toBeGreaterThan(0);
      for (const [name, value] of Object.entries(incidentSelection(run))) if (s.options[name] && !d.templating.list.find((v) => v.name === name)?.includeAll) expect(s.vars[name]).toEqual({ values: [value] });
    });

    for (const p of allPanels(d.panels).filter((x) => x.type !== 'row')) {
      it(`${p.title}: every query returns rows of its panel's shape`, async () => {
        const s = scopes.get(d.uid)!;
        expect(p.datasource?.uid).toBe(influxUid);
        // At the panel's interval (Grafana's lower bound) and at a coarser one (a longer time range).
        for (const interval of [p.interval ?? '15m', '3h']) {
          for (const t of p.targets!) {
            expect(t.rawQuery, `${p.title}: raw InfluxQL`).toBe(true);
            const q = interpolate(t.query!, { ...s, ...RANGE, intervalMs: Math.max(parseInterval(interval), parseInterval(p.interval ?? '1m')) }, d.templating.list);
            const rows = await run.query(q).catch((err: unknown) => { throw new Error(`${p.title} / ${t.refId}: ${String(err)}\n${q}`); });
            if (interval === (p.interval ?? '15m')) counts.push({ dashboard: d.uid, panel: p.title, refId: t.refId, rows: rows.length });
            expect(rows.length, `${p.title} / ${t.refId} returned no rows\n${q}`).toBeGreaterThan(0);
            expectShape(rows, q, `${p.title} / ${t.refId}`);
          }
        }
      });
    }

    it('annotates every time series with the analyzer\'s alerts, the halt among them', async () => {
      const s = scopes.get(d.uid)!;
      const anns = d.annotations.list.filter((a) => !a.builtIn);
      expect(anns).toHaveLength(1);
      const a = anns[0]!;
      const rows = await run.query(interpolate(a.target!.query!, { ...s, ...RANGE, intervalMs: 60_000 }, d.templating.list));
      counts.push({ dashboard: d.uid, panel: `annotation ${a.name}`, refId: 'Anno', rows: rows.length });
      for (const c of [a.target!.titleColumn!, a.target!.textColumn!, ...a.target!.tagsColumn!.split(',')]) expect(rows[0], c).toHaveProperty(c);
      expect(rows.some((r) => r.kind === 'production_halt' && r.entity === run.halted.enterprise && String(r.text).includes('below baseline')), JSON.stringify(rows.slice(0, 5))).toBe(true);
    });
  });
}

describe('what the panels show', () => {
  it('city: load by county adds up to the total load, interval by interval', async () => {
    const d = byUid('gridpulse-city');
    const total = await panelRows(d, '全市工业负荷与预期 · Total industrial load vs expected');
    const byCounty = await panelRows(d, '负荷（按区县）· Load by county');
    const sum = new Map<number, number>();
    for (const r of byCounty) sum.set(r.time as number, (sum.get(r.time as number) ?? 0) + Number(r.load_kw));
    expect(total.length).toBeGreaterThan(200);
    for (const r of total) expect(sum.get(r.time as number), String(r.time)).toBeCloseTo(Number(r.load_kw), 3);
  });

  it('city: every meter of the registry is known, and all report outside the silent meter\'s gap', async () => {
    const d = byUid('gridpulse-city');
    const known = await panelRows(d, '数据完整性 · Meters reporting / seen', 'B');
    expect(Number(known[0]!.known)).toBe(run.meters);
    const reporting = await panelRows(d, '上报表计数 · Meters reporting per interval');
    const inGap = (t: number) => t >= run.silentMeter.from && t < run.silentMeter.to;
    expect(reporting.filter((r) => !inGap(r.time as number) && (r.time as number) < RANGE.toMs - 900_000).every((r) => r.reporting === run.meters)).toBe(true);
    expect(reporting.filter((r) => inGap(r.time as number)).every((r) => r.reporting === run.meters - 1)).toBe(true);
  });

  it('county: the halted enterprise tops the shortfall ranking, with an index well under 100', async () => {
    const rows = (await panelRows(byUid('gridpulse-county'), '企业缺口排名 · Enterprises ranked by shortfall')).sort((a, b) => Number(b.shortfall_kwh) - Number(a.shortfall_kwh));
    expect(rows[0]!.enterprise).toBe(run.halted.enterprise);
    expect(Number(rows[0]!.shortfall_kwh)).toBeGreaterThan(0);
    expect(Number(rows[0]!.index)).toBeLessThan(90);
    expect(rows.every((r) => r.county === run.halted.county)).toBe(true);
  });

  it('chain: ranks the chain\'s enterprises with their supply stage', async () => {
    const rows = await panelRows(byUid('gridpulse-chain'), '企业缺口排名 · Enterprises ranked by shortfall');
    expect(rows.map((r) => r.enterprise)).toContain(run.halted.enterprise);
    expect(rows.every((r) => r.chain === run.halted.chain)).toBe(true);
    expect(rows.some((r) => ['upstream', 'midstream', 'downstream'].includes(String(r.stage)))).toBe(true);
  });

  it('enterprise: the detector\'s actual matches the registers\' energy, and the halt opens a gap below expected', async () => {
    const d = byUid('gridpulse-enterprise');
    const title = '实际与预期 · Actual vs expected (as the analyzer judged)';
    // Summed over the range at 15 minutes: the two may date an interval by its start or its end.
    const judged = await panelRows(d, title, 'A');
    const register = await panelRows(d, title, 'B');
    const sum = (rs: Row[], c: string) => rs.reduce((a, r) => a + Number(r[c] ?? 0), 0);
    expect(sum(judged, 'judged_kw') / sum(register, 'load_kw')).toBeGreaterThan(0.95);
    expect(sum(judged, 'judged_kw') / sum(register, 'load_kw')).toBeLessThan(1.05);
    expect(sum(judged, 'expected_kw')).toBeGreaterThan(sum(judged, 'judged_kw') * 1.1);
  });

  it('enterprise: the alert history has the halt; data gaps show the silent meter\'s empty hours', async () => {
    const history = await panelRows(byUid('gridpulse-enterprise'), '告警历史 · Alert history');
    expect(history.some((r) => r.kind === 'production_halt' && r.entity === run.halted.enterprise)).toBe(true);
    // The silent meter's enterprise, all its meters.
    const d = byUid('gridpulse-enterprise');
    const s = scopes.get(d.uid)!;
    const meters = (await run.query(`SHOW TAG VALUES FROM "reading" WITH KEY = "meter" WHERE "enterprise" = '${run.silentMeter.enterprise}'`)).map((r) => String(r.value));
    const gaps = allPanels(d.panels).find((p) => p.title.startsWith('数据缺失'))!;
    const q = interpolate(gaps.targets![0]!.query!, { vars: { ...s.vars, enterprise: { values: [run.silentMeter.enterprise] }, meter: { all: true } }, options: { ...s.options, meter: meters }, ...RANGE, intervalMs: 3_600_000 }, d.templating.list);
    const rows = await run.query(q);
    const silent = rows.filter((r) => r.meter === run.silentMeter.meter && (r.time as number) >= run.silentMeter.from && (r.time as number) < run.silentMeter.to);
    expect(silent.length).toBe(6);
    expect(silent.every((r) => r.readings === 0)).toBe(true);
    expect(rows.filter((r) => r.meter !== run.silentMeter.meter && (r.time as number) < RANGE.toMs - 3_600_000).every((r) => r.readings === 4)).toBe(true);
  });
});

describe('pictures of the dashboards (ECharts in headless Chromium, from the same queries)', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launch(); }, 60_000);
  // GRIDPULSE_PICTURES_OUT=docs/grafana keeps them (the README shows those); otherwise a temporary folder.
  const keep = process.env.GRIDPULSE_PICTURES_OUT;
  const out = keep ? join(ROOT, keep) : tempDir('gridpulse-pictures-');
  afterAll(async () => {
    await browser?.close();
    if (!keep) rmSync(out, { recursive: true, force: true });
  });

  for (const d of influxDashboards()) {
    it(`${d.uid}: every panel drawn from its query results`, async () => {
      const s = scopes.get(d.uid)!;
      const results = new Map<string, Row[]>();
      for (const p of allPanels(d.panels)) for (const t of p.targets ?? []) {
        results.set(`${p.id}/${t.refId}`, await run.query(interpolate(t.query!, { ...s, ...RANGE, intervalMs: parseInterval(p.interval ?? '15m') }, d.templating.list)));
      }
      const a = d.annotations.list.find((x) => !x.builtIn)!;
      const anns = (await run.query(interpolate(a.target!.query!, { ...s, ...RANGE, intervalMs: 60_000 }, d.templating.list))).map((r) => ({ time: r.time as number, title: String(r.title) }));
      const chosen = d.templating.list.filter((v) => v.type !== 'custom').map((v) => `${v.name} = ${'all' in s.vars[v.name]! ? 'All' : (s.vars[v.name] as { values: string[] }).values.join(', ')}`).join(' · ');
      const shown = Object.fromEntries(Object.entries(s.vars).map(([k, v]) => [k, 'all' in v ? 'All' : v.values.join(', ')]));
      const pic = pictureOf(d, results, anns, `${chosen} · ${new Date(RANGE.fromMs).toISOString().slice(0, 10)} – ${new Date(RANGE.toMs).toISOString().slice(0, 10)} (UTC) · simulated city, seed 11`, shown);
      const r = await render(browser, pic);
      // Written before the checks, so a picture with an empty panel can be looked at.
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `${d.uid}.png`), r.png);
      const panels = allPanels(d.panels);
      expect(r.charts).toBe(panels.filter((p) => p.type === 'timeseries' || p.type === 'status-history').length);
      expect(r.tables).toBe(panels.filter((p) => p.type === 'table').length);
      expect(r.stats).toBe(pic.panels.filter((p) => p.type === 'stat').reduce((n, p) => n + p.series.length, 0));
      for (const p of pic.panels.filter((x) => x.type === 'timeseries')) expect(p.series.length, p.title).toBeGreaterThan(0);
      expect(r.png.length).toBeGreaterThan(50_000);
    });
  }
});
