/**
 * Seeded randomness. Two kinds:
 * - `Rng`: a sequential generator (mulberry32) for planning the city and the incidents;
 * - `hashUnit` / `hashGauss`: stateless noise keyed by (seed, entity, step), so a value does not
 *   depend on the order things are generated in (a meter's noise at a step is the same whether the
 *   run is 1 day or 60, and whether other meters exist).
 */

/** murmur3's 32-bit finaliser: a good avalanche on integers. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Uniform in [0, 1) from up to three integer keys. */
export function hashUnit(seed: number, a: number, b: number, c = 0): number {
  let h = mix32((seed ^ 0x9e3779b9) >>> 0);
  h = mix32((h ^ Math.imul(a | 0, 0x27d4eb2d)) >>> 0);
  h = mix32((h + Math.imul(b | 0, 0x165667b1)) >>> 0);
  h = mix32((h ^ Math.imul(c | 0, 0xd3a2646c)) >>> 0);
  return h / 4294967296;
}

/** Standard normal from hashed keys (Box–Muller). */
export function hashGauss(seed: number, a: number, b: number, c = 0): number {
  const u1 = hashUnit(seed, a, b, c * 2 + 1) || 1e-12;
  const u2 = hashUnit(seed, a, b, c * 2 + 2);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = mix32(seed >>> 0) || 0x6d2b79f5;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.next() * arr.length)]!;
  }
  gauss(): number {
    const u1 = this.next() || 1e-12;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.next());
  }
  /** Log-uniform in [lo, hi]: durations from hours to weeks. */
  logRange(lo: number, hi: number): number {
    return Math.exp(this.range(Math.log(lo), Math.log(hi)));
  }
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [arr[i], arr[j]] = [arr[j]!, arr[i]!];
    }
    return arr;
  }
  /** A fresh generator derived from this one (stable sub-streams per purpose). */
  fork(tag: number): Rng {
    return new Rng(mix32((Math.floor(this.next() * 4294967296) ^ tag) >>> 0));
  }
  token(len: number): string {
    const abc = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
    let s = '';
    for (let i = 0; i < len; i++) s += abc[Math.floor(this.next() * abc.length)];
    return s;
  }
}
