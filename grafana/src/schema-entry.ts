/**
 * The types the dashboard files are checked against at run time (test/e2e/grafana-schema.test.ts turns
 * them into JSON Schema with ts-json-schema-generator): Grafana's published Dashboard type from
 * @grafana/schema, its annotation target instantiated with the InfluxDB query (AnnotationQuery's own
 * type parameter), and each panel plugin's published Options / FieldConfig.
 */
import type { AnnotationQuery, Dashboard } from '@grafana/schema';
import type * as Stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen.js';
import type * as StatusHistory from '@grafana/schema/dist/esm/raw/composable/statushistory/panelcfg/x/StatusHistoryPanelCfg_types.gen.js';
import type * as Table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen.js';
import type * as TimeSeries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen.js';
import type { InfluxAnnotationTarget, InfluxQuery, PromQuery } from './kit.js';

export type GridPulseDashboard = Omit<Dashboard, 'annotations'> & {
  annotations?: { list?: Array<AnnotationQuery<InfluxAnnotationTarget> | AnnotationQuery> };
};
export type { InfluxQuery, PromQuery };
export type TimeSeriesOptions = TimeSeries.Options;
export type TimeSeriesFieldConfig = TimeSeries.FieldConfig;
export type TableOptions = Table.Options;
export type TableFieldConfig = Table.FieldConfig;
export type StatOptions = Stat.Options;
export type StatusHistoryOptions = StatusHistory.Options;
export type StatusHistoryFieldConfig = StatusHistory.FieldConfig;
