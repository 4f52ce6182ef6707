import type { InboxAlert, Series } from '../api.js';
import { COLORS } from '../colors.js';
import { h, clear } from '../dom.js';
import { chainName, fmtDateTime, fmtNum, t } from '../i18n.js';
import type { Ctx, Page } from '../main.js';
import { areasOf } from '../store.js';
import { entityLabel } from './inbox.js';

const HOUR = 3_600_000;

/**
 * Actual and expected per interval, with the gap between them shaded as the missing energy. Where
 * the analyzer judged the interval, expected is what it compared (so the shade is what the detector
 * found missing); elsewhere the 3-week median, drawn and labelled apart. A series from an older
 * API without expectedBasis counts as median.
 */
export async function consumptionChart(el: HTMLElement, s: Series, markTs?: number): Promise<void> {
  const { chart } = await import('../charts.js');
  const pts = s.points;
  const xs = pts.map((p) => p.ts);
  const actual = pts.map((p) => p.actualKwh);
  const judged = pts.map((p) => (p.expectedBasis === 'judged' ? p.expectedKwh : null));
  const median = pts.map((p) => (p.expectedBasis === 'judged' ? null : p.expectedKwh));
  const hasMedian = median.some((v) => v !== null);
  el.dataset.judged = String(judged.filter((v) => v !== null).length);
  const floor = pts.map((p) => (p.actualKwh === null || p.expectedKwh === null ? null : Math.min(p.actualKwh, p.expectedKwh)));
  const gap = pts.map((p) => (p.actualKwh === null || p.expectedKwh === null ? null : Math.max(0, p.expectedKwh - p.actualKwh)));
  el.dataset.points = String(actual.filter((v) => v !== null).length);
  chart(el, {
    animation: false,
    grid: { left: 56, right: 16, top: 36, bottom: 48 },
    legend: { type: 'scroll', data: [t('detail.actual'), t('detail.expected'), ...(hasMedian ? [t('detail.expectedMedian')] : []), t('detail.missing')], top: 0 },
    tooltip: { trigger: 'axis', valueFormatter: (v) => (typeof v === 'number' ? `${fmtNum(v, 1)} kWh` : '—') },
    xAxis: { type: 'category', data: xs.map((x) => fmtDateTime(x)), axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', name: 'kWh' },
    dataZoom: [{ type: 'inside' }],
    series: [
      { name: 'floor', type: 'line', data: floor, stack: 'gap', symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false }, silent: true },
      { name: t('detail.missing'), type: 'line', data: gap, stack: 'gap', symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: COLORS.missing }, itemStyle: { color: COLORS.missing } },
      { name: t('detail.expected'), type: 'line', data: judged, symbol: 'none', lineStyle: { type: 'dashed', color: COLORS.expected }, itemStyle: { color: COLORS.expected } },
      { name: t('detail.expectedMedian'), type: 'line', data: median, symbol: 'none', lineStyle: { type: 'dotted', color: COLORS.expected, opacity: 0.7 }, itemStyle: { color: COLORS.expected } },
      { name: t('detail.actual'), type: 'line', data: actual, symbol: 'none', lineStyle: { color: COLORS.actual, width: 2 }, itemStyle: { color: COLORS.actual },
        ...(markTs !== undefined ? { markLine: { symbol: 'none', silent: true, data: [{ xAxis: fmtDateTime(Math.floor(markTs / s.stepMs) * s.stepMs) }], lineStyle: { color: '#999' }, label: { show: false } } } : {}) },
    ],
  });
}

function evidenceWords(a: InboxAlert, label: string): string[] {
  const e = a.evidence;
  const lines = [t('detail.words', { since: fmtDateTime(a.since), entity: label, drop: fmtNum(a.dropPct, 1), actual: fmtNum(a.actualKwh, 1), baseline: fmtNum(a.baselineKwh, 1), intervals: e.intervals })];
  const extra: string[] = [];
  if (e.nearZeroRun) extra.push(`near-zero run ${e.nearZeroRun}`);
  if (e.cusum !== undefined) extra.push(`CUSUM ${fmtNum(e.cusum, 2)}`);
  if (e.noise !== undefined) extra.push(`σ/E ${fmtNum(e.noise, 2)}`);
  if (e.lastSeenTs) extra.push(`last seen ${fmtDateTime(e.lastSeenTs)}`);
  if (e.meters?.length) extra.push(`${t('scope.meter')}: ${e.meters.slice(0, 10).join(', ')}${e.meters.length > 10 ? ' …' : ''}`);
  if (e.gateways?.length) extra.push(`${t('scope.gateway')}: ${e.gateways.slice(0, 10).join(', ')}`);
  if (e.reason) extra.push(e.reason);
  if (extra.length) lines.push(extra.join(' · '));
  return lines;
}

const CHANGE_LABEL: Record<string, string> = { opened: 'detail.opened', updated: 'detail.updated', escalated: 'detail.escalated', acknowledged: 'state.acknowledged', resolved: 'detail.resolvedEv', withdrawn: 'detail.withdrawnEv', suppressed: 'state.suppressed', reopened: 'detail.reopened' };

/** v2 gives every change with who and the comment; v1 only what the alert itself carries. */
function history(a: InboxAlert): HTMLElement {
  const items: [number, string, string?][] = [];
  if (a.history?.length) {
    for (const e of a.history) items.push([e.at, t(CHANGE_LABEL[e.change] ?? 'detail.updated'), [e.actor && e.actor !== 'analyzer' ? e.actor : '', e.comment ?? ''].filter(Boolean).join(': ') || undefined]);
  } else {
    items.push([a.openedAt, t('detail.opened')]);
    if (a.evidence.reclassifiedAt) items.push([a.evidence.reclassifiedAt, t('detail.updated')]);
    if (a.acknowledged) items.push([a.acknowledged.at, t('state.acknowledged'), `${a.acknowledged.by}${a.acknowledged.comment ? `: ${a.acknowledged.comment}` : ''}`]);
    if (a.status === 'resolved') items.push([a.resolvedBy?.at ?? a.updatedAt, t('detail.resolvedEv'), a.resolvedBy ? `${a.resolvedBy.by}: ${a.resolvedBy.comment ?? ''}` : a.evidence.reason]);
    if (a.status === 'withdrawn') items.push([a.updatedAt, t('detail.withdrawnEv'), a.evidence.reason]);
  }
  if (a.suppressedBy) items.push([a.suppressedBy.startsAt, t('state.suppressed'), `${a.suppressedBy.createdBy}: ${a.suppressedBy.reason}`]);
  return h('ol', { class: 'history', 'data-testid': 'history' }, items.map(([ts, what, note]) => h('li', {}, h('time', {}, fmtDateTime(ts)), ' ', h('b', {}, what), note ? ` — ${note}` : '')));
}

/** Acknowledge, resolve with a comment, suppress: shown to analysts only; the last two need the v2 API. */
function actions(ctx: Ctx, a: InboxAlert, onDone: (a?: InboxAlert) => void): HTMLElement | null {
  if (!ctx.canWrite) return null;
  const v2 = ctx.client.flavor() === 'v2';
  const who = h('input', { name: 'by', maxlength: 100, required: !v2, placeholder: t('detail.who'), 'aria-label': t('detail.who') });
  const note = h('input', { name: 'note', maxlength: 2000, placeholder: t('detail.comment'), 'aria-label': t('detail.comment') });
  const msg = h('p', { class: 'muted', role: 'status' });
  const hours = h('select', { name: 'hours', 'aria-label': t('detail.hours') }, [4, 8, 24, 72].map((n) => h('option', { value: n }, t('detail.forHours', { count: n }))));
  const run = (btn: HTMLButtonElement, p: () => Promise<InboxAlert | undefined>) => {
    btn.disabled = true;
    p().then(onDone, (err: Error) => {
      msg.textContent = t('common.error', { message: err.message });
      btn.disabled = false;
    });
  };
  const ack = h('button', { type: 'submit', class: 'primary', 'data-action': 'ack', disabled: a.state !== 'open' }, t('detail.ack'));
  const off = v2 ? undefined : t('detail.notOffered');
  const resolve = h('button', { type: 'button', 'data-action': 'resolve', disabled: !v2 || a.state === 'resolved' || a.state === 'withdrawn', title: off, onclick: () => {
    if (!note.value.trim()) return void (msg.textContent = t('detail.needComment'));
    run(resolve, () => ctx.client.resolve(a.id, who.value.trim(), note.value.trim()));
  } }, t('detail.resolve'));
  const scope = a.scope === 'chain' || a.scope === 'county' ? a.scope : 'enterprise';
  const entity = a.scope === 'meter' || a.scope === 'gateway' ? a.contributors[0]?.enterprise : a.entity;
  const suppress = h('button', { type: 'button', 'data-action': 'suppress', disabled: !v2 || !entity, title: off, onclick: () => {
    if (!note.value.trim()) return void (msg.textContent = t('detail.needComment'));
    run(suppress, async () => {
      await ctx.client.suppress(scope, entity!, Number(hours.value), note.value.trim());
      msg.textContent = t('detail.suppressed', { count: Number(hours.value) });
      return undefined;
    });
  } }, t('detail.suppress'));
  return h('form', { class: 'actions card', 'data-testid': 'actions', onsubmit: (e) => {
    e.preventDefault();
    run(ack, () => ctx.client.acknowledge(a.id, who.value.trim(), note.value.trim() || undefined));
  } }, who, note, ack, resolve, hours, suppress, msg);
}

export const renderDetail: Page = (el, ctx, id) => {
  const { store } = ctx;
  let drawnFor: string | undefined;
  const draw = () => {
    const a = id ? store.get(id) : undefined;
    if (!a) return clear(el, h('p', {}, store.loaded ? t('inbox.empty') : t('common.loading')));
    const key = `${a.updatedAt}|${a.state}|${a.acknowledged?.at ?? ''}|${a.history?.length ?? ''}`;
    if (key === drawnFor) return;
    drawnFor = key;
    const chartEl = h('div', { class: 'chart', 'data-testid': 'detail-chart' });
    const label = entityLabel(a, store.enterprises.get(a.entity)?.name);
    const areas = areasOf(a, store.enterprises);
    const parent = a.parentId ? store.get(a.parentId) : undefined;
    clear(el,
      h('a', { href: '#/inbox', class: 'back' }, `← ${t('detail.back')}`),
      h('h1', { 'data-alert-id': a.id }, `${t(`kind.${a.kind}`)} · ${label} `, h('span', { class: `state s-${a.state}`, 'data-testid': 'state' }, t(`state.${a.state}`))),
      h('p', { class: 'links' },
        a.scope === 'enterprise' ? h('a', { href: `#/enterprise/${encodeURIComponent(a.entity)}` }, t('detail.enterprise')) : null,
        [...areas.chains].map((c) => h('a', { href: '#/economy' }, `${t('detail.chain')}: ${chainName(c)}`)),
        parent ? h('a', { href: `#/alert/${encodeURIComponent(parent.id)}` }, `${t('detail.parent')}: ${entityLabel(parent)}`) : null),
      actions(ctx, a, (updated) => {
        if (updated) store.replace(updated);
        // v2: re-read the alert with its history, which now has this change.
        void ctx.client.alert(a.id).then((full) => full && store.replace(full), () => undefined);
      }),
      h('section', { class: 'card' }, h('h2', {}, t('detail.chart')), chartEl),
      h('div', { class: 'cols' },
        h('section', { class: 'card' }, h('h2', {}, t('detail.evidence')), evidenceWords(a, label).map((l) => h('p', {}, l))),
        h('section', { class: 'card' }, h('h2', {}, t('detail.history')), history(a))),
      a.contributors.length ? h('section', { class: 'card' }, h('h2', {}, t('detail.contributors')), h('div', { class: 'scroll' }, h('table', { 'data-testid': 'contributors' },
        h('thead', {}, h('tr', {}, h('th', {}, t('scope.enterprise')), h('th', {}, t('detail.share')), h('th', {}, t('detail.missingKwh')))),
        h('tbody', {}, a.contributors.map((c) => h('tr', {},
          h('td', {}, h('a', { href: `#/enterprise/${encodeURIComponent(c.enterprise)}` }, store.enterprises.get(c.enterprise)?.name || c.enterprise)),
          h('td', { class: 'num' }, h('span', { class: 'bar', style: `--w:${Math.round(c.share * 100)}%` }), `${fmtNum(c.share * 100, 0)}%`),
          h('td', { class: 'num' }, fmtNum(c.missingKwh, 1)))))))) : null,
    );
    // The chart is of the alert's own entity: a meter's or gateway's consumption for offline alerts.
    const end = Math.max(a.evidence.detectedAtTs, a.since) + 12 * HOUR;
    ctx.client.series(a.scope, a.entity, { from: a.since - 24 * HOUR, to: end }).then((s) => consumptionChart(chartEl, s, a.since)).catch(
      (err: Error) => chartEl.replaceChildren(h('p', { class: 'error' }, t('common.error', { message: err.message }))));
  };
  draw();
  // v2: the alert with its full history (who, when, comment), merged into the store.
  if (id) ctx.client.alert(id).then((full) => full && store.replace(full), () => undefined);
  return store.subscribe(draw);
};
