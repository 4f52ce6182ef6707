import { z } from 'zod';
import { checkTimeZone } from './zone.js';

/**
 * Every analyzer default in one typed object (the influxdb-client-js `DEFAULT_WriteOptions` pattern),
 * validated by zod at the edge. docs/analytics.md documents each field.
 */
export const analyzerOptionsSchema = z.object({
  /** Length of one evaluation interval (ms): 5, 15, 30 or 60 minutes (any whole-minute divisor of an hour). Readings are expected at interval boundaries. */
  intervalMs: z.number().int().min(60_000).max(3_600_000).refine((v) => v % 60_000 === 0 && 3_600_000 % v === 0, 'intervalMs must be a whole number of minutes that divides an hour (5, 15, 30, 60 min)').default(15 * 60_000),
  /** How long after an interval ends the analyzer waits for late readings before evaluating it (ms; default a third of the interval: 5 min at 15 min). */
  graceMs: z.number().int().nonnegative().optional(),
  /** History kept per meter and enterprise for late data and re-evaluation (ms; default 3 h, at least 4 intervals and at most 64). */
  windowMs: z.number().int().positive().default(3 * 3_600_000),
  /** Overrides windowMs as a count of intervals (4–64). */
  windowIntervals: z.number().int().min(4).max(64).optional(),
  /** IANA time zone of the calendar and the hour-of-week slots (DST-correct). */
  timeZone: z.string().refine((tz) => { try { checkTimeZone(tz); return true; } catch { return false; } }, 'unknown IANA time zone (e.g. Asia/Shanghai, Europe/Berlin)').default('Asia/Shanghai'),
  /** A fixed offset instead (minutes east of UTC, no DST); overrides timeZone. */
  tzOffsetMinutes: z.number().int().min(-14 * 60).max(14 * 60).optional(),

  /**
   * How readily a drop is alerted: presets of the four expert knobs cusumH, cliffZ, minDropRatio and
   * qloMargin (each may still be set on its own). Trade-off measured in docs/analytics.md.
   */
  sensitivity: z.enum(['low', 'normal', 'high']).default('normal'),

  /** Huber clip of a baseline update, in noise units; the update is α·clip(x − b). */
  baselineClip: z.number().positive().default(2.5),
  /** Baseline adaptation rate of a slot after the learning phase, per 15 minutes of time (scaled to the interval). */
  baselineAlphaMin: z.number().positive().max(1).default(0.08),
  /** A meter's first days of data learn with a plain running mean; drop alerts wait for them. */
  learnDays: z.number().nonnegative().max(60).default(14),
  /** Open drop episodes on Saturday/Sunday patterns too, judged against the plant's own learned weekend (false: a drop starting on a weekend waits for the next working day). */
  judgeWeekends: z.boolean().default(true),
  /** Initial and bounds of the enterprise relative noise (σ / expected). */
  noiseInit: z.number().positive().default(0.1),
  noiseMin: z.number().positive().default(0.04),
  noiseMax: z.number().positive().default(0.5),
  /** EWMA rate of the enterprise noise (calm intervals), per 15 minutes of time. */
  noiseRate: z.number().positive().max(1).default(0.02),
  /** EWMA rate of each working hour's noise per interval of that hour (not scaled to the interval: docs/analytics.md, "Options"). */
  hourNoiseRate: z.number().positive().max(1).default(0.05),
  /** The enterprise's peak expected energy decays by this factor per 15 minutes (≈ two weeks' memory). */
  peakDecayPerQuarterHour: z.number().positive().max(1).default(0.9993),

  /** CUSUM reference value k and decision threshold h, in σ units; residual z is winsorised at zCap. */
  cusumK: z.number().nonnegative().default(0.75),
  cusumH: z.number().positive().optional(),
  zCap: z.number().positive().default(4),
  /** k-in-a-row rule: this long (ms, at least one interval) below nearZeroRatio × expected opens a halt regardless of σ. */
  nearZeroRatio: z.number().min(0).max(1).default(0.2),
  nearZeroMs: z.number().int().positive().default(30 * 60_000),
  /** Actual/expected of the latest interval at or below this is a halt (near zero or base load); above it a cut. */
  haltRatio: z.number().min(0).max(1).default(0.35),
  /** …when it fell at least this much (share of expected) since the previous interval: a stop mid-ramp. */
  haltFall: z.number().min(0).max(1).default(0.35),
  /** Cliff rule: an interval at or below this ratio right after one below 90 % opens an episode at once. */
  cliffRatio: z.number().min(0).max(1).default(0.4),
  /** …and at least this many σ below expected. */
  cliffZ: z.number().nonnegative().optional(),
  /** …and the interval before it at or below this ratio (already falling). */
  cliffPrevRatio: z.number().min(0).max(2).default(0.9),
  /** An episode whose actual/expected stays above this is too small to alert on. */
  minDropRatio: z.number().min(0).max(1).optional(),
  /** Running lower quantile of each enterprise's hourly actual/expected (ordinary dips): initial value, p, rate per 15 minutes of time. */
  qloInit: z.number().min(0).max(1).default(0.8),
  qloP: z.number().min(0).max(0.5).default(0.02),
  qloRate: z.number().positive().max(1).default(0.02),
  /** A drop must go this far below the enterprise's ordinary lower quantile to alert. */
  qloMargin: z.number().min(0).max(1).optional(),
  /** Recovery: this long (ms, at least one interval) at or above recoverRatio × expected closes an episode. */
  recoverRatio: z.number().min(0).max(2).default(0.8),
  recoverMs: z.number().int().positive().default(30 * 60_000),
  /** Margins around a planned shutdown window (ramp-down before, ramp-up after) that are not judged either. */
  plannedBeforeMs: z.number().int().nonnegative().default(2 * 3_600_000),
  plannedAfterMs: z.number().int().nonnegative().default(8 * 3_600_000),
  /** An hour of the working day whose relative noise exceeds this (worked some days only) opens no drop episode. */
  irregularHourNoise: z.number().positive().default(0.4),
  /** A weekend day's irregularity (its worked hours' |actual − expected| ÷ expected, max-decayed by this per such day) above irregularHourNoise opens nothing that day. */
  weekendNoiseDecay: z.number().min(0).max(1).default(0.86),
  /** No drop episode opens when the working day ends within this long (ms; expected falls below minPeakShare of the peak): an early finish and a stop look alike there (0: off). */
  shiftTailMs: z.number().int().nonnegative().default(3 * 3_600_000),
  /** A drop is judged only where expected energy is at least this share of the enterprise's recent peak interval. */
  minPeakShare: z.number().min(0).max(1).default(0.25),
  /** Expected energy below this (kWh per hour, primary; scaled to the interval) is too small to judge. */
  minExpectedKwhPerHour: z.number().nonnegative().default(2),

  /** Power × interval (secondary kWh) at or above which a register that did not move is stuck, not stopped. */
  stuckRegisterMinKwh: z.number().positive().default(0.1),
  /** No data for this long (ms, rounded up to whole intervals): meter/gateway offline. */
  offlineAfterMs: z.number().int().positive().default(3_600_000),
  /** …or this long when every meter of a gateway is silent together (a concentrator down is clear sooner). */
  gatewayOfflineAfterMs: z.number().int().positive().default(30 * 60_000),

  /** Grid outage: at least this many enterprises of one county dead in the same two intervals… */
  outageMinEnterprises: z.number().int().positive().default(5),
  /** …of which at least this many still report (and read ~0): silence alone is a communication fault. */
  outageMinReporting: z.number().int().nonnegative().default(3),
  /** …or at least this many gateways of the county went silent in the same two intervals. */
  outageMinSilentGateways: z.number().int().positive().default(2),
  /** …spanning at least this many chains (an outage hits everyone in the area, a chain problem does not). */
  outageMinChains: z.number().int().positive().default(2),
  /** Below this share of expected an enterprise counts as dead for outage detection. */
  outageDeadRatio: z.number().min(0).max(1).default(0.15),

  /** Chain disruption: an enterprise in a drop episode with this many supply-chain neighbours (registry
   * `suppliers`, both ways; a leader's two hops) whose episodes began within chainWindowMs of its own… */
  chainMinLinked: z.number().int().positive().default(1),
  /** …or this many enterprises of one chain whose episodes began within chainTogetherMs (0: off). */
  chainMinEnterprises: z.number().int().nonnegative().default(0),
  chainTogetherMs: z.number().int().positive().default(24 * 3_600_000),
  /** While a disruption is open, a neighbour of a member whose working hours fall to this share of expected is named too. */
  chainSoftRatio: z.number().min(0).max(1).default(0.85),
  chainWindowMs: z.number().int().positive().default(72 * 3_600_000),

  /** County slowdown: rolling actual/expected of the county below this for countySlowMs. */
  countySlowRatio: z.number().min(0).max(1).default(0.8),
  countyRecoverRatio: z.number().min(0).max(2).default(0.9),
  countySlowMs: z.number().int().positive().default(2 * 3_600_000),
  /** Counties with fewer enterprises are not judged for a slowdown (one plant is not a county). */
  countyMinEnterprises: z.number().int().positive().default(10),

  /** Slow decline: 7-day mean daily ratio at or below this, falling against the previous week. */
  declineRatio: z.number().min(0).max(1).default(0.85),
  /** Enterprises with a daily ratio the same day needed to judge a slow decline (they normalise the season and the business cycle away). */
  declineMinPeers: z.number().int().positive().default(5),
  declineMinFall: z.number().min(0).max(1).default(0.08),
  /** …with no day-to-day fall larger than this (a step is a cut, a trend is not). */
  declineMaxStep: z.number().min(0).max(1).default(0.15),
  /** An episode opened as a cut is re-classified as a halt if it deepens within this long (ms). */
  reclassifyMs: z.number().int().nonnegative().default(2 * 3_600_000),

  /** Spring Festival window around 初一 (days before, days after), its own pattern: plants stop 1–2 weeks early and shut 2–4 weeks plus a 1–2 week ramp (domain.md §4). */
  springFestivalBeforeDays: z.number().int().nonnegative().default(14),
  springFestivalAfterDays: z.number().int().nonnegative().default(42),
  /** After the festival's statutory week, an enterprise whose working days are back at this share of an
   * ordinary week for sfReturnDays days in a row is judged against its ordinary week again. */
  sfReturnRatio: z.number().min(0).max(2).default(0.85),
  sfReturnDays: z.number().int().positive().default(2),

  /** Entities idle this long are evicted (their dense index is reused): state does not grow with new tags. */
  evictAfterMs: z.number().int().positive().default(14 * 24 * 3_600_000),
  /** Resolved/withdrawn alerts kept in alerts(). */
  maxRecentAlerts: z.number().int().positive().default(2_000),
  /** Production index points kept in productionIndex() (hourly + daily, all chains and counties). */
  maxIndexPoints: z.number().int().positive().default(50_000),
  /** Initial capacity of the dense per-meter and per-enterprise arrays (they grow by doubling). */
  initialCapacity: z.number().int().positive().default(1024),
}).strict(); // an unknown (or retired, e.g. learnIntervals → learnDays) key is an error naming it, not silently ignored

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The interval the rates are stated at. */
const QUARTER_HOUR_MS = 900_000;

/**
 * A learning rate stated per 15 minutes as the rate per interval of I ms that learns the same share per hour
 * of time: an EWMA step compounds, so r_I = 1 − (1 − r)^(I / 15 min). Exactly r at 15 minutes.
 */
export function ratePerInterval(r: number, I: number): number {
  return I === QUARTER_HOUR_MS ? r : 1 - (1 - r) ** (I / QUARTER_HOUR_MS);
}

/** Whole intervals covering ms (at least one). */
const intervals = (ms: number, I: number) => Math.max(1, Math.ceil(ms / I - 1e-9));

/**
 * The counts the engine steps by, derived from the time-unit options for the configured interval (so an
 * hourly setup keeps every option's meaning): 15-minute values in the comments.
 */
/** The sensitivity presets: CUSUM threshold h (σ), cliff depth (σ), shallowest drop and margin below the ordinary dips. */
export const SENSITIVITY = {
  low: { cusumH: 8, cliffZ: 10, minDropRatio: 0.6, qloMargin: 0.2 },
  normal: { cusumH: 6, cliffZ: 8, minDropRatio: 0.7, qloMargin: 0.15 },
  high: { cusumH: 5, cliffZ: 7, minDropRatio: 0.72, qloMargin: 0.12 },
} as const;

function derive<T extends z.output<typeof analyzerOptionsSchema>>(o: T) {
  const I = o.intervalMs;
  const p = SENSITIVITY[o.sensitivity];
  return {
    ...o,
    cusumH: o.cusumH ?? p.cusumH,
    cliffZ: o.cliffZ ?? p.cliffZ,
    minDropRatio: o.minDropRatio ?? p.minDropRatio,
    qloMargin: o.qloMargin ?? p.qloMargin,
    /** 5 min at 15-minute intervals, 20 min at hourly. */
    graceMs: o.graceMs ?? Math.round(I / 3),
    /** 12 */
    windowIntervals: o.windowIntervals ?? Math.min(64, Math.max(4, Math.round(o.windowMs / I))),
    /** 1344 (14 days) */
    learnIntervals: Math.round((o.learnDays * DAY_MS) / I),
    /** 2 */
    nearZeroRun: intervals(o.nearZeroMs, I),
    /** 2 */
    recoverRun: intervals(o.recoverMs, I),
    /** 0.5 kWh */
    minExpectedKwh: (o.minExpectedKwhPerHour * I) / HOUR_MS,
    /** 4 */
    offlineAfterIntervals: intervals(o.offlineAfterMs, I),
    /** 2 */
    gatewayOfflineAfterIntervals: intervals(o.gatewayOfflineAfterMs, I),
    /** 8 */
    countySlowIntervals: intervals(o.countySlowMs, I),
    /** 8 */
    reclassifyIntervals: Math.floor(o.reclassifyMs / I),
    // Rates per interval (the 15-minute values at 15 minutes). A baseline slot is observed once per interval
    // of it, so this keeps its adaptation per week the same too. hourNoiseRate stays per interval: scaled, the
    // hourly steel replay found 3 of its 11 stops instead of 11 (docs/analytics.md, "Options").
    noiseRatePerInterval: ratePerInterval(o.noiseRate, I),
    qloRatePerInterval: ratePerInterval(o.qloRate, I),
    baselineAlphaPerInterval: ratePerInterval(o.baselineAlphaMin, I),
    peakDecayPerInterval: o.peakDecayPerQuarterHour ** (I / QUARTER_HOUR_MS),
  };
}

export type AnalyzerOptions = z.input<typeof analyzerOptionsSchema>;
export type ResolvedOptions = ReturnType<typeof derive<z.output<typeof analyzerOptionsSchema>>>;

/** Validates the options (a bad value throws naming its key) and derives the interval counts. */
export function resolveOptions(o: AnalyzerOptions = {}): ResolvedOptions {
  const r = derive(analyzerOptionsSchema.parse(o));
  if (r.learnIntervals > 65_000) throw new Error(`analytics: learnDays (${r.learnDays}) is more than 65,000 intervals at intervalMs ${r.intervalMs}`);
  if (r.windowIntervals * r.intervalMs < HOUR_MS) throw new Error(`analytics: windowMs/windowIntervals must keep at least an hour (${r.windowIntervals} × ${r.intervalMs} ms)`);
  return r;
}
