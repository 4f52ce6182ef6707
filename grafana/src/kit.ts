/**
 * Typed builders for the GridPulse dashboards. Every object is typed with Grafana's own published
 * types (@grafana/schema, pinned to the Grafana version in docker-compose.yml), panel options with
 * the panel plugin's generated `Options`/`FieldConfig`, so `tsc` rejects a misspelt key or a wrong
 * enum; test/e2e/grafana-schema.test.ts checks the JSON files against the same types at run time.
 */
import schema from '@grafana/schema';
import type { AnnotationQuery, DataQuery, Dashboard, DashboardLink, FieldConfigSource, Panel, RowPanel, ThresholdsConfig, VariableModel } from '@grafana/schema';
import type * as StatCfg from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen.js';
import type * as StatusHistoryCfg from '@grafana/schema/dist/esm/raw/composable/statushistory/panelcfg/x/StatusHistoryPanelCfg_types.gen.js';
import type * as TableCfg from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen.js';
import type * as TimeSeriesCfg from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen.js';

// @grafana/schema is CommonJS: its enums come through the default export.
const g = schema;

export const INFLUX = { type: 'influxdb', uid: 'gridpulse-influxdb' } as const;
export const PROMETHEUS = { type: 'prometheus', uid: 'gridpulse-prometheus' } as const;

/** The InfluxDB datasource's query model in raw InfluxQL mode (Grafana's influxdb plugin, InfluxQuery). */
export interface InfluxQuery extends DataQuery {
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
}
/** The Prometheus datasource's query model (Grafana's prometheus plugin, PromQuery). */
export interface PromQuery extends DataQuery {
  expr: string;
  legendFormat?: string;
  range?: boolean;
  instant?: boolean;
  editorMode?: 'code' | 'builder';
  interval?: string;
}
/** An InfluxQL annotation (tags mode): title, text and tags read from the columns named here. */
export interface InfluxAnnotationTarget extends InfluxQuery {
  fromAnnotations: true;
  titleColumn: string;
  textColumn: string;
  tagsColumn: string;
}

export type GridPanel = Panel | RowPanel;
/** A field data link (Grafana's DataLink; @grafana/schema types field links as unknown[]). */
export interface DataLink { title: string; url: string; targetBlank: boolean }
/** Panel options and queries are plugin-specific: the schema types them as plain records. */
const loose = (x: object) => x as Record<string, unknown>;
export interface Grid { x: number; y: number; w: number; h: number }

export const influx = (query: string, o: { refId?: string; table?: boolean; alias?: string } = {}): InfluxQuery => ({
  refId: o.refId ?? 'A', datasource: INFLUX, query, rawQuery: true, resultFormat: o.table ? 'table' : 'time_series',
  ...(o.alias ? { alias: o.alias } : {}),
});

/** Thresholds from [color, from] steps; the first step starts at -∞. */
export function steps(...s: [string, number | null][]): ThresholdsConfig {
  return { mode: g.ThresholdsMode.Absolute, steps: s.map(([color, value]) => ({ color, value })) };
}
/** Production index (100 = a normal interval of its calendar day): red under 80, orange under 95. */
export const INDEX_STEPS = steps(['red', null], ['orange', 80], ['green', 95]);

interface Common {
  id: number; title: string; description: string; grid: Grid; targets: DataQuery[];
  unit?: string; min?: number; max?: number; decimals?: number; thresholds?: ThresholdsConfig; links?: DataLink[];
  overrides?: FieldConfigSource['overrides']; interval?: string;
}
function base(type: string, c: Common): Panel {
  const ds = c.targets.some((t) => (t.datasource as { uid?: string } | undefined)?.uid === PROMETHEUS.uid) ? PROMETHEUS : INFLUX;
  return {
    id: c.id, type, title: c.title, description: c.description, gridPos: c.grid, datasource: ds, targets: c.targets.map(loose),
    ...(c.interval ? { interval: c.interval } : {}),
    fieldConfig: {
      defaults: {
        ...(c.unit ? { unit: c.unit } : {}), ...(c.min !== undefined ? { min: c.min } : {}), ...(c.max !== undefined ? { max: c.max } : {}),
        ...(c.decimals !== undefined ? { decimals: c.decimals } : {}),
        ...(c.thresholds ? { thresholds: c.thresholds } : {}),
        ...(c.links ? { links: c.links } : {}),
        color: { mode: c.thresholds ? g.FieldColorModeId.Thresholds : g.FieldColorModeId.PaletteClassic },
      },
      overrides: c.overrides ?? [],
    },
  };
}

export function timeseries(c: Common & { stack?: boolean; bars?: boolean; thresholdLine?: boolean; custom?: Partial<TimeSeriesCfg.FieldConfig> }): Panel {
  const p = base('timeseries', c);
  const custom: TimeSeriesCfg.FieldConfig = {
    drawStyle: c.bars ? g.GraphDrawStyle.Bars : g.GraphDrawStyle.Line, lineWidth: 1, fillOpacity: c.stack ? 30 : 10,
    showPoints: g.VisibilityMode.Never, spanNulls: false,
    ...(c.stack ? { stacking: { mode: g.StackingMode.Normal, group: 'A' } } : {}),
    ...(c.thresholdLine ? { thresholdsStyle: { mode: g.GraphThresholdsStyleMode.Dashed } } : {}),
    ...c.custom,
  };
  p.fieldConfig!.defaults.custom = loose(custom);
  // Series keep their palette colours; thresholds (when set) are drawn as dashed lines.
  p.fieldConfig!.defaults.color = { mode: g.FieldColorModeId.PaletteClassic };
  const options: TimeSeriesCfg.Options = {
    legend: { showLegend: true, displayMode: g.LegendDisplayMode.Table, placement: 'right', calcs: ['mean', 'min', 'lastNotNull'] },
    tooltip: { mode: g.TooltipDisplayMode.Multi, sort: g.SortOrder.Descending },
  };
  p.options = loose(options);
  return p;
}

export function table(c: Common & { sortBy?: { displayName: string; desc: boolean }[] }): Panel {
  const p = base('table', c);
  const custom: TableCfg.FieldConfig = { align: 'auto', cellOptions: { type: g.TableCellDisplayMode.Auto }, inspect: false };
  p.fieldConfig!.defaults.custom = loose(custom);
  p.fieldConfig!.overrides = [{ matcher: { id: 'byName', options: 'Time' }, properties: [{ id: 'custom.hidden', value: true }] }, ...(c.overrides ?? [])];
  const options: TableCfg.Options = { showHeader: true, frameIndex: 0, cellHeight: g.TableCellHeight.Sm, ...(c.sortBy ? { sortBy: c.sortBy } : {}), footer: { show: false, reducer: ['sum'], countRows: false } };
  p.options = loose(options);
  return p;
}

export function stat(c: Common): Panel {
  const p = base('stat', c);
  const options: StatCfg.Options = {
    reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: g.VizOrientation.Auto,
    colorMode: c.thresholds ? g.BigValueColorMode.Background : g.BigValueColorMode.Value, graphMode: g.BigValueGraphMode.Area,
    justifyMode: g.BigValueJustifyMode.Auto, textMode: g.BigValueTextMode.ValueAndName, wideLayout: true,
    showPercentChange: false, percentChangeColorMode: g.PercentChangeColorMode.Standard,
  };
  p.options = loose(options);
  return p;
}

export function statusHistory(c: Common): Panel {
  const p = base('status-history', c);
  const custom: StatusHistoryCfg.FieldConfig = { fillOpacity: 80, lineWidth: 0 };
  p.fieldConfig!.defaults.custom = loose(custom);
  const options: StatusHistoryCfg.Options = {
    rowHeight: 0.9, showValue: g.VisibilityMode.Auto, colWidth: 0.9,
    legend: { showLegend: false, displayMode: g.LegendDisplayMode.List, placement: 'bottom', calcs: [] },
    tooltip: { mode: g.TooltipDisplayMode.Single, sort: g.SortOrder.None },
  };
  p.options = loose(options);
  return p;
}

export const row = (id: number, title: string, y: number): RowPanel => ({ id, type: 'row', title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] });

/** A SHOW TAG VALUES variable on the InfluxDB datasource. */
export function tagVariable(name: string, label: string, query: string, o: { multi?: boolean; all?: boolean; allValue?: string; hide?: boolean; description?: string } = {}): VariableModel {
  const v: VariableModel = {
    type: 'query', name, label, description: o.description ?? '', datasource: INFLUX, query,
    refresh: g.VariableRefresh.onTimeRangeChanged, sort: g.VariableSort.alphabeticalAsc, regex: '',
    multi: o.multi ?? false, includeAll: o.all ?? false, ...(o.allValue ? { allValue: o.allValue } : {}),
    hide: o.hide ? 2 : 0,
    current: o.all ? { selected: true, text: ['All'], value: ['$__all'] } : { text: '', value: '' }, options: [], skipUrlSync: false,
  };
  return v;
}

export function customVariable(name: string, label: string, values: string[]): VariableModel {
  const v: VariableModel = {
    type: 'custom', name, label, query: values.join(','), multi: false, includeAll: false, hide: 0, skipUrlSync: false,
    current: { selected: true, text: values[0]!, value: values[0]! },
    options: values.map((x, i) => ({ selected: i === 0, text: x, value: x })),
  };
  return v;
}

/** The analyzer's alerts as annotations on every time series of the dashboard. */
export function alertAnnotation(where: string): AnnotationQuery<InfluxAnnotationTarget> {
  const query = `SELECT "title", "text", "kind", "scope", "entity", "status" FROM "alert" WHERE $timeFilter${where ? ` AND ${where}` : ''}`;
  return {
    name: '告警 · GridPulse alerts', datasource: INFLUX, enable: true, hide: false, iconColor: 'red',
    target: { refId: 'Anno', datasource: INFLUX, query, rawQuery: true, resultFormat: 'table', fromAnnotations: true, titleColumn: 'title', textColumn: 'text', tagsColumn: 'kind,scope,entity,status' },
  };
}
const builtInAnnotation: AnnotationQuery = {
  builtIn: 1, datasource: { type: 'grafana', uid: '-- Grafana --' }, enable: true, hide: true, iconColor: 'rgba(0, 211, 255, 1)', name: 'Annotations & Alerts', type: 'dashboard',
};

/** A link to another GridPulse dashboard carrying the current variables and time range. */
export const dashLink = (title: string, uid: string): DashboardLink => ({
  title, type: 'link', url: `/d/${uid}`, icon: 'dashboard', tooltip: title, tags: [], asDropdown: false, includeVars: true, keepTime: true, targetBlank: false,
});
const allGridPulse: DashboardLink = { title: 'GridPulse', type: 'dashboards', icon: 'external link', tooltip: '', url: '', tags: ['gridpulse'], asDropdown: true, includeVars: true, keepTime: true, targetBlank: false };

/** A data link down the hierarchy: `value` is a Grafana data-link expression such as ${__field.labels.county}. */
export const drill = (title: string, uid: string, params: Record<string, string>): DataLink => ({
  title, targetBlank: false, url: `/d/${uid}?${Object.entries(params).map(([k, v]) => `var-${k}=${v}`).join('&')}&\${__url_time_range}`,
});

export function dashboard(d: { uid: string; title: string; description: string; tags: string[]; variables: VariableModel[]; annotationWhere: string; links: DashboardLink[]; panels: GridPanel[]; time?: string }): Dashboard {
  return {
    uid: d.uid, title: d.title, description: d.description, tags: ['gridpulse', ...d.tags], editable: false, graphTooltip: g.DashboardCursorSync.Crosshair,
    schemaVersion: 39, version: 1, timezone: 'browser', fiscalYearStartMonth: 0, liveNow: false, weekStart: 'monday',
    time: { from: d.time ?? 'now-2d', to: 'now' }, refresh: '5m', timepicker: {},
    links: [...d.links, allGridPulse],
    templating: { list: d.variables },
    annotations: { list: [builtInAnnotation, alertAnnotation(d.annotationWhere) as AnnotationQuery] },
    panels: d.panels,
  };
}
