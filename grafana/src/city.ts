import type { Dashboard } from '@grafana/schema';
import { INDEX_STEPS, customVariable, dashLink, dashboard, drill, influx, row, stat, steps, table, tagVariable, timeseries } from './kit.js';
import { alerts, expectedKw, loadKw, metersKnown, metersReporting, productionIndex } from './queries.js';
import { UID } from './uids.js';

const AREA = `"county" =~ /^$county$/ AND "chain" =~ /^$chain$/`;

/** City overview (全市概览): what the whole city draws against what the analyzer expected, and where it falls short. */
export function city(): Dashboard {
  return dashboard({
    uid: UID.city, title: 'GridPulse · 全市概览 City overview', tags: ['city'],
    description: 'Industrial load of the city against the analyzer\'s expectation, by county and chain; alerts; data completeness. Click a county or chain to drill down.',
    variables: [
      tagVariable('county', '区县 County', 'SHOW TAG VALUES FROM "reading" WITH KEY = "county"', { multi: true, all: true, allValue: '.*' }),
      tagVariable('chain', '产业链 Chain', 'SHOW TAG VALUES FROM "reading" WITH KEY = "chain" WHERE "county" =~ /^$county$/', { multi: true, all: true, allValue: '.*' }),
      customVariable('resolution', '指数粒度 Index resolution', ['hour', 'day']),
    ],
    annotationWhere: '',
    links: [dashLink('区县 County', UID.county), dashLink('产业链 Chain', UID.chain), dashLink('企业 Enterprise', UID.enterprise), dashLink('管道健康 Pipeline health', UID.health)],
    panels: [
      row(1, '全市 · City', 0),
      timeseries({
        id: 2, title: '全市工业负荷与预期 · Total industrial load vs expected', grid: { x: 0, y: 1, w: 16, h: 9 }, unit: 'kwatt', min: 0, interval: '15m',
        description: 'actual: mean kW per interval from the energy registers (primary side). expected_kw / judged_kw: what the analyzer expected and the actual it judged, for the enterprises it evaluated (enterprise_expected).',
        targets: [influx(loadKw(AREA), { alias: '实际 actual (register)' }), influx(expectedKw(AREA), { refId: 'B', alias: '$col' })],
      }),
      stat({
        id: 3, title: '数据完整性 · Meters reporting / seen', grid: { x: 16, y: 1, w: 8, h: 9 }, unit: 'none', decimals: 0, interval: '15m',
        description: 'reporting: meters with a reading in the latest interval; known: meters with a reading anywhere in the time range (InfluxDB holds no registry: /api/v1/meters lists the registered ones).',
        targets: [influx(metersReporting(AREA), { alias: '上报 reporting' }), influx(metersKnown(AREA), { refId: 'B', alias: '已知 known' })],
      }),
      row(4, '区县与产业链 · Counties and chains', 10),
      timeseries({
        id: 5, title: '负荷（按区县）· Load by county', grid: { x: 0, y: 11, w: 12, h: 9 }, unit: 'kwatt', min: 0, interval: '15m', stack: true,
        description: 'Mean kW per interval per county, stacked. Click a series to open its county.',
        links: [drill('打开区县 Open county ${__field.labels.county}', UID.county, { county: '${__field.labels.county}', resolution: '${resolution}' })],
        targets: [influx(loadKw(AREA, 'county'), { alias: '$tag_county' })],
      }),
      timeseries({
        id: 6, title: '负荷（按产业链）· Load by chain', grid: { x: 12, y: 11, w: 12, h: 9 }, unit: 'kwatt', min: 0, interval: '15m', stack: true,
        description: 'Mean kW per interval per industry chain (the enterprise\'s primary chain), stacked. Click a series to open its chain.',
        links: [drill('打开产业链 Open chain ${__field.labels.chain}', UID.chain, { chain: '${__field.labels.chain}', resolution: '${resolution}' })],
        targets: [influx(loadKw(AREA, 'chain'), { alias: '$tag_chain' })],
      }),
      timeseries({
        id: 7, title: '生产指数（按区县）· Production index by county', grid: { x: 0, y: 20, w: 12, h: 9 }, unit: 'none', min: 0, interval: '1h', thresholds: INDEX_STEPS, thresholdLine: true,
        description: 'The analyzer\'s production index (production_index): 100 × actual ÷ calendar-aware expected. Dashed lines: 80 (red below) and 95.',
        links: [drill('打开区县 Open county ${__field.labels.entity}', UID.county, { county: '${__field.labels.entity}', resolution: '${resolution}' })],
        targets: [influx(productionIndex('county', 'county'), { alias: '$tag_entity' })],
      }),
      timeseries({
        id: 8, title: '生产指数（按产业链）· Production index by chain', grid: { x: 12, y: 20, w: 12, h: 9 }, unit: 'none', min: 0, interval: '1h', thresholds: INDEX_STEPS, thresholdLine: true,
        description: 'As by county, per chain. A chain low while its counties are not is a chain signal.',
        links: [drill('打开产业链 Open chain ${__field.labels.entity}', UID.chain, { chain: '${__field.labels.entity}', resolution: '${resolution}' })],
        targets: [influx(productionIndex('chain', 'chain'), { alias: '$tag_entity' })],
      }),
      row(9, '告警与数据 · Alerts and data', 29),
      table({
        id: 10, title: '未结告警 · Open alerts', grid: { x: 0, y: 30, w: 16, h: 9 }, unit: 'none',
        description: 'Alert changes in range written with status open (alert measurement); one written later as resolved also shows in the annotations. The live state is on the API (/api/v1/alerts).',
        sortBy: [{ displayName: 'drop_pct', desc: true }],
        overrides: [{ matcher: { id: 'byName', options: 'drop_pct' }, properties: [{ id: 'unit', value: 'percent' }, { id: 'thresholds', value: steps(['green', null], ['orange', 30], ['red', 60]) }, { id: 'custom.cellOptions', value: { type: 'color-background' } }] },
          { matcher: { id: 'byRegexp', options: '.*_kwh' }, properties: [{ id: 'unit', value: 'kwatth' }, { id: 'decimals', value: 0 }] }],
        targets: [influx(alerts('', 'open'), { table: true })],
      }),
      timeseries({
        id: 11, title: '上报表计数 · Meters reporting per interval', grid: { x: 16, y: 30, w: 8, h: 9 }, unit: 'none', min: 0, interval: '15m', bars: true,
        description: 'Meters with a reading in each interval. A dip: a gateway or a county off the air (see the pipeline-health dashboard).',
        targets: [influx(metersReporting(AREA), { alias: '上报 reporting' })],
      }),
    ],
  });
}
