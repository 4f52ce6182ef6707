import { CHAINS, COUNTIES, STAGES } from '../src/registry/city.js';
import { hashPassword } from '../src/registry/password.js';
import { registrySchema, type RegistryFile, type RegistryFileInput } from '../src/registry/schema.js';
import { REGISTER_MAX_KWH } from '../src/schemas/reading.js';
import { addDays, cstDate, cstMidnight, dayInfo, DAY_MS } from './calendar.js';
import { PROFILE_INDEX, PROFILE_KINDS, SAT_WORK_P, SHAPES, type ProfileKind } from './profiles.js';
import { Rng } from './rng.js';

/** The maintenance cycle behind registry plannedShutdowns. */
export const PLANNED_CYCLE = { share: 0.04, periodDays: 182, from: '2024-01-01', to: '2028-01-01' } as const;

export interface BuildCityOptions {
  seed: number;
  enterprises: number;
  /** ISO time the simulation will start at (recorded in the City; the registry does not depend on it). */
  start: string;
  /** Accepted for compatibility; the registry does not depend on it. */
  days?: number;
  /** Mean meters per gateway (default 60; concentrators carry tens to hundreds). Lower it for more connections. */
  metersPerGateway?: number;
  /** scrypt cost for gateway password hashes (default 1024: thousands of gateways hash in seconds). */
  scryptN?: number;
  /** Give every enterprise this load profile (calibration, single-industry experiments). */
  profile?: ProfileKind;
}

/**
 * Per-enterprise and per-meter parameters as typed arrays (index = position in registry.enterprises
 * / registry.meters), so 100,000 meters cost a few MB. Meters are ordered by gateway: gateway g
 * owns meters gwFirstMeter[g] .. gwFirstMeter[g+1]-1.
 */
export interface CityProfiles {
  entKind: Uint8Array;
  /** Night base load, share of peak. */
  entBase: Float32Array;
  /** Load when halted / shut down (transformer kept energised), share of peak. */
  entStandby: Float32Array;
  entSatP: Float32Array;
  entPeakKw: Float32Array;
  entCounty: Uint8Array;
  /** Primary chain index in CHAINS, −1 for none. */
  entChain: Int16Array;
  /** Spring Festival: shutdown starts `sfPre` days before lunar new year, lasts `sfLen` days, then ramps back over `sfRamp` days. */
  entSfPre: Uint8Array;
  entSfLen: Uint8Array;
  entSfRamp: Uint8Array;
  meterEnt: Int32Array;
  meterGw: Int32Array;
  /** Share of the enterprise's load on this meter. */
  meterShare: Float32Array;
  meterCt: Float32Array;
  /** Register (secondary kWh) at the city's start. */
  meterReg0: Float64Array;
  meterVolt: Float32Array;
  meterPf: Float32Array;
  gwFirstMeter: Int32Array;
  gwCounty: Uint8Array;
}

export interface SupplyGraph {
  /** Supplier → customer edges as index lists (mirrors registry enterprises[].suppliers). */
  suppliers: number[][];
  customers: number[][];
  /** Enterprise indices per chain (primary chain), by CHAINS index. */
  chainMembers: number[][];
  /** Chain leader enterprise index per chain (−1 when the chain has no members). */
  leaders: number[];
}

export interface City {
  seed: number;
  start: string;
  registry: RegistryFile;
  /** gatewayId → plaintext password (the registry holds only scrypt hashes). */
  credentials: Record<string, string>;
  profiles: CityProfiles;
  graph: SupplyGraph;
  /** Enterprise id → index, meter id → index, gateway id → index. */
  index: { enterprise: Map<string, number>; meter: Map<string, number>; gateway: Map<string, number> };
}

/** Where each chain clusters (shared domain.md §5); other counties get it less often. */
const CHAIN_HOME: Record<string, string[]> = {
  integrated_circuits: ['haining'], semiconductors: ['nanhu'], photovoltaics: ['haining', 'xiuzhou'],
  hydrogen: ['jiashan', 'pinghu'], nev_parts: ['pinghu'], fasteners: ['haiyan'], cnc_machine_tools: ['pinghu'],
  power_equipment: [], communication_equipment: ['jiashan', 'nanhu'], textiles_chemical_fibre: ['tongxiang', 'haining'],
  furniture: [], smart_sensors: ['jiashan'],
};
/** Shift-profile mix per chain: [one_shift, two_shift, three_shift, heavy]. */
const CHAIN_PROFILE_MIX: Record<string, number[]> = {
  integrated_circuits: [0, 0.3, 0.7, 0], semiconductors: [0, 0.3, 0.7, 0], photovoltaics: [0, 0.3, 0.6, 0.1],
  hydrogen: [0.2, 0.3, 0.5, 0], nev_parts: [0.3, 0.5, 0, 0.2], fasteners: [0.3, 0.3, 0, 0.4],
  cnc_machine_tools: [0.4, 0.4, 0, 0.2], power_equipment: [0.2, 0.4, 0, 0.4], communication_equipment: [0.3, 0.5, 0.2, 0],
  textiles_chemical_fibre: [0.1, 0.4, 0.5, 0], furniture: [0.7, 0.3, 0, 0], smart_sensors: [0.4, 0.4, 0.2, 0],
  none: [0.5, 0.3, 0.1, 0.1],
};
const CT_RATIOS = [20, 30, 40, 50, 60, 80, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1500, 2000];
const NAME_SYLLABLES = '华宏鑫恒盛达力嘉兴正美新东荣泰隆通远瑞丰金海天益和顺';

function weighted(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

/**
 * CT multiplier (倍率) for a meter: direct connection below ~40 kW; otherwise the smallest
 * standard x/5 A ratio that keeps the secondary current under 5 A (≈ 3.3 kW at 400 V, PF 0.95),
 * so secondary power stays far below the meter's 100 kW format limit.
 */
export function ctFor(peakKw: number): number {
  if (peakKw < 40) return 1;
  for (const ct of CT_RATIOS) if (peakKw / ct <= 3.3) return ct;
  return CT_RATIOS[CT_RATIOS.length - 1]!;
}

export function buildCity(opts: BuildCityOptions): City {
  const E = Math.max(1, Math.floor(opts.enterprises));
  const rng = new Rng(opts.seed);
  const rEnt = rng.fork(1), rGraph = rng.fork(2), rGw = rng.fork(3), rMeter = rng.fork(4), rPlan = rng.fork(5);
  const pad = Math.max(5, String(E).length);

  const entKind = new Uint8Array(E), entBase = new Float32Array(E), entStandby = new Float32Array(E);
  const entSatP = new Float32Array(E), entPeakKw = new Float32Array(E), entCounty = new Uint8Array(E);
  const entChain = new Int16Array(E), entSfPre = new Uint8Array(E), entSfLen = new Uint8Array(E), entSfRamp = new Uint8Array(E);
  const secondChain = new Int16Array(E).fill(-1);
  const ids: string[] = [];
  const names: string[] = [];

  for (let e = 0; e < E; e++) {
    ids.push(`ent-${String(e + 1).padStart(pad, '0')}`);
    // 90 % belong to a signature chain; the rest is general industry.
    const chain = rEnt.chance(0.9) ? rEnt.int(0, CHAINS.length - 1) : -1;
    entChain[e] = chain;
    if (chain >= 0 && rEnt.chance(0.1)) {
      const c2 = rEnt.int(0, CHAINS.length - 1);
      if (c2 !== chain) secondChain[e] = c2;
    }
    const home = chain >= 0 ? CHAIN_HOME[CHAINS[chain]!.id]! : [];
    const homeId = home.length > 0 && rEnt.chance(0.6) ? rEnt.pick(home) : null;
    const county = homeId ? COUNTIES.findIndex((c) => c.id === homeId) : rEnt.int(0, COUNTIES.length - 1);
    entCounty[e] = county;
    const mixed = weighted(rEnt, CHAIN_PROFILE_MIX[chain >= 0 ? CHAINS[chain]!.id : 'none']!);
    const kind = opts.profile ? PROFILE_INDEX[opts.profile] : mixed;
    entKind[e] = kind;
    const shape = SHAPES[PROFILE_KINDS[kind]!];
    entBase[e] = rEnt.range(shape.baseRange[0], shape.baseRange[1]);
    // A halted plant keeps lighting, offices, compressors on standby: a few % of peak.
    entStandby[e] = Math.min(entBase[e]!, rEnt.range(0.02, 0.08));
    const satSpread = kind === PROFILE_INDEX.heavy ? 0.1 : 0.3;
    entSatP[e] = kind === PROFILE_INDEX.three_shift ? 1 : Math.min(1, Math.max(0, SAT_WORK_P[PROFILE_KINDS[kind]!] + rEnt.range(-satSpread, satSpread)));
    // Sizes from small workshops (~20 kW) to large plants (MW): log-normal around 250 kW.
    entPeakKw[e] = Math.min(8000, Math.max(15, 250 * Math.exp(1.1 * rEnt.gauss())));
    // Spring Festival: stop 1–10 days before lunar new year, 1–4 weeks in all, ramp back 3–14 days.
    const pre = rEnt.int(1, 10);
    entSfPre[e] = pre;
    entSfLen[e] = rEnt.int(Math.max(7, pre + 7), 28);
    entSfRamp[e] = rEnt.int(3, 14);
    if (kind === PROFILE_INDEX.three_shift) {
      // Continuous processes stop briefly if at all.
      entSfLen[e] = Math.max(pre + 7, rEnt.int(7, 12));
      entSfRamp[e] = rEnt.int(2, 5);
    }
    const cz = COUNTIES[county]!.zh.slice(0, 2);
    const sector = chain >= 0 ? CHAINS[chain]!.zh : '制造';
    names.push(`${cz}${NAME_SYLLABLES[rEnt.int(0, NAME_SYLLABLES.length - 1)]}${NAME_SYLLABLES[rEnt.int(0, NAME_SYLLABLES.length - 1)]}${sector}有限公司`);
  }

  // Chains: stages and supplier → customer edges; the largest member is the leader (链主).
  const chainMembers: number[][] = CHAINS.map(() => []);
  for (let e = 0; e < E; e++) if (entChain[e]! >= 0) chainMembers[entChain[e]!]!.push(e);
  const stage = new Int8Array(E).fill(-1);
  const leaders: number[] = CHAINS.map(() => -1);
  const isLeader = new Uint8Array(E);
  const suppliers: number[][] = Array.from({ length: E }, () => []);
  chainMembers.forEach((members, ci) => {
    if (members.length === 0) return;
    for (const e of members) stage[e] = weighted(rGraph, [0.3, 0.4, 0.3]);
    const leader = members.reduce((a, b) => (entPeakKw[b]! > entPeakKw[a]! ? b : a));
    leaders[ci] = leader;
    isLeader[leader] = 1;
    entPeakKw[leader] = Math.max(entPeakKw[leader]!, rGraph.range(3000, 12000));
    stage[leader] = rGraph.chance(0.6) ? 2 : 1;
    const byStage = [0, 1, 2].map((s) => members.filter((e) => stage[e] === s));
    for (const e of members) {
      const s = stage[e]!;
      if (s === 0) continue;
      const pool = byStage[s - 1]!.length > 0 ? byStage[s - 1]! : byStage[0]!;
      if (pool.length === 0) continue;
      const n = e === leader ? Math.min(pool.length, rGraph.int(5, 20)) : rGraph.int(1, Math.min(3, pool.length));
      const set = new Set<number>();
      for (let k = 0; k < n * 3 && set.size < n; k++) {
        const cand = pool[rGraph.int(0, pool.length - 1)]!;
        if (cand !== e) set.add(cand);
      }
      suppliers[e]!.push(...set);
    }
    // Most of the chain's downstream buys from the leader when it is midstream.
    if (stage[leader] === 1) {
      for (const e of byStage[2]!) if (e !== leader && rGraph.chance(0.6) && !suppliers[e]!.includes(leader)) suppliers[e]!.push(leader);
    }
  });
  // A few cross-chain edges (a fastener maker supplying an NEV plant).
  for (let e = 0; e < E; e++) {
    if (E > 20 && rGraph.chance(0.08)) {
      const s = rGraph.int(0, E - 1);
      if (s !== e && !suppliers[e]!.includes(s)) suppliers[e]!.push(s);
    }
  }
  const customers: number[][] = Array.from({ length: E }, () => []);
  suppliers.forEach((list, c) => list.forEach((s) => customers[s]!.push(c)));

  // Meters: 1–3 per enterprise by size; gateways pack enterprises of a county (industrial-park
  // concentrators), large plants get their own gateway.
  const metersOf = new Uint8Array(E);
  for (let e = 0; e < E; e++) {
    const p = entPeakKw[e]!;
    metersOf[e] = p < 150 ? (rMeter.chance(0.9) ? 1 : 2) : p < 1500 ? rMeter.int(1, 2) + (rMeter.chance(0.2) ? 1 : 0) : 3;
  }
  const mpg = Math.max(1, opts.metersPerGateway ?? 60);
  const gwGroups: { county: number; ents: number[]; own: boolean }[] = [];
  for (let c = 0; c < COUNTIES.length; c++) {
    const ents: number[] = [];
    for (let e = 0; e < E; e++) if (entCounty[e] === c) ents.push(e);
    rGw.shuffle(ents);
    let cur: number[] = [], curMeters = 0, target = Math.max(1, Math.round(mpg * rGw.range(0.4, 1.6)));
    for (const e of ents) {
      if ((isLeader[e] || entPeakKw[e]! > 3000) && mpg >= 10) {
        gwGroups.push({ county: c, ents: [e], own: true });
        continue;
      }
      cur.push(e);
      curMeters += metersOf[e]!;
      if (curMeters >= target) {
        gwGroups.push({ county: c, ents: cur, own: false });
        cur = []; curMeters = 0; target = Math.max(1, Math.round(mpg * rGw.range(0.4, 1.6)));
      }
    }
    if (cur.length > 0) gwGroups.push({ county: c, ents: cur, own: false });
  }
  const G = gwGroups.length;
  const M = gwGroups.reduce((a, g) => a + g.ents.reduce((s, e) => s + metersOf[e]!, 0), 0);
  const meterEnt = new Int32Array(M), meterGw = new Int32Array(M), meterShare = new Float32Array(M), meterCt = new Float32Array(M);
  const meterReg0 = new Float64Array(M), meterVolt = new Float32Array(M), meterPf = new Float32Array(M);
  const gwFirstMeter = new Int32Array(G + 1), gwCounty = new Uint8Array(G);
  const gateways: RegistryFileInput['gateways'] = [];
  const meters: NonNullable<RegistryFileInput['meters']> = [];
  const credentials: Record<string, string> = {};
  const gwCountInCounty = new Int32Array(COUNTIES.length);
  const scryptN = opts.scryptN ?? 1024;
  let m = 0;
  gwGroups.forEach((grp, g) => {
    const county = COUNTIES[grp.county]!.id;
    const gid = `gw-${county}-${String(++gwCountInCounty[grp.county]!).padStart(4, '0')}`;
    const pw = rGw.token(20);
    credentials[gid] = pw;
    gateways!.push({ id: gid, passwordHash: hashPassword(pw, { N: scryptN }), ...(grp.own ? { enterprise: ids[grp.ents[0]!]! } : {}) });
    gwFirstMeter[g] = m;
    gwCounty[g] = grp.county;
    for (const e of grp.ents) {
      const n = metersOf[e]!;
      // Main incomer carries most of the load, the others a workshop or a line each.
      const raw = Array.from({ length: n }, (_, k) => (k === 0 ? 1 : rMeter.range(0.2, 0.6)));
      const sum = raw.reduce((a, b) => a + b, 0);
      for (let k = 0; k < n; k++) {
        const share = raw[k]! / sum;
        const ct = ctFor(entPeakKw[e]! * share);
        meterEnt[m] = e; meterGw[m] = g; meterShare[m] = share; meterCt[m] = ct;
        // Registers start anywhere; ~1 % start a few days' energy short of the wrap so rollovers happen.
        const daily = (entPeakKw[e]! * share * 12) / ct;
        meterReg0[m] = rMeter.chance(0.01) ? Math.max(0, REGISTER_MAX_KWH - daily * rMeter.range(0.5, 20)) : rMeter.range(0, 0.9) * REGISTER_MAX_KWH;
        meterVolt[m] = rMeter.range(222, 234);
        meterPf[m] = rMeter.range(0.86, 0.98);
        meters!.push({ id: `${ids[e]}-m${k + 1}`, enterprise: ids[e]!, gateway: gid, ctMultiplier: ct });
        m++;
      }
    }
  });
  gwFirstMeter[G] = m;

  // Planned shutdowns (maintenance, 检修): 4 % of enterprises stop 1–5 days twice a year on a
  // fixed cycle from 2024 to 2027, so the registry does not depend on the run's start or length
  // (`simulate --registry-only` for the pipeline and a later live run agree).
  const planned: { start: string; end: string; reason: string }[][] = Array.from({ length: E }, () => []);
  const cycleFrom = cstMidnight(PLANNED_CYCLE.from), cycleTo = cstMidnight(PLANNED_CYCLE.to);
  for (let e = 0; e < E; e++) {
    if (!(E >= 20 && rPlan.chance(PLANNED_CYCLE.share)) || isLeader[e]) continue;
    const offset = rPlan.int(0, PLANNED_CYCLE.periodDays - 1);
    const len = rPlan.int(1, 5);
    const reason = rPlan.pick(['annual maintenance 年度检修', 'transformer maintenance 变压器检修', 'equipment upgrade 设备改造']);
    for (let t = cycleFrom + offset * DAY_MS; t < cycleTo; t += PLANNED_CYCLE.periodDays * DAY_MS) {
      let day = cstDate(t);
      for (let i = 0; i < 7 && dayInfo(day).mode !== 'work'; i++) day = addDays(day, 1);
      planned[e]!.push({ start: new Date(cstMidnight(day)).toISOString(), end: new Date(cstMidnight(addDays(day, len))).toISOString(), reason });
    }
  }

  const registry = registrySchema.parse({
    version: 1,
    enterprises: ids.map((id, e) => ({
      id,
      name: names[e]!,
      county: COUNTIES[entCounty[e]!]!.id,
      chains: entChain[e]! >= 0 ? [CHAINS[entChain[e]!]!.id, ...(secondChain[e]! >= 0 ? [CHAINS[secondChain[e]!]!.id] : [])] : [],
      ...(stage[e]! >= 0 ? { stage: STAGES[stage[e]!]! } : {}),
      leader: isLeader[e] === 1,
      suppliers: suppliers[e]!.map((s) => ids[s]!),
      plannedShutdowns: planned[e]!,
    })),
    gateways,
    meters,
  });

  const index = {
    enterprise: new Map(ids.map((id, i) => [id, i])),
    meter: new Map(registry.meters.map((mm, i) => [mm.id, i])),
    gateway: new Map(registry.gateways.map((gg, i) => [gg.id, i])),
  };
  return {
    seed: opts.seed,
    start: opts.start,
    registry,
    credentials,
    profiles: {
      entKind, entBase, entStandby, entSatP, entPeakKw, entCounty, entChain, entSfPre, entSfLen, entSfRamp,
      meterEnt, meterGw, meterShare, meterCt, meterReg0, meterVolt, meterPf, gwFirstMeter, gwCounty,
    },
    graph: { suppliers, customers, chainMembers, leaders },
    index,
  };
}

export type { ProfileKind };
