import { CHAINS, COUNTIES } from '../src/registry/city.js';
import type { IncidentLabel } from '../src/schemas/incident.js';
import { addDays, cstDate, cstMidnight, dayInfo, DAY_MS, holidayBlocks, springFestivalDate } from './calendar.js';
import type { City } from './city.js';
import { PROFILE_INDEX } from './profiles.js';
import { Rng } from './rng.js';
import { defaultCounts, INJECTABLE_KINDS, type ExplicitIncident, type InjectableKind, type Scenario } from './scenario.js';

const HOUR = 3600_000;

/**
 * A load effect on enterprises. Its weight w(t) ramps 0→1 over `rampIn` from `start`, stays 1
 * until `end`, and ramps back to 0 over `rampOut`:
 * - standby: load → (1−w)·load + w·standby (halt, shutdown);
 * - scale:   load → load · (1 − w·(1 − level)) (cut, decline, chain follower);
 * - dead:    load → load · (1 − w), and meters read zero volts while t < end (grid outage).
 */
export interface LoadEffect {
  mode: 'standby' | 'scale' | 'dead';
  ents: number[];
  start: number;
  end: number;
  rampIn: number;
  rampOut: number;
  level: number;
}

/**
 * A data effect on gateways or meters:
 * - offline: no data while active; the missed readings follow as a backlog burst (or are lost);
 * - silent: no data and nothing stored (a gateway without power in an outage);
 * - duplicates / late / out_of_order / malformed: transport faults at `rate`.
 */
export interface DataEffect {
  mode: 'offline' | 'silent' | 'duplicates' | 'late' | 'out_of_order' | 'malformed';
  target: 'gateway' | 'meter';
  ids: number[];
  start: number;
  end: number;
  rate: number;
  backlog: boolean;
}

export interface Plan {
  load: LoadEffect[];
  data: DataEffect[];
  labels: IncidentLabel[];
  /** Meter index → step at which its register is reset (meter replacement). */
  replacements: Map<number, number>;
}

export interface RunWindow {
  startMs: number;
  endMs: number;
  intervalMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Each enterprise's Spring Festival windows (shutdown start, shutdown end, ramp end) overlapping the run. */
export function springFestivalWindows(city: City, e: number, run: RunWindow): [number, number, number][] {
  const p = city.profiles;
  const out: [number, number, number][] = [];
  const y0 = Number(cstDate(run.startMs).slice(0, 4)), y1 = Number(cstDate(run.endMs).slice(0, 4));
  for (let y = y0; y <= y1; y++) {
    const sf = cstMidnight(springFestivalDate(y));
    const s = sf - p.entSfPre[e]! * DAY_MS;
    const en = s + p.entSfLen[e]! * DAY_MS;
    const r = en + p.entSfRamp[e]! * DAY_MS;
    if (r > run.startMs && s < run.endMs) out.push([s, en, r]);
  }
  return out;
}

export function planRun(city: City, run: RunWindow, scenario: Scenario, seed: number): Plan {
  const rng = new Rng(seed ^ 0x51a7e);
  const reg = city.registry;
  const p = city.profiles;
  const E = reg.enterprises.length, G = reg.gateways.length, M = reg.meters.length;
  const days = (run.endMs - run.startMs) / DAY_MS;
  const load: LoadEffect[] = [];
  const data: DataEffect[] = [];
  const labels: IncidentLabel[] = [];
  let seq = 0;
  const label = (l: Omit<IncidentLabel, 'id' | 'contributors'> & { contributors?: string[] }) =>
    labels.push({ id: `${l.kind}-${String(++seq).padStart(4, '0')}`, contributors: [], ...l });

  // --- Calendar: holidays and Spring Festival (expected drops: must not alert).
  const sfWin: [number, number, number][][] = Array.from({ length: E }, () => []);
  for (let e = 0; e < E; e++) sfWin[e] = springFestivalWindows(city, e, run);
  for (const b of holidayBlocks(cstDate(run.startMs), cstDate(run.endMs - 1))) {
    let s = cstMidnight(b.first), en = cstMidnight(addDays(b.last, 1));
    const sf = b.name.includes('Spring Festival');
    if (sf && scenario.springFestival) {
      for (let e = 0; e < E; e++) for (const w of sfWin[e]!) if (w[0] < en + 20 * DAY_MS && w[2] > s - 20 * DAY_MS) { s = Math.min(s, w[0]); en = Math.max(en, w[2]); }
    }
    label({ kind: sf ? 'spring_festival' : 'holiday', scope: 'city', entities: [], start: iso(Math.max(s, run.startMs)), end: iso(Math.min(en, run.endMs)), magnitude: sf ? 0.8 : 0.6, expected: 'none' });
  }
  if (scenario.springFestival) {
    for (let e = 0; e < E; e++) for (const [s, en, r] of sfWin[e]!) {
      load.push({ mode: 'standby', ents: [e], start: s, end: en, rampIn: 12 * HOUR, rampOut: r - en, level: 0 });
    }
  }
  // --- Planned shutdowns from the registry.
  const planned = new Uint8Array(E);
  reg.enterprises.forEach((ent, e) => {
    for (const w of ent.plannedShutdowns) {
      planned[e] = 1;
      const s = Date.parse(w.start), en = Date.parse(w.end);
      if (!scenario.plannedShutdowns || en <= run.startMs || s >= run.endMs) continue;
      load.push({ mode: 'standby', ents: [e], start: s, end: en, rampIn: 2 * HOUR, rampOut: 6 * HOUR, level: 0 });
      label({ kind: 'planned_shutdown', scope: 'enterprise', entities: [ent.id], start: w.start, end: w.end, magnitude: 1, expected: 'none' });
    }
  });

  // --- Random placement helpers.
  const warmup = (scenario.warmupDays ?? Math.min(14, days / 4)) * DAY_MS;
  const used = new Uint8Array(E);
  let usedCount = 0;
  const maxUsed = Math.floor(E * (1 - scenario.incidentFreeShare));
  const calendarQuiet = (e: number, s: number, en: number) => {
    for (const w of sfWin[e]!) if (s < w[2] + 2 * DAY_MS && en > w[0] - 2 * DAY_MS) return false;
    for (let t = s - DAY_MS; t <= en + DAY_MS; t += DAY_MS) if (dayInfo(cstDate(t)).holiday) return false;
    return true;
  };
  /** A start on a working day between 07:00 and 15:00 China time, aligned to the interval. */
  const pickStart = (durMs: number, e: number | null, quietMs = durMs, tries = 30): number | null => {
    const lo = run.startMs + warmup, hi = run.endMs - durMs - 6 * HOUR;
    if (hi <= lo) return null;
    for (let i = 0; i < tries; i++) {
      const day = cstDate(lo + rng.next() * (hi - lo));
      if (dayInfo(day).mode !== 'work') continue;
      let t = cstMidnight(day) + rng.range(7, 15) * HOUR;
      t = Math.round(t / run.intervalMs) * run.intervalMs;
      if (t < lo || t > hi) continue;
      if (e !== null && !calendarQuiet(e, t, t + quietMs)) continue;
      return t;
    }
    return null;
  };
  const freeEnts = rng.shuffle(Array.from({ length: E }, (_, i) => i).filter((e) => !planned[e]));
  const take = (pred: (e: number) => boolean = () => true): number | null => {
    if (usedCount >= maxUsed) return null;
    for (let i = 0; i < freeEnts.length; i++) {
      const e = freeEnts[i]!;
      if (!used[e] && pred(e)) { used[e] = 1; usedCount++; freeEnts.splice(i, 1); return e; }
    }
    return null;
  };
  const claim = (e: number) => { if (!used[e]) { used[e] = 1; usedCount++; } };
  const entId = (e: number) => reg.enterprises[e]!.id;
  const durFor = (x: ExplicitIncident, fallbackH: number) => (x.end ? Date.parse(x.end) - Date.parse(x.start) : (x.hours ?? fallbackH) * HOUR);

  const counts = { ...defaultCounts(days, E), ...stripUndefined(scenario.counts) };
  const explicit = (k: InjectableKind) => scenario.incidents.filter((x) => x.kind === k);
  const resolveEnt = (id: string | undefined) => {
    const e = id === undefined ? undefined : city.index.enterprise.get(id);
    if (id !== undefined && e === undefined) throw new Error(`scenario: unknown enterprise '${id}'`);
    return e;
  };
  const first = (t: ExplicitIncident['target']) => (Array.isArray(t) ? t[0] : t);

  // --- Chain disruptions first: they need a leader or an upstream firm and its neighbours free.
  const chainDisruption = (trigger: number, t0: number, durMs: number, magRaw: number) => {
    const mag = Math.round(magRaw * 100) / 100;
    const ci = p.entChain[trigger]!;
    const chainId = ci >= 0 ? CHAINS[ci]!.id : (reg.enterprises[trigger]!.chains[0] ?? 'none');
    claim(trigger);
    load.push(mag >= 0.95
      ? { mode: 'standby', ents: [trigger], start: t0, end: t0 + durMs, rampIn: HOUR, rampOut: 6 * HOUR, level: 0 }
      : { mode: 'scale', ents: [trigger], start: t0, end: t0 + durMs, rampIn: HOUR, rampOut: 6 * HOUR, level: 1 - mag });
    // A leader that stops buys nothing from its suppliers; an upstream firm that stops starves its customers.
    const isLeader = reg.enterprises[trigger]!.leader;
    const neighbours = [...new Set([...(isLeader ? city.graph.suppliers[trigger]! : []), ...city.graph.customers[trigger]!])];
    const contributors = [entId(trigger)];
    let lastEnd = t0 + durMs;
    for (const f of neighbours) {
      if (used[f] || planned[f] || rng.chance(0.25)) continue;
      const lag = rng.range(4, 48) * HOUR;
      const fs = Math.round((t0 + lag) / run.intervalMs) * run.intervalMs;
      const fe = Math.round((t0 + durMs + rng.range(0, 24) * HOUR) / run.intervalMs) * run.intervalMs;
      if (fe <= fs || !calendarQuiet(f, fs, fe)) continue;
      claim(f);
      load.push({ mode: 'scale', ents: [f], start: fs, end: fe, rampIn: rng.range(2, 12) * HOUR, rampOut: 12 * HOUR, level: 1 - rng.range(0.3, 0.6) });
      contributors.push(entId(f));
      lastEnd = Math.max(lastEnd, fe);
    }
    label({ kind: 'chain_disruption', scope: 'chain', entities: [chainId], contributors, start: iso(t0), end: iso(lastEnd), magnitude: mag, expected: 'chain_disruption' });
  };
  for (const x of explicit('chain_disruption')) {
    const tgt = first(x.target);
    let e = tgt ? city.index.enterprise.get(tgt) : undefined;
    if (tgt && e === undefined) {
      const ci = CHAINS.findIndex((c) => c.id === tgt);
      if (ci < 0) throw new Error(`scenario: chain_disruption target '${tgt}' is neither an enterprise nor a chain`);
      e = city.graph.leaders[ci]!;
    }
    if (e === undefined || e < 0) throw new Error('scenario: chain_disruption needs a target (chain id or enterprise id)');
    chainDisruption(e, Date.parse(x.start), durFor(x, 72), x.magnitude ?? 1);
  }
  const triggers = rng.shuffle([
    ...city.graph.leaders.filter((e) => e >= 0),
    ...reg.enterprises.map((en, e) => (en.stage === 'upstream' && city.graph.customers[e]!.length >= 2 ? e : -1)).filter((e) => e >= 0),
  ]);
  // Leaders first (the signal the bureau wants most), then upstream firms with several customers.
  triggers.sort((a, b) => Number(reg.enterprises[b]!.leader) - Number(reg.enterprises[a]!.leader));
  const chainsHit = new Set<number>();
  for (let n = 0, i = 0; n < counts.chain_disruption && i < triggers.length; i++) {
    const e = triggers[i]!;
    if (used[e] || planned[e] || chainsHit.has(p.entChain[e]!)) continue;
    const dur = Math.round(rng.logRange(24, 10 * 24)) * HOUR;
    const t0 = pickStart(dur + 3 * DAY_MS, e);
    if (t0 === null) continue;
    chainsHit.add(p.entChain[e]!);
    chainDisruption(e, t0, dur, rng.chance(0.6) ? 1 : rng.range(0.5, 0.8));
    n++;
  }

  // --- Enterprise incidents: halts, cuts, slow declines.
  const entIncident = (kind: 'production_halt' | 'production_cut' | 'slow_decline', e: number, t0: number, durMs: number, magRaw: number) => {
    const mag = Math.round(magRaw * 100) / 100;
    claim(e);
    if (kind === 'production_halt') {
      load.push({ mode: 'standby', ents: [e], start: t0, end: t0 + durMs, rampIn: 0.5 * HOUR, rampOut: 2 * HOUR, level: 0 });
    } else if (kind === 'production_cut') {
      load.push({ mode: 'scale', ents: [e], start: t0, end: t0 + durMs, rampIn: 0.5 * HOUR, rampOut: 2 * HOUR, level: 1 - mag });
    } else {
      // The decline holds at its lower level to the end of the run: a trend, not an episode.
      load.push({ mode: 'scale', ents: [e], start: t0, end: run.endMs + DAY_MS, rampIn: durMs, rampOut: 0, level: 1 - mag });
    }
    const expected = kind === 'production_halt' ? 'production_halt' : kind === 'production_cut' ? 'production_cut' : 'slow_decline';
    label({ kind, scope: 'enterprise', entities: [entId(e)], start: iso(t0), end: iso(t0 + durMs), magnitude: kind === 'production_halt' ? 1 : mag, expected });
  };
  const entKinds = [
    ['slow_decline', () => rng.int(21, 42) * DAY_MS, () => rng.range(0.25, 0.5)],
    ['production_halt', () => Math.round(rng.logRange(4, 14 * 24)) * HOUR, () => 1],
    ['production_cut', () => Math.round(rng.logRange(6, 10 * 24)) * HOUR, () => rng.range(0.3, 0.7)],
  ] as const;
  for (const [kind, dur, mag] of entKinds) {
    for (const x of explicit(kind)) {
      const e = resolveEnt(first(x.target)) ?? take();
      if (e === undefined || e === null) continue;
      entIncident(kind, e, Date.parse(x.start), durFor(x, kind === 'slow_decline' ? 28 * 24 : 24), x.magnitude ?? mag());
    }
    for (let n = 0, tries = 0; n < counts[kind] && tries < counts[kind] * 5; tries++) {
      let d = dur();
      // A short run gets shorter declines (at least 3 days), leaving room to place them.
      if (kind === 'slow_decline') d = Math.min(d, Math.round((run.endMs - run.startMs - warmup) * 0.7 / DAY_MS) * DAY_MS);
      if (d < (kind === 'slow_decline' ? 3 * DAY_MS : HOUR)) break;
      // Continuous-process plants are rarely "cut"; any profile can halt or decline.
      const e = take((c) => kind !== 'production_cut' || p.entKind[c] !== PROFILE_INDEX.three_shift || rng.chance(0.3));
      if (e === null) break;
      // A decline spans weeks and may cross a holiday; only its start must be in ordinary time.
      const t0 = pickStart(d, e, kind === 'slow_decline' ? 3 * DAY_MS : d);
      if (t0 === null) { used[e] = 0; usedCount--; freeEnts.push(e); continue; }
      entIncident(kind, e, t0, d, mag());
      n++;
    }
  }

  // --- Regional grid outages: a whole county or a part of it (some of its gateways).
  const gatewaysOfCounty = (c: number) => Array.from({ length: G }, (_, g) => g).filter((g) => p.gwCounty[g] === c);
  const outage = (gws: number[], county: number, t0: number, durMs: number) => {
    const ents = new Set<number>();
    for (const g of gws) for (let m = p.gwFirstMeter[g]!; m < p.gwFirstMeter[g + 1]!; m++) ents.add(p.meterEnt[m]!);
    const entList = [...ents];
    load.push({ mode: 'dead', ents: entList, start: t0, end: t0 + durMs, rampIn: 0, rampOut: rng.range(0.5, 2) * HOUR, level: 0 });
    // Gateways without a UPS go silent; the rest keep reporting zero volts and a still register.
    const silent = gws.filter(() => rng.chance(0.5));
    // Data effects apply at publish time t, load effects to the interval (t − interval, t]: a reading
    // stamped t0 still covers the time before the outage, so the silent window is (t0, t0 + dur].
    if (silent.length > 0) data.push({ mode: 'silent', target: 'gateway', ids: silent, start: t0 + 1, end: t0 + durMs + 1, rate: 1, backlog: false });
    label({ kind: 'grid_outage', scope: 'county', entities: [COUNTIES[county]!.id], contributors: entList.map(entId), start: iso(t0), end: iso(t0 + durMs), magnitude: 1, expected: 'grid_outage' });
  };
  for (const x of explicit('grid_outage')) {
    const tg = x.target === undefined ? [] : Array.isArray(x.target) ? x.target : [x.target];
    const c = COUNTIES.findIndex((cc) => cc.id === tg[0]);
    const gws = c >= 0 ? gatewaysOfCounty(c) : tg.map((id) => city.index.gateway.get(id)).filter((g): g is number => g !== undefined);
    if (gws.length === 0) throw new Error(`scenario: grid_outage target '${tg.join(',')}' matches no county or gateway`);
    outage(gws, c >= 0 ? c : p.gwCounty[gws[0]!]!, Date.parse(x.start), durFor(x, 2));
  }
  for (let n = 0; n < counts.grid_outage; n++) {
    const c = rng.int(0, COUNTIES.length - 1);
    let gws = gatewaysOfCounty(c);
    if (gws.length === 0) continue;
    // Half the outages take a whole county; the rest a part of it (a feeder's gateways).
    if (rng.chance(0.5) && gws.length > 3) gws = rng.shuffle(gws.slice()).slice(0, Math.max(2, Math.ceil(gws.length * rng.range(0.2, 0.5))));
    const dur = Math.round(rng.logRange(0.25, 8) * 4) * 0.25 * HOUR;
    const t0 = pickStart(dur, null);
    if (t0 === null) continue;
    // Any hour of the day: outages follow weather and faults, not shifts.
    const t = Math.round((t0 + rng.range(-7, 9) * HOUR) / run.intervalMs) * run.intervalMs;
    outage(gws, c, Math.max(run.startMs + warmup, t), dur);
  }

  // --- Gateway and meter offline (no data, then a backlog burst on reconnect).
  const gwOff = (g: number, t0: number, durMs: number) => {
    data.push({ mode: 'offline', target: 'gateway', ids: [g], start: t0, end: t0 + durMs, rate: 1, backlog: true });
    label({ kind: 'gateway_offline', scope: 'gateway', entities: [reg.gateways[g]!.id], start: iso(t0), end: iso(t0 + durMs), magnitude: 1, expected: 'gateway_offline' });
  };
  for (const x of explicit('gateway_offline')) {
    const g = city.index.gateway.get(first(x.target) ?? '');
    if (g === undefined) throw new Error(`scenario: gateway_offline needs a known gateway id, got '${first(x.target)}'`);
    gwOff(g, Date.parse(x.start), durFor(x, 6));
  }
  const gwOrder = rng.shuffle(Array.from({ length: G }, (_, g) => g));
  for (let n = 0; n < counts.gateway_offline && n < G; n++) {
    const dur = Math.round(rng.logRange(0.5, 48) * 4) * 0.25 * HOUR;
    const t0 = pickStart(dur, null);
    if (t0 !== null) gwOff(gwOrder[n]!, t0, dur);
  }
  const meterOff = (m: number, t0: number, durMs: number) => {
    const backlog = rng.chance(scenario.meterBacklogShare);
    data.push({ mode: 'offline', target: 'meter', ids: [m], start: t0, end: t0 + durMs, rate: 1, backlog });
    label({ kind: 'meter_offline', scope: 'meter', entities: [reg.meters[m]!.id], start: iso(t0), end: iso(t0 + durMs), magnitude: 1, expected: 'meter_offline' });
  };
  for (const x of explicit('meter_offline')) {
    const m = city.index.meter.get(first(x.target) ?? '');
    if (m === undefined) throw new Error(`scenario: meter_offline needs a known meter id, got '${first(x.target)}'`);
    meterOff(m, Date.parse(x.start), durFor(x, 12));
  }
  for (let n = 0; n < counts.meter_offline; n++) {
    const e = take();
    if (e === null) break;
    const meters = reg.meters.map((mm, i) => (mm.enterprise === entId(e) ? i : -1)).filter((i) => i >= 0);
    const dur = Math.round(rng.logRange(1, 72)) * HOUR;
    const t0 = pickStart(dur, null);
    if (t0 !== null && meters.length > 0) meterOff(rng.pick(meters), t0, dur);
  }

  // --- Transport faults: windows on gateways with a fault rate.
  const transportModes: Record<string, DataEffect['mode']> = {
    transport_duplicates: 'duplicates', transport_late: 'late', transport_out_of_order: 'out_of_order', transport_malformed: 'malformed',
  };
  for (const kind of ['transport_duplicates', 'transport_late', 'transport_out_of_order', 'transport_malformed'] as const) {
    const add = (g: number, t0: number, durMs: number, rate: number) => {
      data.push({ mode: transportModes[kind]!, target: 'gateway', ids: [g], start: t0, end: t0 + durMs, rate, backlog: false });
      label({ kind, scope: 'gateway', entities: [reg.gateways[g]!.id], start: iso(t0), end: iso(t0 + durMs), magnitude: rate, expected: 'none' });
    };
    for (const x of explicit(kind)) {
      const g = city.index.gateway.get(first(x.target) ?? '');
      if (g === undefined) throw new Error(`scenario: ${kind} needs a known gateway id, got '${first(x.target)}'`);
      add(g, Date.parse(x.start), durFor(x, 24), x.magnitude ?? scenario.transportRate);
    }
    for (let n = 0; n < counts[kind]; n++) {
      const dur = Math.round(rng.logRange(2, 72)) * HOUR;
      const t0 = pickStart(dur, null);
      if (t0 !== null) add(rng.int(0, G - 1), t0, dur, scenario.transportRate);
    }
  }

  // --- Meter replacements (register reset), not incidents: visible in the data's quality flag.
  const replacements = new Map<number, number>();
  const steps = Math.round((run.endMs - run.startMs) / run.intervalMs);
  const nRep = scenario.meterReplacements ?? (days >= 3 ? Math.max(1, Math.round(M * 0.002 * (days / 60))) : 0);
  for (let n = 0; n < nRep && steps > 2; n++) replacements.set(rng.int(0, M - 1), rng.int(1, steps - 1));

  load.sort((a, b) => a.start - b.start);
  data.sort((a, b) => a.start - b.start);
  labels.sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id.localeCompare(b.id));
  return { load, data, labels, replacements };
}

function stripUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

export { INJECTABLE_KINDS };
