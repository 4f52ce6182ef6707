import type { Dashboard } from '@grafana/schema';
import { INDEX_STEPS, dashLink, dashboard, influx, row, stat, statusHistory, steps, table, tagVariable, timeseries } from './kit.js';
import { EXPECTED, alerts, expectedKw, loadKw } from './queries.js';
import { UID } from './uids.js';

const ENT = `"enterprise" =~ /^$enterprise$/`;
const METERS = `${ENT} AND "meter" =~ /^$meter$/`;
const perMeter = (select: string) => `SELECT ${select} FROM "reading" WHERE $timeFilter AND ${METERS} GROUP BY time($__interval), "meter" fill(none)`;
const ALERTS_OF = `("entity" =~ /^$enterprise$/ OR "entity" =~ /^$meter$/)`;

/** Enterprise (企业): what the detector saw, meter by meter, and the enterprise's alert history. */
export function enterprise(): Dashboard {
  return dashboard({
    uid: UID.enterprise, title: 'GridPulse · 企业 Enterprise', tags: ['enterprise'],
    description: 'One enterprise: actual against the analyzer\'s expected value, its meters (register, power, voltage, power factor), data gaps and alert history.',
    variables: [
      tagVariable('county', '区县 County', 'SHOW TAG VALUES FROM "reading" WITH KEY = "county"', { multi: true, all: true, allValue: '.*' }),
      tagVariable('chain', '产业链 Chain', 'SHOW TAG VALUES FROM "reading" WITH KEY = "chain" WHERE "county" =~ /^$county$/', { multi: true, all: true, allValue: '.*' }),
      tagVariable('enterprise', '企业 Enterprise', 'SHOW TAG VALUES FROM "reading" WITH KEY = "enterprise" WHERE "county" =~ /^$county$/ AND "chain" =~ /^$chain$/'),
      // All = the enterprise's own meters (a list, not .*), so alerts about them match too.
      tagVariable('meter', '表计 Meter', 'SHOW TAG VALUES FROM "reading" WITH KEY = "meter" WHERE "enterprise" =~ /^$enterprise$/', { multi: true, all: true }),
    ],
    annotationWhere: ALERTS_OF,
    links: [dashLink('全市 City', UID.city), dashLink('区县 County', UID.county), dashLink('产业链 Chain', UID.chain)],
    panels: [
      row(1, '$enterprise', 0),
      timeseries({
        id: 2, title: '实际与预期 · Actual vs expected (as the analyzer judged)', grid: { x: 0, y: 1, w: 16, h: 9 }, unit: 'kwatt', min: 0, interval: '15m',
        description: 'expected_kw and judged_kw: the expected value and the actual the detector compared, interval by interval (enterprise_expected). actual (register): the same energy read from the meters, all of them.',
        targets: [influx(expectedKw(ENT), { alias: '$col' }), influx(loadKw(ENT), { refId: 'B', alias: '实际 actual (register)' })],
      }),
      stat({
        id: 3, title: '生产指数 · Index (range)', grid: { x: 16, y: 1, w: 8, h: 9 }, unit: 'none', decimals: 1, thresholds: INDEX_STEPS,
        description: '100 × actual ÷ expected over the time range, from the analyzer\'s values; and the energy it fell short by.',
        overrides: [{ matcher: { id: 'byFrameRefID', options: 'B' }, properties: [{ id: 'unit', value: 'kwatth' }, { id: 'decimals', value: 0 }, { id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } }] }],
        targets: [
          influx(`SELECT 100 * sum("actual_kwh") / sum("expected_kwh") AS "index" FROM "${EXPECTED}" WHERE $timeFilter AND ${ENT}`, { alias: '指数 index' }),
          influx(`SELECT sum("expected_kwh") - sum("actual_kwh") AS "shortfall_kwh" FROM "${EXPECTED}" WHERE $timeFilter AND ${ENT}`, { refId: 'B', alias: '缺口 shortfall kWh' }),
        ],
      }),
      row(4, '表计 · Meters', 10),
      timeseries({
        id: 5, title: '负荷（按表计）· Load by meter', grid: { x: 0, y: 11, w: 12, h: 8 }, unit: 'kwatt', min: 0, interval: '15m', stack: true,
        description: 'kW per meter from its energy register (primary side).',
        targets: [influx(loadKw(METERS, 'meter'), { alias: '$tag_meter' })],
      }),
      timeseries({
        id: 6, title: '电能表读数 · Register', grid: { x: 12, y: 11, w: 12, h: 8 }, unit: 'kwatth', interval: '15m',
        description: 'The cumulative register as each meter reports it (secondary side; × CT = primary). A step down: a rollover at 999999.99 or a meter swap.',
        targets: [influx(perMeter('last("register_kwh") AS "register_kwh"'), { alias: '$tag_meter' })],
      }),
      timeseries({
        id: 7, title: '有功功率 · Active power (reported)', grid: { x: 0, y: 19, w: 8, h: 8 }, unit: 'kwatt', min: 0, interval: '15m',
        description: 'power_kw as the meters report it (primary side).',
        targets: [influx(perMeter('mean("power_kw") AS "power_kw"'), { alias: '$tag_meter' })],
      }),
      timeseries({
        id: 8, title: '相电压 · Phase voltage', grid: { x: 8, y: 19, w: 8, h: 8 }, unit: 'volt', interval: '15m', thresholds: steps(['red', null], ['green', 198], ['red', 242]), thresholdLine: true,
        description: 'Phase voltages. Dashed: 220 V ± 10 % (198–242 V). One phase at 0 V while the others are normal: a fuse or wiring fault at the meter, not a production stop.',
        targets: [influx(perMeter('mean("voltage_a") AS "A", mean("voltage_b") AS "B", mean("voltage_c") AS "C"'), { alias: '$tag_meter $col' })],
      }),
      timeseries({
        id: 9, title: '功率因数 · Power factor', grid: { x: 16, y: 19, w: 8, h: 8 }, unit: 'none', min: 0, max: 1, decimals: 2, interval: '15m', thresholds: steps(['red', null], ['orange', 0.85], ['green', 0.9]), thresholdLine: true,
        description: 'Under 0.9 the utility charges a power-factor penalty in most provinces; under 0.85 check the compensation capacitors.',
        targets: [influx(perMeter('mean("pf") AS "pf"'), { alias: '$tag_meter' })],
      }),
      statusHistory({
        id: 10, title: '数据缺失 · Data gaps (readings per hour)', grid: { x: 0, y: 27, w: 12, h: 8 }, unit: 'none', decimals: 0, thresholds: steps(['red', null], ['orange', 1], ['green', 4]),
        description: 'Readings stored per meter per hour: 4 at 15-minute intervals. Red: none (offline, or every reading rejected); orange: some missing.',
        targets: [influx(`SELECT count("energy_kwh") AS "readings" FROM "reading" WHERE $timeFilter AND ${METERS} GROUP BY time(1h), "meter" fill(0)`, { alias: '$tag_meter' })],
      }),
      table({
        id: 11, title: '告警历史 · Alert history', grid: { x: 12, y: 27, w: 12, h: 8 }, unit: 'none',
        description: 'Every alert change in range about the enterprise or one of its meters (the time is the alert\'s since).',
        overrides: [{ matcher: { id: 'byName', options: 'drop_pct' }, properties: [{ id: 'unit', value: 'percent' }] }, { matcher: { id: 'byName', options: 'Time' }, properties: [{ id: 'custom.hidden', value: false }] }],
        targets: [influx(alerts(ALERTS_OF), { table: true })],
      }),
    ],
  });
}
