import type { Dashboard } from '@grafana/schema';
import { INDEX_STEPS, customVariable, dashLink, dashboard, drill, influx, row, stat, steps, table, tagVariable, timeseries } from './kit.js';
import { alerts, alertsOf, expectedKw, groupIndex, loadKw, metersKnown, metersReporting, productionIndex, shortfall } from './queries.js';
import { UID } from './uids.js';

type Kind = 'county' | 'chain';
const NAMES: Record<Kind, { zh: string; en: string; other: Kind; otherZh: string; otherEn: string }> = {
  county: { zh: '区县', en: 'County', other: 'chain', otherZh: '产业链', otherEn: 'chain' },
  chain: { zh: '产业链', en: 'Chain', other: 'county', otherZh: '区县', otherEn: 'county' },
};

/**
 * County (区县) and Chain (产业链) dashboards: one area, its enterprises ranked by shortfall against what
 * the analyzer expected (click one for its Enterprise dashboard), its index, its alerts. The chain
 * dashboard adds the supply stage (upstream/midstream/downstream).
 */
export function area(kind: Kind): Dashboard {
  const n = NAMES[kind];
  const o = n.other;
  const where = `"${kind}" =~ /^$${kind}$/ AND "${o}" =~ /^$${o}$/`;
  const enterpriseLink = drill('打开企业 Open enterprise ${__data.fields.enterprise}', UID.enterprise, {
    county: '${__data.fields.county}', chain: '${__data.fields.chain}', enterprise: '${__data.fields.enterprise}',
  });
  const otherUid = o === 'county' ? UID.county : UID.chain;
  return dashboard({
    uid: kind === 'county' ? UID.county : UID.chain, title: `GridPulse · ${n.zh} ${n.en}`, tags: [kind],
    description: `One ${kind}: load against expected, production index, its enterprises ranked by shortfall, its alerts. Click an enterprise to drill down.`,
    variables: [
      tagVariable(kind, `${n.zh} ${n.en}`, `SHOW TAG VALUES FROM "reading" WITH KEY = "${kind}"`),
      tagVariable(o, `${n.otherZh} ${n.otherEn[0]!.toUpperCase()}${n.otherEn.slice(1)}`, `SHOW TAG VALUES FROM "reading" WITH KEY = "${o}" WHERE "${kind}" =~ /^$${kind}$/`, { multi: true, all: true, allValue: '.*' }),
      // Every enterprise of the area (All = the list itself, not .*): the alerts about them.
      tagVariable('ent', '企业 Enterprises', `SHOW TAG VALUES FROM "reading" WITH KEY = "enterprise" WHERE "${kind}" =~ /^$${kind}$/`, { multi: true, all: true, hide: true }),
      customVariable('resolution', '指数粒度 Index resolution', ['hour', 'day']),
    ],
    annotationWhere: alertsOf(kind, 'ent'),
    links: [dashLink('全市 City', UID.city), dashLink(`${n.otherZh} ${n.otherEn}`, otherUid), dashLink('企业 Enterprise', UID.enterprise)],
    panels: [
      row(1, `$${kind}`, 0),
      timeseries({
        id: 2, title: `${n.zh}负荷与预期 · ${n.en} load vs expected`, grid: { x: 0, y: 1, w: 12, h: 9 }, unit: 'kwatt', min: 0, interval: '15m',
        description: 'actual: kW from the energy registers; expected_kw / judged_kw: the analyzer\'s expected value and the actual it judged (enterprise_expected).',
        targets: [influx(loadKw(where), { alias: '实际 actual (register)' }), influx(expectedKw(where), { refId: 'B', alias: '$col' })],
      }),
      timeseries({
        id: 3, title: `生产指数 · Production index ($${kind})`, grid: { x: 12, y: 1, w: 12, h: 9 }, unit: 'none', min: 0, interval: '1h', thresholds: INDEX_STEPS, thresholdLine: true,
        description: `The analyzer's production index of the ${kind} (production_index, resolution $resolution). Under 80: well below a normal interval of its calendar day.`,
        targets: [influx(productionIndex(kind, kind), { alias: '$tag_entity' })],
      }),
      table({
        id: 4, title: `企业缺口排名 · Enterprises ranked by shortfall`, grid: { x: 0, y: 10, w: 14, h: 10 }, unit: 'kwatth', decimals: 0,
        description: 'Energy missing against what the analyzer expected (expected − actual, kWh) over the time range, and index (100 × actual ÷ expected). Click a row to open the enterprise.',
        links: [enterpriseLink], sortBy: [{ displayName: 'shortfall_kwh', desc: true }],
        overrides: [{ matcher: { id: 'byName', options: 'index' }, properties: [{ id: 'unit', value: 'none' }, { id: 'decimals', value: 1 }, { id: 'thresholds', value: INDEX_STEPS }, { id: 'custom.cellOptions', value: { type: 'color-background' } }] }],
        targets: [influx(shortfall(where), { table: true })],
      }),
      kind === 'chain'
        ? timeseries({
          id: 5, title: '生产指数（按环节）· Index by stage', grid: { x: 14, y: 10, w: 10, h: 10 }, unit: 'none', min: 0, interval: '1h', thresholds: INDEX_STEPS, thresholdLine: true,
          description: 'Upstream, midstream and downstream members: a disruption usually shows first where it starts (a supplier stops, its customers follow).',
          targets: [influx(groupIndex(where, 'stage'), { alias: '$tag_stage' })],
        })
        : timeseries({
          id: 5, title: '生产指数（按产业链）· Index by chain', grid: { x: 14, y: 10, w: 10, h: 10 }, unit: 'none', min: 0, interval: '1h', thresholds: INDEX_STEPS, thresholdLine: true,
          description: 'The county\'s enterprises grouped by chain, from the analyzer\'s expected values. Click a series to open the chain.',
          links: [drill('打开产业链 Open chain ${__field.labels.chain}', UID.chain, { chain: '${__field.labels.chain}', resolution: '${resolution}' })],
          targets: [influx(groupIndex(where, 'chain'), { alias: '$tag_chain' })],
        }),
      timeseries({
        id: 6, title: `负荷（按${n.otherZh}）· Load by ${n.otherEn}`, grid: { x: 0, y: 20, w: 12, h: 9 }, unit: 'kwatt', min: 0, interval: '15m', stack: true,
        description: `kW per ${o} within the ${kind}, stacked.`,
        targets: [influx(loadKw(where, o), { alias: `$tag_${o}` })],
      }),
      stat({
        id: 7, title: '数据完整性 · Meters reporting / seen', grid: { x: 12, y: 20, w: 4, h: 9 }, unit: 'none', decimals: 0, interval: '15m',
        description: 'Meters with a reading in the latest interval, and in the time range.',
        targets: [influx(metersReporting(where), { alias: '上报 reporting' }), influx(metersKnown(where), { refId: 'B', alias: '已知 known' })],
      }),
      table({
        id: 8, title: `告警 · Alerts ($${kind})`, grid: { x: 16, y: 20, w: 8, h: 9 }, unit: 'none',
        description: `Alert changes in range about the ${kind} or one of its enterprises, with their status.`,
        sortBy: [{ displayName: 'drop_pct', desc: true }],
        overrides: [{ matcher: { id: 'byName', options: 'drop_pct' }, properties: [{ id: 'unit', value: 'percent' }, { id: 'thresholds', value: steps(['green', null], ['orange', 30], ['red', 60]) }, { id: 'custom.cellOptions', value: { type: 'color-background' } }] }],
        targets: [influx(alerts(alertsOf(kind, 'ent')), { table: true })],
      }),
    ],
  });
}
