import { h, clear } from '../dom.js';
import { chainName, countyName, fmtDateTime, fmtNum, t } from '../i18n.js';
import type { Page } from '../main.js';
import { consumptionChart } from './detail.js';

export const renderEnterprise: Page = (el, ctx, id) => {
  if (!id) return;
  clear(el, h('p', {}, t('common.loading')));
  const fail = (err: Error) => clear(el, h('p', { class: 'error' }, t('common.error', { message: err.message })));
  ctx.client.enterprise(id).then((e) => {
    const chartEl = h('div', { class: 'chart', 'data-testid': 'enterprise-chart' });
    const completeness = h('div', { class: 'scroll' }, t('common.loading'));
    const alerts = ctx.store.all().filter((a) => a.entity === id || a.contributors.some((c) => c.enterprise === id)).sort((x, y) => y.since - x.since);
    clear(el,
      h('h1', {}, e.name || e.id, ' ', h('small', { class: 'muted' }, `${e.id} · ${countyName(e.county)} · ${e.chains.map(chainName).join('、')}`)),
      h('section', { class: 'card' }, h('h2', {}, t('enterprise.load')), chartEl),
      h('div', { class: 'cols' },
        h('section', { class: 'card' }, h('h2', {}, t('enterprise.completeness')), completeness),
        h('section', { class: 'card' }, h('h2', {}, t('enterprise.alerts')), alerts.length ? h('ul', { 'data-testid': 'enterprise-alerts' }, alerts.map((a) => h('li', {},
          h('a', { href: `#/alert/${encodeURIComponent(a.id)}` }, t(`kind.${a.kind}`)), ` ${fmtDateTime(a.since)} −${fmtNum(a.dropPct, 1)}% · ${t(`state.${a.state}`)}`))) : h('p', { class: 'muted' }, t('enterprise.none')))),
      h('section', { class: 'card' }, h('h2', {}, t('enterprise.shutdowns')), e.plannedShutdowns.length ? h('ul', {}, e.plannedShutdowns.map((s) => h('li', {},
        `${fmtDateTime(Date.parse(s.start))} – ${fmtDateTime(Date.parse(s.end))}${s.reason ? ` · ${s.reason}` : ''}`))) : h('p', { class: 'muted' }, t('enterprise.none'))),
    );
    ctx.client.series('enterprise', id, { spanMs: 7 * 86_400_000, stepMs: 3_600_000 }).then((s) => consumptionChart(chartEl, s)).catch((err: Error) => chartEl.replaceChildren(h('p', { class: 'error' }, err.message)));
    ctx.client.completeness(id).then((c) => {
      const gw = new Map(e.meters.map((m) => [m.id, m]));
      clear(completeness, h('table', { 'data-testid': 'meters' },
        h('thead', {}, h('tr', {}, h('th', {}, t('enterprise.meters')), h('th', {}, t('enterprise.gateway')), h('th', {}, t('enterprise.ct')), h('th', {}, t('enterprise.readings')), h('th', {}, '%'))),
        h('tbody', {}, c.meters.map((m) => h('tr', {}, h('td', {}, m.meter), h('td', {}, gw.get(m.meter)?.gateway ?? ''), h('td', { class: 'num' }, fmtNum(gw.get(m.meter)?.ctMultiplier ?? 1)),
          h('td', { class: 'num' }, `${fmtNum(m.readings)} / ${fmtNum(m.expected)}`),
          h('td', { class: 'num' }, h('span', { class: 'bar', style: `--w:${Math.round(m.ratio * 100)}%` }), `${fmtNum(m.ratio * 100, 1)}%`))))));
    }, (err: Error) => clear(completeness, h('p', { class: 'error' }, err.message)));
  }, fail);
};
