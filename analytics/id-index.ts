/**
 * String id → dense index, for ids their owner already keeps by index (`idOf(i)`): an open-addressing table
 * of Int32 cells (index + 1, 0 empty), linear probing, at most 3/4 full, so 5–11 bytes per id. A
 * Map<string, number> costs ~46 (V8's ordered hash table: key, value and chain words per entry, plus
 * buckets, capacity doubled). For lookups off the hot path: the hash is computed here, in JS.
 *
 * Contract: idOf(i) returns the id of every index in the table (write it before or after set, clear it
 * only after delete).
 */
export class IdIndex {
  private tab = new Int32Array(16);
  private n = 0;

  constructor(private readonly idOf: (i: number) => string | undefined) {}

  get size(): number {
    return this.n;
  }

  get(id: string): number | undefined {
    const tab = this.tab, mask = tab.length - 1;
    for (let j = hash(id) & mask; ; j = (j + 1) & mask) {
      const v = tab[j]!;
      if (v === 0) return undefined;
      if (this.idOf(v - 1) === id) return v - 1;
    }
  }

  set(id: string, i: number): void {
    if ((this.n + 1) * 4 > this.tab.length * 3) this.rehash(this.tab.length * 2);
    const tab = this.tab, mask = tab.length - 1;
    let j = hash(id) & mask;
    for (; tab[j] !== 0; j = (j + 1) & mask) {
      if (this.idOf(tab[j]! - 1) === id) { tab[j] = i + 1; return; }
    }
    tab[j] = i + 1;
    this.n++;
  }

  delete(id: string): boolean {
    const tab = this.tab, mask = tab.length - 1;
    let j = hash(id) & mask;
    for (; ; j = (j + 1) & mask) {
      const v = tab[j]!;
      if (v === 0) return false;
      if (this.idOf(v - 1) === id) break;
    }
    // Backward-shift deletion: later cells of the run move up when their home is at or before the hole.
    tab[j] = 0;
    for (let k = (j + 1) & mask; tab[k] !== 0; k = (k + 1) & mask) {
      const home = hash(this.idOf(tab[k]! - 1)!) & mask;
      if (((k - home) & mask) >= ((k - j) & mask)) { tab[j] = tab[k]!; tab[k] = 0; j = k; }
    }
    this.n--;
    return true;
  }

  clear(): void {
    this.tab = new Int32Array(16);
    this.n = 0;
  }

  private rehash(cap: number): void {
    const old = this.tab, tab = new Int32Array(cap), mask = cap - 1;
    for (let k = 0; k < old.length; k++) {
      const v = old[k]!;
      if (v === 0) continue;
      let j = hash(this.idOf(v - 1)!) & mask;
      while (tab[j] !== 0) j = (j + 1) & mask;
      tab[j] = v;
    }
    this.tab = tab;
  }
}

/** FNV-1a over UTF-16 code units. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}
