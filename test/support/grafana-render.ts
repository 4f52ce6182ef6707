/// <reference lib="dom" />
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { allPanels, type Dashboard, type Panel, type Row, type Target } from './grafana.js';

/**
 * A picture of a dashboard without a Grafana server: the rows its queries returned, laid out on
 * Grafana's 24-column grid and drawn with ECharts in headless Chromium (Debian's, never a
 * downloaded one). Time series are split into series the way Grafana's InfluxDB datasource does
 * (one per tag set and column, named by the alias), thresholds dashed, alerts as red marks.
 */

export interface Series { name: string; refId: string; points: [number, number | null][] }
export interface PanelData { fixed: string[]; id: number; type: string; title: string; grid: Panel['gridPos']; unit?: string; stack: boolean; thresholds: { color: string; value: number | null }[]; series: Series[]; table: Row[]; sortBy?: string }
export interface Picture { title: string; subtitle: string; panels: PanelData[]; annotations: { time: number; title: string }[] }

/** Value columns of a row: what is not time or a tag. */
const valueColumns = (r: Row, tags: Set<string>) => Object.keys(r).filter((k) => k !== 'time' && !tags.has(k));

/** Grafana's InfluxDB series naming: alias with $tag_x and $col, else measurement-free column name. */
export function toSeries(t: Target, rows: Row[], tagKeys: string[]): Series[] {
  const tags = new Set(tagKeys);
  const by = new Map<string, Series>();
  for (const r of rows) {
    for (const col of valueColumns(r, tags)) {
      const v = r[col];
      if (typeof v !== 'number' && v !== null) continue;
      const alias = t.alias ? t.alias.replace(/\$tag_(\w+)/g, (_m, k: string) => String(r[k] ?? '')).replace(/\$col/g, col) : col;
      const name = valueColumns(r, tags).length > 1 && t.alias && !t.alias.includes('$col') ? `${alias} ${col}` : alias;
      if (!by.has(name)) by.set(name, { name, refId: t.refId, points: [] });
      by.get(name)!.points.push([r.time as number, v]);
    }
  }
  return [...by.values()];
}

/** Overrides that take a query's fields off the thresholds colours (byFrameRefID with a fixed colour). */
function fixedColourRefs(p: Panel): Set<string> {
  const out = new Set<string>();
  for (const o of (p.fieldConfig?.overrides ?? []) as { matcher: { id: string; options: string }; properties: { id: string }[] }[]) {
    if (o.matcher.id === 'byFrameRefID' && o.properties.some((x) => x.id === 'color')) out.add(o.matcher.options);
  }
  return out;
}

export function pictureOf(d: Dashboard, results: Map<string, Row[]>, annotations: { time: number; title: string }[], subtitle: string, vars: Record<string, string> = {}): Picture {
  const subst = (s: string) => s.replace(/\$(\w+)/g, (m, n: string) => vars[n] ?? m);
  const panels: PanelData[] = [];
  for (const p of allPanels(d.panels)) {
    const rows = (p.targets ?? []).map((t) => ({ t, rows: results.get(`${p.id}/${t.refId}`) ?? [] }));
    const tagKeys = rows.flatMap(({ t }) => [...(t.query ?? '').slice((t.query ?? '').lastIndexOf('GROUP BY')).matchAll(/(?<!time\()"(\w+)"/g)].map((m) => m[1]!));
    const sortBy = (p.options?.sortBy as { displayName: string }[] | undefined)?.[0]?.displayName;
    panels.push({
      id: p.id, type: p.type, title: subst(p.title), grid: p.gridPos, fixed: [...fixedColourRefs(p)], unit: p.fieldConfig?.defaults.unit,
      stack: !!(p.fieldConfig?.defaults.custom as { stacking?: unknown } | undefined)?.stacking,
      thresholds: p.fieldConfig?.defaults.thresholds?.steps ?? [],
      series: p.type === 'table' ? [] : rows.flatMap(({ t, rows: rs }) => toSeries(t, rs, tagKeys)),
      table: p.type === 'table' ? rows.flatMap(({ rows: rs }) => rs) : [], ...(sortBy ? { sortBy } : {}),
    });
  }
  return { title: d.title, subtitle, panels, annotations };
}

const UNITS: Record<string, string> = { kwatt: 'kW', kwatth: 'kWh', percent: '%', volt: 'V', none: '' };

/** Runs in the page: draws the picture with ECharts. */
function draw(pic: Picture, units: Record<string, string>): void {
  const W = 1600, COL = W / 24, ROW = 30;
  const root = document.getElementById('root')!;
  const fmt = (v: number | null, unit?: string) => (v === null ? '—' : `${Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100}${units[unit ?? 'none'] ? ` ${units[unit ?? 'none']}` : ''}`);
  const colorOf = (v: number, steps: { color: string; value: number | null }[]) => {
    let c = steps[0]?.color ?? '#73bf69';
    for (const s of steps) if (s.value === null || v >= s.value) c = s.color;
    return ({ red: '#f2495c', orange: '#ff9830', green: '#73bf69' } as Record<string, string>)[c] ?? c;
  };
  for (const p of pic.panels) {
    const el = document.createElement('div');
    el.className = p.type === 'row' ? 'row' : 'panel';
    Object.assign(el.style, { left: `${p.grid.x * COL + 4}px`, top: `${p.grid.y * ROW + 70}px`, width: `${p.grid.w * COL - 8}px`, height: `${p.grid.h * ROW - 8}px` });
    el.innerHTML = `<div class="title">${p.title}</div><div class="body"></div>`;
    root.appendChild(el);
    const body = el.querySelector('.body') as HTMLDivElement;
    if (p.type === 'row') continue;
    if (p.type === 'stat') {
      body.innerHTML = p.series.map((s) => {
        const last = [...s.points].reverse().find(([, v]) => v !== null)?.[1] ?? null;
        const bg = p.thresholds.length && last !== null && !p.fixed.includes(s.refId) ? colorOf(last, p.thresholds) : '#1f60c4';
        return `<div class="stat" style="background:${bg}"><div class="v">${fmt(last, p.unit)}</div><div class="n">${s.name}</div></div>`;
      }).join('');
      continue;
    }
    if (p.type === 'table') {
      const cols = [...new Set(p.table.flatMap((r) => Object.keys(r)))].filter((c) => c !== 'time' && c !== 'text' && c !== 'id');
      const rows = [...p.table].sort((a, b) => (p.sortBy ? Number(b[p.sortBy] ?? 0) - Number(a[p.sortBy] ?? 0) : 0)).slice(0, 9);
      body.innerHTML = `<table><tr>${cols.map((c) => `<th>${c}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cols.map((c) => {
        const v = r[c];
        const bg = c === 'index' && typeof v === 'number' ? `style="background:${colorOf(v, p.thresholds.length ? p.thresholds : [{ color: 'red', value: null }, { color: 'orange', value: 80 }, { color: 'green', value: 95 }])}"` : '';
        return `<td ${bg}>${typeof v === 'number' ? fmt(v) : String(v ?? '')}</td>`;
      }).join('')}</tr>`).join('')}</table>`;
      continue;
    }
    const chart = (window as unknown as { echarts: { init(el: HTMLElement, theme: string, o: object): { setOption(o: object): void } } }).echarts.init(body, 'dark', { renderer: 'canvas' });
    if (p.type === 'status-history') {
      const names = p.series.map((s) => s.name);
      const times = [...new Set(p.series.flatMap((s) => s.points.map(([t]) => t)))].sort((a, b) => a - b);
      const data = p.series.flatMap((s, i) => s.points.map(([t, v]) => [times.indexOf(t), i, v]));
      chart.setOption({
        backgroundColor: 'transparent', animation: false, grid: { left: 110, right: 10, top: 5, bottom: 20 },
        xAxis: { type: 'category', data: times.map((t) => new Date(t).toISOString().slice(5, 13).replace('T', ' ')), axisLabel: { interval: 11 } },
        yAxis: { type: 'category', data: names },
        visualMap: { show: false, type: 'piecewise', pieces: [{ lt: 1, color: '#f2495c' }, { gte: 1, lt: 4, color: '#ff9830' }, { gte: 4, color: '#73bf69' }] },
        series: [{ type: 'heatmap', data, itemStyle: { borderColor: '#181b1f', borderWidth: 1 } }],
      });
      continue;
    }
    const lines = p.thresholds.filter((s) => s.value !== null).map((s) => ({ yAxis: s.value, lineStyle: { type: 'dashed', color: colorOf(s.value!, p.thresholds) } }));
    const marks = pic.annotations.map((a) => ({ xAxis: a.time, lineStyle: { color: '#f2495c', type: 'solid', width: 1 }, label: { show: false } }));
    chart.setOption({
      backgroundColor: 'transparent', animation: false,
      legend: { type: 'scroll', bottom: 0, textStyle: { fontSize: 10 } },
      grid: { left: 60, right: 15, top: 10, bottom: 45 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => fmt(v, p.unit) }, scale: p.unit === 'volt' || p.unit === 'kwatth' },
      series: p.series.map((s, i) => ({
        type: 'line', name: s.name, data: s.points, showSymbol: false, connectNulls: false, lineStyle: { width: 1 },
        ...(p.stack ? { stack: 'all', areaStyle: { opacity: 0.3 } } : {}),
        ...(i === 0 ? { markLine: { symbol: 'none', silent: true, data: [...lines, ...marks] } } : {}),
      })),
    });
  }
}

const CSS = `body{margin:0;background:#111217;color:#ccccdc;font-family:"Noto Sans CJK SC","Noto Serif CJK SC",sans-serif}
#root{position:relative;width:1600px}
h1{font-size:20px;margin:10px 12px 2px}.sub{font-size:12px;margin:0 12px;color:#8e8e9e}
.panel,.row{position:absolute;box-sizing:border-box}.panel{background:#181b1f;border:1px solid #2c3235;border-radius:2px}
.row .title{font-size:15px;font-weight:600;padding-top:6px}.panel .title{font-size:12px;padding:4px 8px;font-weight:600}
.body{position:absolute;top:24px;left:4px;right:4px;bottom:4px;overflow:hidden;display:flex;flex-wrap:wrap;gap:6px}
.stat{flex:1;min-width:120px;display:flex;flex-direction:column;justify-content:center;align-items:center;border-radius:2px}
.stat .v{font-size:34px;font-weight:600;color:#fff}.stat .n{font-size:12px}
table{border-collapse:collapse;font-size:11px;width:100%}th,td{padding:2px 6px;border-bottom:1px solid #2c3235;text-align:left;white-space:nowrap}`;

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

/** The picture as a PNG; `drawn` counts the ECharts instances and series the page holds, for checks. */
export async function render(browser: Browser, pic: Picture): Promise<{ png: Buffer; charts: number; tables: number; stats: number }> {
  const height = Math.max(...pic.panels.map((p) => (p.grid.y + p.grid.h) * 30)) + 80;
  const page = await browser.newPage({ viewport: { width: 1600, height } });
  try {
    await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>${CSS}</style></head><body><div id="root"><h1>${pic.title}</h1><div class="sub">${pic.subtitle}</div></div></body></html>`);
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js') });
    await page.evaluate(`(${draw.toString()})(${JSON.stringify(pic)}, ${JSON.stringify(UNITS)})`);
    const counts = await page.evaluate(`({ charts: document.querySelectorAll('.panel [_echarts_instance_]').length, tables: document.querySelectorAll('.panel table').length, stats: document.querySelectorAll('.stat').length })`) as { charts: number; tables: number; stats: number };
    const png = await page.screenshot({ fullPage: true, type: 'png' });
    return { png, ...counts };
  } finally {
    await page.close();
  }
}
