import type { ReadingInput } from '../src/schemas/reading.js';
import type { City } from './city.js';
import type { SimBatch, SimStats } from './engine.js';
import type { DataEffect, Plan } from './planner.js';
import { hashUnit } from './rng.js';
import type { Scenario } from './scenario.js';

interface Faults { duplicates: number; late: number; out_of_order: number; malformed: number }

/**
 * What happens between the meter and the broker: gateways and meters going offline (data held
 * back and sent as a burst on reconnect, or lost), gateways without power (silent), and the
 * transport faults — duplicates, late readings, out-of-order messages and malformed payloads.
 * Everything it holds back is bounded by the scenario (offline durations, a few steps of delay).
 */
export class Transport {
  private ptr = 0;
  private active: DataEffect[] = [];
  private readonly gwMode: Uint8Array; // 0 online, 1 offline (keeps a backlog), 2 silent (loses data)
  private readonly gwFaults = new Map<number, Faults>();
  private readonly meterOff = new Map<number, boolean>(); // meter → keeps a backlog
  private readonly gwBacklog = new Map<number, ReadingInput[]>();
  private readonly meterBacklog = new Map<number, ReadingInput[]>();
  private readonly pendingMerge = new Map<number, Map<number, ReadingInput[]>>();
  private readonly pendingSeparate = new Map<number, Map<number, ReadingInput[][]>>();
  private k = 0;
  private t = 0;

  constructor(
    private readonly city: City,
    private readonly plan: Plan,
    _scenario: Scenario,
    private readonly rp: { maxBatch: number },
    private readonly seed: number,
    private readonly stats: SimStats,
  ) {
    this.gwMode = new Uint8Array(city.registry.gateways.length);
  }

  beginStep(k: number, t: number): void {
    this.k = k;
    this.t = t;
    const data = this.plan.data;
    let changed = false;
    while (this.ptr < data.length && data[this.ptr]!.start <= t) { this.active.push(data[this.ptr++]!); changed = true; }
    const before = this.active.length;
    this.active = this.active.filter((ef) => t < ef.end);
    if (!changed && before === this.active.length) return;
    this.gwMode.fill(0);
    this.gwFaults.clear();
    this.meterOff.clear();
    for (const ef of this.active) {
      for (const id of ef.ids) {
        if (ef.target === 'meter') { this.meterOff.set(id, ef.backlog); continue; }
        if (ef.mode === 'offline') this.gwMode[id] = Math.max(this.gwMode[id]!, 1);
        else if (ef.mode === 'silent') this.gwMode[id] = 2;
        else {
          const f = this.gwFaults.get(id) ?? { duplicates: 0, late: 0, out_of_order: 0, malformed: 0 };
          f[ef.mode] = Math.max(f[ef.mode], ef.rate);
          this.gwFaults.set(id, f);
        }
      }
    }
  }

  *deliver(g: number, fresh: ReadingInput[]): Generator<SimBatch> {
    const k = this.k;
    const first = this.city.profiles.gwFirstMeter[g]!;
    const mode = this.gwMode[g]!;
    const due = this.pendingMerge.get(k)?.get(g);
    if (mode === 2) {
      // No power at the gateway: nothing is read, nothing is stored for later.
      this.stats.lost += fresh.length + (due?.length ?? 0);
      return;
    }
    // Offline meters: the concentrator cannot read them; with a load-profile memory the readings come back later.
    let out: ReadingInput[] = fresh;
    if (this.meterOff.size > 0 || this.meterBacklog.size > 0) {
      out = [];
      const back: ReadingInput[] = [];
      for (let i = 0; i < fresh.length; i++) {
        const m = first + i;
        const keep = this.meterOff.get(m);
        if (keep === undefined) {
          const bl = this.meterBacklog.get(m);
          if (bl) { back.push(...bl); this.meterBacklog.delete(m); }
          out.push(fresh[i]!);
        } else if (keep) {
          const bl = this.meterBacklog.get(m) ?? [];
          bl.push(fresh[i]!);
          this.meterBacklog.set(m, bl);
        } else this.stats.lost++;
      }
      if (back.length > 0) { this.stats.backlog += back.length; out = [...back, ...out]; }
    }
    if (due) out = out.concat(due);
    if (mode === 1) {
      const bl = this.gwBacklog.get(g) ?? [];
      for (const r of out) bl.push(r);
      this.gwBacklog.set(g, bl);
      return;
    }
    const gw = this.city.registry.gateways[g]!.id;
    const bl = this.gwBacklog.get(g);
    if (bl) {
      // Reconnect: the gateway sends everything it held, oldest first, in full batches.
      this.gwBacklog.delete(g);
      this.stats.backlog += bl.length;
      yield* this.chunks(gw, bl);
    }
    const f = this.gwFaults.get(g);
    if (f) out = yield* this.applyFaults(g, gw, out, f);
    yield* this.chunks(gw, out);
  }

  private *applyFaults(g: number, gw: string, readings: ReadingInput[], f: Faults): Generator<SimBatch, ReadingInput[]> {
    const k = this.k, s = this.seed;
    let out: ReadingInput[] = [];
    for (let i = 0; i < readings.length; i++) {
      let r = readings[i]!;
      if (f.late > 0 && hashUnit(s, g * 4096 + i, k, 1) < f.late) {
        this.defer(k + 1 + Math.floor(hashUnit(s, g * 4096 + i, k, 2) * 8), g, r);
        this.stats.late++;
        continue;
      }
      if (f.duplicates > 0 && hashUnit(s, g * 4096 + i, k, 3) < f.duplicates) {
        this.defer(k + 1 + Math.floor(hashUnit(s, g * 4096 + i, k, 4) * 3), g, r);
        this.stats.duplicates++;
      }
      if (f.malformed > 0 && hashUnit(s, g * 4096 + i, k, 5) < f.malformed) {
        r = corrupt(r, hashUnit(s, g * 4096 + i, k, 6));
        this.stats.malformed++;
      }
      out.push(r);
    }
    if (f.malformed > 0 && out.length > 0 && hashUnit(s, g, k, 7) < f.malformed / 4) {
      // A garbled message: cut mid-JSON. Its readings are lost to the pipeline.
      const text = JSON.stringify({ readings: out });
      this.stats.rawMalformed++;
      this.stats.lost += out.length;
      yield { gateway: gw, ts: this.t, readings: [], raw: text.slice(0, Math.max(1, Math.floor(text.length * hashUnit(s, g, k, 8)))) };
      return [];
    }
    if (f.out_of_order > 0 && out.length > 0 && hashUnit(s, g, k, 9) < f.out_of_order * 4) {
      // Held back one interval and sent after the next interval's message.
      const m = this.pendingSeparate.get(k + 1) ?? new Map<number, ReadingInput[][]>();
      const list = m.get(g) ?? [];
      list.push(out);
      m.set(g, list);
      this.pendingSeparate.set(k + 1, m);
      this.stats.outOfOrder += out.length;
      out = [];
    }
    return out;
  }

  private defer(step: number, g: number, r: ReadingInput): void {
    const m = this.pendingMerge.get(step) ?? new Map<number, ReadingInput[]>();
    const list = m.get(g) ?? [];
    list.push(r);
    m.set(g, list);
    this.pendingMerge.set(step, m);
  }

  *endStep(): Generator<SimBatch> {
    const k = this.k;
    this.pendingMerge.delete(k);
    const sep = this.pendingSeparate.get(k);
    if (!sep) return;
    this.pendingSeparate.delete(k);
    for (const [g, lists] of sep) {
      for (const list of lists) {
        if (this.gwMode[g] === 0) yield* this.chunks(this.city.registry.gateways[g]!.id, list);
        else if (this.gwMode[g] === 1) this.gwBacklog.set(g, [...(this.gwBacklog.get(g) ?? []), ...list]);
        else this.stats.lost += list.length;
      }
    }
  }

  /** End of run: whatever is still held is delivered, as a gateway coming back after the run would. */
  *flush(endTs: number): Generator<SimBatch> {
    this.t = endTs;
    const gwIds = this.city.registry.gateways;
    const byGw = new Map<number, ReadingInput[]>();
    const add = (g: number, rs: ReadingInput[]) => byGw.set(g, [...(byGw.get(g) ?? []), ...rs]);
    for (const [g, bl] of this.gwBacklog) { add(g, bl); this.stats.backlog += bl.length; }
    for (const [m, bl] of this.meterBacklog) { add(this.city.profiles.meterGw[m]!, bl); this.stats.backlog += bl.length; }
    for (const step of [...this.pendingMerge.keys()].sort((a, b) => a - b)) for (const [g, rs] of this.pendingMerge.get(step)!) add(g, rs);
    for (const step of [...this.pendingSeparate.keys()].sort((a, b) => a - b)) for (const [g, ls] of this.pendingSeparate.get(step)!) for (const l of ls) add(g, l);
    this.gwBacklog.clear(); this.meterBacklog.clear(); this.pendingMerge.clear(); this.pendingSeparate.clear();
    for (const g of [...byGw.keys()].sort((a, b) => a - b)) yield* this.chunks(gwIds[g]!.id, byGw.get(g)!);
  }

  private *chunks(gw: string, readings: ReadingInput[]): Generator<SimBatch> {
    const n = this.rp.maxBatch;
    for (let i = 0; i < readings.length; i += n) {
      const part = readings.slice(i, i + n);
      this.stats.readings += part.length;
      this.stats.batches++;
      yield { gateway: gw, ts: this.t, readings: part };
    }
  }
}

/** One of the ways a gateway gets a reading wrong (each maps to a pipeline reject code). */
function corrupt(r: ReadingInput, u: number): ReadingInput {
  const c = { ...r } as Record<string, unknown>;
  switch (Math.floor(u * 7)) {
    case 0: c.energyKwh = String(r.energyKwh); break; // a string where a number belongs
    case 1: c.ts = new Date(r.ts as number).toISOString().slice(0, 19); break; // no zone
    case 2: c.energyKwh = -1; break; // out of range
    case 3: delete c.meter; break;
    case 4: c.voltageV = r.voltageV ? [r.voltageV[0], r.voltageV[1]] : [230]; break;
    case 5: c.meter = `x${r.meter}`.slice(0, 64); break; // unknown meter
    default: c.powerFactor = 1.7; break;
  }
  return c as unknown as ReadingInput;
}
