import type { IncidentLabel } from '../src/schemas/incident.js';
import { REGISTER_MAX_KWH, type ReadingInput } from '../src/schemas/reading.js';
import { CST_OFFSET_MS, cstDate, dayInfo, DAY_MS } from './calendar.js';
import type { City } from './city.js';
import { planRun, type DataEffect, type LoadEffect, type Plan } from './planner.js';
import { dayShape, NOISE_BY_INDEX, shapeLevel } from './profiles.js';
import { hashGauss, hashUnit, mix32 } from './rng.js';
import { defaultScenario, type Scenario } from './scenario.js';
import { Transport } from './transport.js';

export interface SimulateOptions {
  /** ISO start (device time of the first reading). */
  start: string;
  days: number;
  /** Reading interval (default 15 minutes: 96 points a day). */
  intervalMinutes?: number;
  scenario?: Scenario;
  /** Seed for incidents and noise (default: the city's seed). */
  seed?: number;
  /** Largest batch the generator yields (the MQTT contract allows 1,000 readings a message). */
  maxBatch?: number;
}

/** One MQTT message's worth: a gateway's readings, or (malformed transport fault) a broken raw payload. */
export interface SimBatch {
  gateway: string;
  /** Device time of the interval this batch was produced at. */
  ts: number;
  readings: ReadingInput[];
  /** When set, publish this text instead of the JSON of `readings` (a truncated/garbled message). */
  raw?: string;
}

export interface SimStats {
  readings: number;
  batches: number;
  duplicates: number;
  late: number;
  outOfOrder: number;
  malformed: number;
  rawMalformed: number;
  backlog: number;
  lost: number;
  replacements: number;
  rollovers: number;
}

export interface Simulation {
  labels: IncidentLabel[];
  steps: number;
  intervalMs: number;
  startMs: number;
  /** Counts so far (complete once batches() is exhausted). */
  stats: SimStats;
  batches(): Generator<SimBatch>;
}

const HOUR = 3600_000;
const SLOT_MS = 15 * 60_000;

/** Seasonal drift: summer cooling peak (+5 % late July), a smooth city-wide weather wiggle (±3 %). */
function seasonFactor(seed: number, dayIdx: number): number {
  const doy = ((dayIdx % 365.25) + 365.25) % 365.25;
  const base = 1 + 0.05 * Math.cos((2 * Math.PI * (doy - 205)) / 365.25);
  const k = Math.floor(dayIdx / 5), f = dayIdx / 5 - k;
  const a = hashGauss(seed, 0x77, k), b = hashGauss(seed, 0x77, k + 1);
  return base * (1 + 0.03 * (a + (b - a) * (0.5 - 0.5 * Math.cos(Math.PI * f))));
}

/** w(t) of a load or data effect (see LoadEffect). */
function weight(ef: LoadEffect, t: number): number {
  if (t < ef.start) return 0;
  if (t < ef.start + ef.rampIn) return (t - ef.start) / ef.rampIn;
  if (t < ef.end) return 1;
  if (t < ef.end + ef.rampOut) return 1 - (t - ef.end) / ef.rampOut;
  return 0;
}

export function simulate(city: City, opts: SimulateOptions): Simulation {
  const seed = (opts.seed ?? city.seed) >>> 0;
  const intervalMs = Math.round((opts.intervalMinutes ?? 15) * 60_000);
  if (!(intervalMs >= 1000)) throw new Error('intervalMinutes must be at least 1 second');
  const startMs = Math.floor(Date.parse(opts.start) / intervalMs) * intervalMs;
  if (Number.isNaN(startMs)) throw new Error(`start: not an ISO time: ${opts.start}`);
  const steps = Math.max(0, Math.round((opts.days * DAY_MS) / intervalMs));
  const endMs = startMs + steps * intervalMs;
  const scenario = opts.scenario ?? defaultScenario();
  const plan: Plan = planRun(city, { startMs, endMs, intervalMs }, scenario, seed);
  const stats: SimStats = { readings: 0, batches: 0, duplicates: 0, late: 0, outOfOrder: 0, malformed: 0, rawMalformed: 0, backlog: 0, lost: 0, replacements: 0, rollovers: 0 };
  return {
    labels: plan.labels,
    steps,
    intervalMs,
    startMs,
    stats,
    batches: () => run(city, plan, scenario, { seed, intervalMs, startMs, steps, maxBatch: opts.maxBatch ?? 1000 }, stats),
  };
}

interface RunParams { seed: number; intervalMs: number; startMs: number; steps: number; maxBatch: number }

function* run(city: City, plan: Plan, scenario: Scenario, rp: RunParams, stats: SimStats): Generator<SimBatch> {
  const p = city.profiles;
  const reg = city.registry;
  const E = reg.enterprises.length, M = reg.meters.length, G = reg.gateways.length;
  const { seed, intervalMs, startMs, steps } = rp;
  const dtH = intervalMs / HOUR;
  const noiseSeed = mix32(seed ^ 0xa11ce), dataSeed = mix32(seed ^ 0xda7a);

  // Per-enterprise and per-meter state: typed arrays, nothing per reading is kept.
  const entLevel = new Float64Array(E);
  const entAr = new Float64Array(E);
  const entShape = new Uint8Array(E);
  const entDay = new Float32Array(E);
  const dead = new Uint8Array(E);
  const reg_ = Float64Array.from(p.meterReg0);
  const meterP = new Float64Array(M);
  // AR(1) enterprise wobble with a ~2 h memory, σ 3 %: slow ordinary variation.
  const rho = Math.exp(-intervalMs / (2 * HOUR));
  const arSd = 0.03 * Math.sqrt(1 - rho * rho);
  // Plant-level interval noise by profile (≈5 % in all with the AR term and meter noise; the steel-calibrated heavy profile ≈17 %).
  const meterSd = 0.02;

  const transport = new Transport(city, plan, scenario, rp, dataSeed, stats);
  let loadPtr = 0;
  let active: LoadEffect[] = [];
  let curDay = '';
  let holiday = false;
  let season = 1;

  for (let k = 0; k < steps; k++) {
    const t = startMs + k * intervalMs; // reading time: the register at t, power over (t − interval, t]
    const mid = t - intervalMs / 2;
    const day = cstDate(mid);
    if (day !== curDay) {
      curDay = day;
      const info = dayInfo(day);
      holiday = info.mode === 'holiday';
      const dayIdx = Math.floor((mid + CST_OFFSET_MS) / DAY_MS);
      season = seasonFactor(seed, dayIdx);
      for (let e = 0; e < E; e++) {
        entShape[e] = dayShape(p.entKind[e]!, info.mode, p.entSatP[e]!, hashUnit(noiseSeed, e, dayIdx, 1), hashUnit(noiseSeed, e, dayIdx, 2));
        let f = 1 + 0.03 * hashGauss(noiseSeed, e, dayIdx, 3);
        if (scenario.ordinaryVariation) {
          // Ordinary, unlabelled days: a line down (−10…−20 %) or a push (+10 %).
          const u = hashUnit(noiseSeed, e, dayIdx, 4);
          if (u < 0.04) f *= 0.8 + 0.1 * hashUnit(noiseSeed, e, dayIdx, 5);
          else if (u > 0.98) f *= 1.1;
        }
        entDay[e] = f;
      }
    }
    const slot = Math.floor((((mid + CST_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / SLOT_MS);
    for (let e = 0; e < E; e++) {
      entAr[e] = rho * entAr[e]! + arSd * hashGauss(noiseSeed, e, k, 6);
      const kind = p.entKind[e]!;
      const lvl = shapeLevel(kind, entShape[e]!, slot, p.entBase[e]!, holiday);
      // Process noise rides on the working part of the load; the night base is steadier.
      const active = Math.max(0.3, 1 - p.entBase[e]! / lvl);
      entLevel[e] = lvl * season * entDay[e]! * (1 + entAr[e]! + NOISE_BY_INDEX[kind]! * active * hashGauss(noiseSeed, e, k, 5));
    }
    // Load effects (incidents, shutdowns) active at the interval's midpoint.
    while (loadPtr < plan.load.length && plan.load[loadPtr]!.start <= mid) active.push(plan.load[loadPtr++]!);
    if (active.length > 0) {
      active = active.filter((ef) => mid < ef.end + ef.rampOut);
      dead.fill(0);
      for (const ef of active) {
        const w = weight(ef, mid);
        if (w <= 0) continue;
        for (const e of ef.ents) {
          if (ef.mode === 'standby') entLevel[e] = entLevel[e]! * (1 - w) + p.entStandby[e]! * (1 + 0.05 * hashGauss(noiseSeed, e, k, 7)) * w;
          else if (ef.mode === 'scale') entLevel[e] = entLevel[e]! * (1 - w * (1 - ef.level));
          else {
            entLevel[e] = entLevel[e]! * (1 - w);
            if (mid < ef.end) dead[e] = 1;
          }
        }
      }
    }
    // Meters: secondary power and the cumulative register (wraps at 999999.99 like DL/T 645's XXXXXX.XX).
    for (let m = 0; m < M; m++) {
      const e = p.meterEnt[m]!;
      let kw = p.entPeakKw[e]! * p.meterShare[m]! * entLevel[e]! * (1 + meterSd * hashGauss(noiseSeed, m, k, 8));
      if (kw < 0 || dead[e]) kw = 0;
      const sec = kw / p.meterCt[m]!;
      meterP[m] = sec;
      let r = reg_[m]! + sec * dtH;
      if (r >= REGISTER_MAX_KWH + 0.01) { r -= REGISTER_MAX_KWH + 0.01; stats.rollovers++; }
      reg_[m] = r;
    }
    const repl = plan.replacements;
    if (repl.size > 0) {
      for (const [m, step] of repl) if (step === k) { reg_[m] = 5 * hashUnit(noiseSeed, m, k, 9); stats.replacements++; }
    }

    transport.beginStep(k, t);
    for (let g = 0; g < G; g++) {
      const fresh: ReadingInput[] = [];
      for (let m = p.gwFirstMeter[g]!; m < p.gwFirstMeter[g + 1]!; m++) {
        const e = p.meterEnt[m]!;
        const r = makeReading(city, m, k, t, meterP[m]!, reg_[m]!, entLevel[e]!, dead[e] === 1, noiseSeed);
        if (repl.size > 0 && repl.get(m) === k) r.quality = ['meter_replaced'];
        fresh.push(r);
      }
      yield* transport.deliver(g, fresh);
    }
    yield* transport.endStep();
  }
  yield* transport.flush(startMs + steps * intervalMs);
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}

/**
 * A reading as the meter reports it: secondary-side values (current through the CT, power =
 * primary / ctMultiplier), phase voltages around 220–235 V, PF lower at light load.
 */
function makeReading(city: City, m: number, k: number, t: number, secKw: number, register: number, level: number, isDead: boolean, seed: number): ReadingInput {
  const p = city.profiles;
  const id = city.registry.meters[m]!.id;
  let energy = round(register, 2);
  if (energy > REGISTER_MAX_KWH) energy = 0;
  if (isDead) {
    return { meter: id, ts: t, energyKwh: energy, powerKw: 0, voltageV: [0, 0, 0], currentA: [0, 0, 0], powerFactor: 0 };
  }
  const v0 = p.meterVolt[m]!;
  const va = v0 + 1.2 * hashGauss(seed, m, k, 10), vb = v0 + 1.2 * hashGauss(seed, m, k, 11), vc = v0 + 1.2 * hashGauss(seed, m, k, 12);
  const pf = Math.min(0.995, Math.max(0.5, p.meterPf[m]! - 0.25 * Math.max(0, 1 - level)));
  const iAvg = (secKw * 1000) / (3 * ((va + vb + vc) / 3) * pf);
  const ia = iAvg * (1 + 0.04 * hashGauss(seed, m, k, 13)), ib = iAvg * (1 + 0.04 * hashGauss(seed, m, k, 14));
  const ic = Math.max(0, 3 * iAvg - ia - ib);
  return {
    meter: id,
    ts: t,
    energyKwh: energy,
    powerKw: round(secKw, 4),
    voltageV: [round(va, 1), round(vb, 1), round(vc, 1)],
    currentA: [round(Math.max(0, ia), 3), round(Math.max(0, ib), 3), round(ic, 3)],
    powerFactor: round(pf, 3),
  };
}

export type { DataEffect };
