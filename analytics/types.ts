import type { AlertKind } from '../src/schemas/incident.js';

export type AlertScope = 'meter' | 'gateway' | 'enterprise' | 'chain' | 'county';
export type AlertStatus = 'open' | 'resolved' | 'withdrawn';

export interface Contributor {
  enterprise: string;
  /** Share of the missing energy (expected − actual) this enterprise accounts for, 0–1. */
  share: number;
  /** Missing energy (kWh, primary) over the episode so far. */
  missingKwh: number;
}

export interface AlertEvidence {
  /** Device time (ms) of the end of the last interval the decision used. */
  detectedAtTs: number;
  /** Intervals of data between `since` and the decision. */
  intervals: number;
  /** Normalised evidence: CUSUM statistic, run of near-zero intervals, relative noise (σ/expected). */
  cusum?: number;
  nearZeroRun?: number;
  noise?: number;
  /** Meters/gateways concerned (offline alerts), members (outage), chain stage hints. */
  meters?: string[];
  gateways?: string[];
  /** Device time (ms) of the last data seen (offline alerts). */
  lastSeenTs?: number;
  /** Device time (ms) of the last reading the pipeline rejected, when later than lastSeenTs (meter_offline). */
  lastHeardTs?: number;
  /** meter_offline of a meter still sending, but only readings the pipeline rejects. */
  rejectedOnly?: boolean;
  /** Why an alert was withdrawn or resolved. */
  reason?: string;
  /** Calendar pattern the baseline used (weekday 0–6, 7 holiday, 8 Spring Festival). */
  dayPattern?: number;
  leader?: string;
  /** When an alert's kind changed (a cut that deepened to a halt). */
  reclassifiedAt?: number;
}

export interface Alert {
  id: string;
  kind: AlertKind;
  scope: AlertScope;
  entity: string;
  status: AlertStatus;
  /** Time the alert was first raised (wall time online, simulated time offline). */
  openedAt: number;
  /** Device time the drop / silence began. */
  since: number;
  /** Time of the last change (update, resolve, withdraw). */
  updatedAt: number;
  /** Over the episode so far (primary kWh). */
  baselineKwh: number;
  actualKwh: number;
  /** 100 × (1 − actual/baseline), rounded to 0.1. */
  dropPct: number;
  contributors: Contributor[];
  /** The chain disruption this enterprise's drop is part of (its id): one disruption, one story. */
  parentId?: string;
  evidence: AlertEvidence;
}

export type AlertChange = 'opened' | 'updated' | 'withdrawn' | 'resolved';
export interface AlertUpdate {
  change: AlertChange;
  alert: Alert;
}

export interface IndexPoint {
  scope: 'chain' | 'county';
  entity: string;
  resolution: 'hour' | 'day';
  /** Start of the hour/day (ms). */
  ts: number;
  actualKwh: number;
  expectedKwh: number;
  /** 100 × actual ÷ expected (calendar-aware). */
  index: number;
}

/** What the detector compared for one enterprise and interval (the Grafana `enterprise_expected` points). */
export interface ExpectedPoint {
  enterprise: string;
  /** Start of the interval (ms). */
  ts: number;
  /** kWh of the enterprise's meters that have an expected value, as judged. */
  actualKwh: number;
  expectedKwh: number;
}

export interface AnalyzerEvents {
  alert: (a: Alert) => void;
  alertUpdate: (u: AlertUpdate) => void;
  index: (p: IndexPoint) => void;
  /** Once per evaluated interval: every enterprise with an expected value (planned shutdowns excepted). Emitted only while someone listens. */
  expected: (points: ExpectedPoint[]) => void;
}

/** Minimal registry view the analyzer needs (src/registry/schema.ts RegistryFile satisfies it). */
export interface RegistryLike {
  enterprises: ReadonlyArray<{
    id: string;
    county: string;
    chains?: readonly string[];
    leader?: boolean;
    suppliers?: readonly string[];
    plannedShutdowns?: ReadonlyArray<{ start: string; end: string }>;
    /** The enterprise's own working calendar (cn, none or a holiday file), else the analyzer's. */
    calendar?: string;
  }>;
  meters?: ReadonlyArray<{ id: string; enterprise: string; gateway: string; ctMultiplier?: number; intervalMinutes?: number }>;
}

/** Runs one InfluxQL statement and returns its rows as plain objects (`time` in ms or ISO, tags and fields by name). */
export type InfluxQueryFn = (influxql: string) => Promise<Array<Record<string, unknown>>>;
