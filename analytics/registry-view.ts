import type { Calendar } from './calendar.js';
import { calendarFromSpec } from './holiday-file.js';
import type { ResolvedOptions } from './options.js';
import type { RegistryLike } from './types.js';

/**
 * What the analyzer takes from the registry: planned shutdowns (a planned stop is not a drop, and
 * learning pauses through it), leaders and supply-chain neighbours (the graph a chain disruption travels
 * along). Rebuilt only when the registry object changes, so a tick costs one comparison.
 */
export class RegistryView {
  private ref: RegistryLike | undefined;
  private shutdowns = new Map<string, Array<[number, number]>>();
  private leaders = new Set<string>();
  private customers = new Map<string, Set<string>>(); // leader → downstream (two hops)
  /**
   * Enterprises whose calendar is not the analyzer's: their own (registry `calendar`; specs loaded once
   * each, a file that fails is logged and passed over), else their county's (countyCalendars).
   */
  private calendars = new Map<string, Calendar>();
  private readonly specs = new Map<string, Calendar | null>();
  /** Meters whose reading interval the registry states (ms). */
  private readEvery = new Map<string, number>();

  constructor(
    private readonly o: Pick<ResolvedOptions, 'plannedBeforeMs' | 'plannedAfterMs' | 'springFestivalBeforeDays' | 'springFestivalAfterDays'>,
    private readonly warn: (o: object, msg: string) => void = () => {},
    /** Calendars per county id, loaded and checked at start-up (config analytics.countyCalendars). */
    private readonly countyCalendars: ReadonlyMap<string, Calendar> = new Map(),
  ) {}

  refresh(r: RegistryLike | undefined): void {
    if (!r || r === this.ref) return;
    this.ref = r;
    this.shutdowns = new Map();
    this.leaders = new Set();
    this.calendars = new Map();
    this.readEvery = new Map();
    for (const m of r.meters ?? []) if (m.intervalMinutes !== undefined) this.readEvery.set(m.id, m.intervalMinutes * 60_000);
    const direct = new Map<string, Set<string>>(); // supplier → customers
    const up = new Map<string, Set<string>>(); // customer → suppliers
    for (const e of r.enterprises) {
      if (e.plannedShutdowns && e.plannedShutdowns.length > 0) {
        this.shutdowns.set(e.id, e.plannedShutdowns.map((w) => [Date.parse(w.start), Date.parse(w.end)]));
      }
      if (e.leader) this.leaders.add(e.id);
      // Precedence: the enterprise's own calendar, then its county's, then the analyzer's.
      const cal = (e.calendar ? this.calendar(e.calendar, e.id) : null) ?? this.countyCalendars.get(e.county);
      if (cal) this.calendars.set(e.id, cal);
      for (const s of e.suppliers ?? []) {
        let set = direct.get(s);
        if (!set) direct.set(s, (set = new Set()));
        set.add(e.id);
        let u = up.get(e.id);
        if (!u) up.set(e.id, (u = new Set()));
        u.add(s);
      }
    }
    // Supply-chain neighbours: a leader that stops buys nothing from its suppliers (two hops up) and
    // starves its customers; any firm that stops starves its customers and idles its suppliers (one hop).
    this.customers = new Map();
    const ids = new Set([...direct.keys(), ...up.keys()]);
    for (const id of ids) {
      const out = new Set<string>([...(direct.get(id) ?? []), ...(up.get(id) ?? [])]);
      if (this.leaders.has(id)) for (const n of [...out]) for (const n2 of [...(direct.get(n) ?? []), ...(up.get(n) ?? [])]) out.add(n2);
      out.delete(id);
      this.customers.set(id, out);
    }
  }

  private calendar(spec: string, enterprise: string): Calendar | null {
    let c = this.specs.get(spec);
    if (c !== undefined) return c;
    try {
      c = calendarFromSpec(spec, `registry enterprises[${enterprise}].calendar`, { springFestivalBeforeDays: this.o.springFestivalBeforeDays, springFestivalAfterDays: this.o.springFestivalAfterDays });
    } catch (err) {
      // The registry can change at run time (API edits): a bad file must not stop the analyzer.
      this.warn({ err: (err as Error).message, enterprise }, 'analytics: enterprise calendar unusable; its county\'s or the default calendar is used');
      c = null;
    }
    this.specs.set(spec, c);
    return c;
  }

  /** The meter's reading interval from the registry (ms), when stated. */
  readingInterval(meter: string): number | undefined {
    return this.readEvery.get(meter);
  }

  /** Any enterprise with a calendar of its own: the hot path skips the lookup when there is none. */
  hasCalendars(): boolean {
    return this.calendars.size > 0;
  }
  calendarOf(enterprise: string): Calendar | undefined {
    return this.calendars.get(enterprise);
  }

  /** Any planned shutdown at all: the hot path skips the lookup when there is none. */
  hasShutdowns(): boolean {
    return this.shutdowns.size > 0;
  }

  inShutdown(enterprise: string, ms: number): boolean {
    const w = this.shutdowns.get(enterprise);
    if (!w) return false;
    // Plants ramp down before and back up after the window: the margins are part of the plan.
    for (const [a, z] of w) if (ms >= a - this.o.plannedBeforeMs && ms < z + this.o.plannedAfterMs) return true;
    return false;
  }

  isLeader(enterprise: string): boolean {
    return this.leaders.has(enterprise);
  }

  neighbours(enterprise: string): Iterable<string> {
    return this.customers.get(enterprise) ?? [];
  }
}
