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

  constructor(private readonly o: Pick<ResolvedOptions, 'plannedBeforeMs' | 'plannedAfterMs'>) {}

  refresh(r: RegistryLike | undefined): void {
    if (!r || r === this.ref) return;
    this.ref = r;
    this.shutdowns = new Map();
    this.leaders = new Set();
    const direct = new Map<string, Set<string>>(); // supplier → customers
    const up = new Map<string, Set<string>>(); // customer → suppliers
    for (const e of r.enterprises) {
      if (e.plannedShutdowns && e.plannedShutdowns.length > 0) {
        this.shutdowns.set(e.id, e.plannedShutdowns.map((w) => [Date.parse(w.start), Date.parse(w.end)]));
      }
      if (e.leader) this.leaders.add(e.id);
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
