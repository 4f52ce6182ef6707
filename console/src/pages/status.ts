import type { ChannelState, MetricValue, PipelineState } from '../api.js';
import { h, clear } from '../dom.js';
import { fmtDateTime, fmtNum, t } from '../i18n.js';
import type { Page } from '../main.js';

const POLL_MS = 5000;
const sum = (vs: MetricValue[] | undefined) => (vs ?? []).reduce((s, v) => s + v.value, 0);

export const renderStatus: Page = (el, ctx) => {
  const body = h('div', {}, t('common.loading'));
  el.append(h('h1', {}, t('status.title')), body);
  let prev: PipelineState | undefined;
  let stopped = false;

  const draw = (s: PipelineState, channels: ChannelState[] | undefined) => {
    const m = s.metrics;
    const accepted = sum(m.gridpulse_readings_accepted_total);
    const rate = prev ? Math.max(0, (accepted - sum(prev.metrics.gridpulse_readings_accepted_total)) / ((s.at - prev.at) / 1000)) : null;
    const rejects = (m.gridpulse_readings_rejected_total ?? []).filter((v) => v.value > 0).sort((a, b) => b.value - a.value);
    const influxUp = sum(m.gridpulse_influx_up) > 0 && s.readiness.checks.influx?.connected !== false;
    const listening = s.readiness.checks.broker?.listening ?? {};
    const tile = (label: string, value: string, cls = '', testid?: string) => h('div', { class: `tile ${cls}`, ...(testid ? { 'data-testid': testid } : {}) }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
    clear(body,
      h('p', { class: s.readiness.ready ? 'ok' : 'error', 'data-testid': 'ready' }, s.readiness.ready ? t('status.ready') : t('status.notReady'), ' · ', fmtDateTime(s.at)),
      s.readiness.reasons.length ? h('ul', { class: 'error' }, s.readiness.reasons.map((r) => h('li', {}, r))) : null,
      h('div', { class: 'tiles' },
        tile(t('status.gateways'), fmtNum(sum(m.gridpulse_mqtt_connections)), '', 'gateways'),
        tile(t('status.rate'), rate === null ? '…' : fmtNum(rate, 1), '', 'rate'),
        tile(t('status.accepted'), fmtNum(accepted)),
        tile(t('status.spool'), fmtNum(sum(m.gridpulse_spool_depth_readings)), sum(m.gridpulse_spool_full) ? 'bad' : ''),
        tile(t('status.influx'), influxUp ? t('status.up') : t('status.down'), influxUp ? 'good' : 'bad', 'influx'),
        tile(t('status.alertsOpened'), fmtNum(sum(m.gridpulse_alerts_total)))),
      h('p', { class: 'muted' }, t('status.registry', s.registry)),
      h('div', { class: 'cols' },
        h('section', { class: 'card' }, h('h2', {}, t('status.rejects')), rejects.length ? h('table', {}, h('tbody', {}, rejects.map((r) => h('tr', {}, h('td', {}, String(r.labels.reason ?? '')), h('td', { class: 'num' }, fmtNum(r.value))))))
          : h('p', { class: 'muted' }, t('status.noRejects'))),
        h('section', { class: 'card' }, h('h2', {}, t('status.channels')), h('table', { 'data-testid': 'channels' }, h('tbody', {},
          h('tr', {}, h('td', {}, t('status.mqtt')), h('td', {}, listening.tcp ? `${t('status.listening')} :${listening.tcp}` : t('status.down'))),
          h('tr', {}, h('td', {}, t('status.sse')), h('td', {}, ctx.store.live ? t('app.live') : t('app.offline'))),
          (channels ?? []).map((c) => h('tr', { 'data-channel': c.name }, h('td', {}, `${c.name} (${c.type})`),
            h('td', { class: c.failingSince ? 'error' : '' }, c.failingSince
              ? t('status.failing', { since: fmtDateTime(c.failingSince), error: c.lastError ?? '' })
              : t('status.delivered', { delivered: fmtNum(c.delivered), queued: fmtNum(c.queued) })))))))),
    );
    prev = s;
  };
  const poll = async () => {
    if (stopped) return;
    try {
      // Delivery channels' own state exists with the v2 alert API only.
      const [s, channels] = await Promise.all([ctx.client.pipeline(), ctx.client.flavor() === 'v2' ? ctx.client.channels() : Promise.resolve(undefined)]);
      draw(s, channels);
    } catch (err) {
      clear(body, h('p', { class: 'error' }, t('common.error', { message: (err as Error).message })));
    }
    if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
