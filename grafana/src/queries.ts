/**
 * InfluxQL shared by the dashboards. Measurements (docs/grafana.md#what-the-panels-read):
 * - `reading`: written by ingest for every accepted reading (docs/schema.md);
 * - `production_index`, `alert`: the analyzer's outputs (analytics/line-protocol.ts);
 * - `enterprise_expected`: the analyzer's judged actual and expected kWh per enterprise and interval.
 * Variables are used inside anchored regexes (/^$var$/) so All, multi-select and values with dots work.
 */
export const EXPECTED = 'enterprise_expected';

/** Mean kW per interval from the energy register (primary kWh), per meter differenced, summed (by a tag). */
export function loadKw(where: string, by?: string): string {
  const g = by ? `, "${by}"` : '';
  return `SELECT sum("kwh") * 3600000 / $__interval_ms AS "load_kw" FROM (SELECT non_negative_difference(last("energy_kwh")) AS "kwh" FROM "reading" WHERE $timeFilter AND ${where} GROUP BY time($__interval), "meter"${g}) WHERE $timeFilter GROUP BY time($__interval)${g} fill(none)`;
}

/** What the detector judged against: expected and actual kW of the enterprises it evaluated. */
export function expectedKw(where: string): string {
  return `SELECT sum("expected_kwh") * 3600000 / $__interval_ms AS "expected_kw", sum("actual_kwh") * 3600000 / $__interval_ms AS "judged_kw" FROM "${EXPECTED}" WHERE $timeFilter AND ${where} GROUP BY time($__interval) fill(none)`;
}

/** Index (100 × actual ÷ expected) of groups of enterprises, from the analyzer's expected values. */
export function groupIndex(where: string, by: string): string {
  return `SELECT 100 * sum("actual_kwh") / sum("expected_kwh") AS "index" FROM "${EXPECTED}" WHERE $timeFilter AND ${where} GROUP BY time($__interval), "${by}" fill(none)`;
}

/** The analyzer's production index of one scope (chain or county). */
export function productionIndex(scope: 'chain' | 'county', entityVar: string): string {
  return `SELECT mean("index") AS "index" FROM "production_index" WHERE $timeFilter AND "scope" = '${scope}' AND "resolution" = '$resolution' AND "entity" =~ /^$${entityVar}$/ GROUP BY time($__interval), "entity" fill(none)`;
}

/** Enterprises by energy missing against what the analyzer expected, with their index. */
export function shortfall(where: string): string {
  return `SELECT sum("expected_kwh") - sum("actual_kwh") AS "shortfall_kwh", 100 * sum("actual_kwh") / sum("expected_kwh") AS "index", sum("actual_kwh") AS "actual_kwh", sum("expected_kwh") AS "expected_kwh" FROM "${EXPECTED}" WHERE $timeFilter AND ${where} GROUP BY "enterprise", "county", "chain", "stage"`;
}

/** Meters with at least one reading per interval. */
export function metersReporting(where: string): string {
  return `SELECT count("e") AS "reporting" FROM (SELECT last("energy_kwh") AS "e" FROM "reading" WHERE $timeFilter AND ${where} GROUP BY time($__interval), "meter") WHERE $timeFilter GROUP BY time($__interval) fill(none)`;
}
/** Meters with a reading anywhere in the time range. */
export function metersKnown(where: string): string {
  return `SELECT count("e") AS "known" FROM (SELECT last("energy_kwh") AS "e" FROM "reading" WHERE $timeFilter AND ${where} GROUP BY "meter") WHERE $timeFilter`;
}

/** The analyzer's alert changes in range, one row per alert and status. */
export function alerts(where: string, status?: string): string {
  return `SELECT "drop_pct", "baseline_kwh", "actual_kwh", "title", "text", "id" FROM "alert" WHERE $timeFilter${status ? ` AND "status" = '${status}'` : ''}${where ? ` AND ${where}` : ''} GROUP BY "kind", "scope", "entity", "status"`;
}

/** Alerts about an area: the area itself, or one of the enterprises in it (a hidden, All-valued variable). */
export const alertsOf = (areaVar: string, entVar: string) => `("entity" =~ /^$${areaVar}$/ OR "entity" =~ /^$${entVar}$/)`;
