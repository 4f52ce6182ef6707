import type { IndexPoint } from '../api.js';
import { COLORS } from '../colors.js';
import { h, clear } from '../dom.js';
import { chainName, countyName, dayKey, fmtDay, fmtNum, t } from '../i18n.js';
import type { Page } from '../main.js';
import { areasOf } from '../store.js';

const DAY = 86_400_000;
const RANGES = [7, 14, 28];

/** 100 × Σactual ÷ Σexpected over the points (null with nothing expected). */
function indexOf(points: readonly IndexPoint[]): number | null {
  let a = 0, e = 0;
  for (const p of points) {
    a += p.actualKwh;
    e += p.expectedKwh;
  }
  return e > 0 ? (100 * a) / e : null;
}

function heatColor(v: number | null): string {
  if (v === null) return 'transparent';
  const d = Math.max(-1, Math.min(1, (v - 100) / 40));
  return d < 0 ? `rgba(194,53,49,${(-d * 0.75).toFixed(2)})` : `rgba(58,143,92,${(d * 0.6).toFixed(2)})`;
}

export const renderEconomy: Page = (el, ctx) => {
  let days = 14;
  let points: IndexPoint[] | undefined;
  let error: string | undefined;
  const body = h('div', {});

  const draw = () => {
    if (error) return clear(body, h('p', { class: 'error' }, error));
    if (!points) return clear(body, h('p', {}, t('common.loading')));
    const daily = points.filter((p) => p.resolution === 'day');
    const end = daily.reduce((m, p) => Math.max(m, p.ts), 0) + DAY;
    const from = end - days * DAY;
    const inRange = daily.filter((p) => p.ts >= from && p.ts < end);
    // Every chain of the registry, with or without data yet.
    const chains = [...new Set([...[...ctx.store.enterprises.values()].flatMap((e) => e.chains), ...daily.filter((p) => p.scope === 'chain').map((p) => p.entity)])].sort();
    const counties = [...new Set([...[...ctx.store.enterprises.values()].map((e) => e.county), ...daily.filter((p) => p.scope === 'county').map((p) => p.entity)])].sort();
    const of = (scope: 'chain' | 'county', id: string, f = from, to = end) => inRange.concat(f < from ? daily.filter((p) => p.ts >= f && p.ts < from) : [])
      .filter((p) => p.scope === scope && p.entity === id && p.ts >= f && p.ts < to);
    const barChart = (scope: 'chain' | 'county', ids: string[], name: (id: string) => string) => {
      const div = h('div', { class: 'chart short', 'data-testid': `index-${scope}` });
      const values = ids.map((id) => indexOf(of(scope, id)));
      void import('../charts.js').then(({ chart }) => chart(div, {
        animation: false, grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? fmtNum(v, 1) : '—') },
        xAxis: { type: 'value', min: 0, max: (m) => Math.max(120, Math.ceil(m.max / 10) * 10) },
        yAxis: { type: 'category', data: ids.map(name), inverse: true },
        series: [{ type: 'bar', data: values.map((v) => ({ value: v === null ? null : Math.round(v * 10) / 10, itemStyle: { color: v !== null && v < 90 ? COLORS.bad : COLORS.good } })),
          markLine: { symbol: 'none', silent: true, data: [{ xAxis: 100 }], lineStyle: { color: '#999' }, label: { formatter: '100' } } }],
      }));
      return div;
    };
    const dayList: number[] = [];
    for (let d = from; d < end; d += DAY) dayList.push(d);
    const heat = h('table', { class: 'heat', 'data-testid': 'heat' },
      h('thead', {}, h('tr', {}, h('th', {}, t('scope.chain')), dayList.map((d) => h('th', {}, fmtDay(d))), h('th', {}, t('economy.weekVsLast')), h('th', {}, t('economy.lastYear')))),
      h('tbody', {}, chains.map((c) => {
        const byDay = new Map(of('chain', c).map((p) => [dayKey(p.ts), p.index]));
        const thisWeek = indexOf(of('chain', c, end - 7 * DAY, end));
        const lastWeek = indexOf(daily.filter((p) => p.scope === 'chain' && p.entity === c && p.ts >= end - 14 * DAY && p.ts < end - 7 * DAY));
        const lastYear = indexOf(daily.filter((p) => p.scope === 'chain' && p.entity === c && p.ts >= end - 371 * DAY && p.ts < end - 364 * DAY));
        return h('tr', { 'data-chain': c }, h('th', {}, chainName(c)),
          dayList.map((d) => {
            const v = byDay.get(dayKey(d + DAY / 2));
            return h('td', { class: 'num', style: `background:${heatColor(v ?? null)}` }, v === undefined ? '' : fmtNum(v, 0));
          }),
          h('td', { class: 'num' }, thisWeek === null ? '—' : fmtNum(thisWeek, 0), ' / ', lastWeek === null ? '—' : fmtNum(lastWeek, 0)),
          h('td', { class: 'num muted' }, lastYear === null ? t('economy.noLastYear') : fmtNum(lastYear, 0)));
      })));
    // Enterprises pulling each chain down: open enterprise drops and chain-disruption contributors.
    const alerts = ctx.store.all().filter((a) => a.status === 'open');
    const pulling = chains.map((c) => {
      const ents = new Map<string, number>();
      for (const a of alerts) {
        if (a.scope === 'enterprise' && (a.kind === 'production_halt' || a.kind === 'production_cut' || a.kind === 'slow_decline') && areasOf(a, ctx.store.enterprises).chains.has(c)) ents.set(a.entity, Math.max(ents.get(a.entity) ?? 0, a.dropPct));
        if (a.kind === 'chain_disruption' && a.entity === c) for (const k of a.contributors) ents.set(k.enterprise, Math.max(ents.get(k.enterprise) ?? 0, k.share * 100));
      }
      return [c, [...ents].sort((x, y) => y[1] - x[1])] as const;
    }).filter(([, e]) => e.length);
    const slowdowns = alerts.filter((a) => a.kind === 'county_slowdown');
    clear(body,
      h('div', { class: 'cols' },
        h('section', { class: 'card' }, h('h2', {}, t('economy.byChain')), barChart('chain', chains, chainName)),
        h('section', { class: 'card' }, h('h2', {}, t('economy.byCounty')), barChart('county', counties, countyName))),
      h('section', { class: 'card' }, h('h2', {}, t('economy.heat')), h('div', { class: 'scroll' }, heat)),
      h('div', { class: 'cols' },
        h('section', { class: 'card' }, h('h2', {}, t('economy.pulling')), pulling.length ? h('ul', {}, pulling.map(([c, ents]) => h('li', {}, h('b', {}, chainName(c)), ': ',
          ents.flatMap(([id, v], i) => [i ? '、' : '', h('a', { href: `#/enterprise/${encodeURIComponent(id)}` }, ctx.store.enterprises.get(id)?.name || id), ` −${fmtNum(v, 0)}%`])))) : h('p', { class: 'muted' }, t('economy.none'))),
        h('section', { class: 'card' }, h('h2', {}, t('economy.slowdowns')), slowdowns.length ? h('ul', {}, slowdowns.map((a) => h('li', {},
          h('a', { href: `#/alert/${encodeURIComponent(a.id)}` }, countyName(a.entity)), ` −${fmtNum(a.dropPct, 1)}%`))) : h('p', { class: 'muted' }, t('economy.none')))),
    );
  };

  el.append(h('h1', {}, t('economy.title'), ' ', h('small', { class: 'muted' }, t('economy.hint'))),
    h('div', { class: 'chips' }, RANGES.map((d) => h('button', { type: 'button', class: d === days ? 'chip active' : 'chip', onclick: (e) => {
      days = d;
      for (const b of (e.target as HTMLElement).parentElement!.children) b.classList.toggle('active', b === e.target);
      draw();
    } }, t('economy.days', { count: d })))), body);
  draw();
  ctx.client.productionIndex().then((p) => {
    points = p;
    draw();
  }, (err: Error) => {
    error = t('common.error', { message: err.message });
    draw();
  });
  return ctx.store.subscribe(() => points && draw());
};
