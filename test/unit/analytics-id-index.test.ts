import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../analytics/id-index.js';

/** Dense slots with a free list, as the engine keeps enterprises: the index reads ids from `ids`. */
function owner() {
  const ids: (string | undefined)[] = [];
  const free: number[] = [];
  const index = new IdIndex((i) => ids[i]);
  return {
    ids, index,
    add(id: string): number {
      const i = free.pop() ?? ids.length;
      index.set(id, i);
      ids[i] = id;
      return i;
    },
    remove(id: string): void {
      const i = index.get(id)!;
      expect(index.delete(id)).toBe(true);
      ids[i] = undefined;
      free.push(i);
    },
  };
}

describe('IdIndex (string id → dense index, Map replacement)', () => {
  it('agrees with a Map through 20,000 random adds and removals, growth and slot reuse included', () => {
    const o = owner();
    const ref = new Map<string, number>();
    let seed = 12345;
    const rnd = () => ((seed = Math.imul(seed, 1103515245) + 12345 >>> 0) / 2 ** 32);
    for (let step = 0; step < 20_000; step++) {
      const id = `ent-${Math.floor(rnd() * 3000)}`;
      if (ref.has(id) && rnd() < 0.45) { o.remove(id); ref.delete(id); }
      else if (!ref.has(id)) ref.set(id, o.add(id));
      if (step % 997 === 0) {
        expect(o.index.size).toBe(ref.size);
        for (const [k, v] of ref) expect(o.index.get(k)).toBe(v);
      }
    }
    for (let k = 0; k < 3000; k++) expect(o.index.get(`ent-${k}`)).toBe(ref.get(`ent-${k}`));
    expect(o.index.get('never')).toBeUndefined();
    expect(o.index.delete('never')).toBe(false);
  });

  it('set of a present id moves it; clear empties it', () => {
    const o = owner();
    for (let k = 0; k < 100; k++) o.add(`m${k}`);
    o.ids[150] = 'm7';
    o.index.set('m7', 150);
    expect(o.index.get('m7')).toBe(150);
    expect(o.index.size).toBe(100);
    o.index.clear();
    expect(o.index.size).toBe(0);
    expect(o.index.get('m7')).toBeUndefined();
  });
});
