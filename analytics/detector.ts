/**
 * The two shapes a detector takes (docs/analytics.md, "Detectors"). Adding one touches its own file, its
 * registration in engine.ts (in the documented order) and its docs.
 */

/**
 * A per-enterprise detector stepped inside the interval loop (today: drops.ts). It owns its
 * struct-of-arrays state (one typed-array cell per enterprise, named in `fields` and in the checkpoint's
 * TYPED list), its options (a Pick of ResolvedOptions) and the snapshot/restore that late data replays from.
 */
export interface EnterpriseDetector {
  /** Its typed arrays, by field name (checkpoint.ts writes and reads them). */
  readonly fields: readonly string[];
  /** Capacity for n enterprises (arrays grow by doubling, never per entity). */
  grow(n: number): void;
  /** Enterprise slot e is new: nothing learned. */
  reset(e: number): void;
  /** State after interval b kept for replay, and put back. */
  snapshot(e: number, b: number): void;
  restore(e: number, b: number): void;
}

/**
 * A detector judged once per interval after every enterprise was evaluated (outages, chain roll-up,
 * county slowdown): it reads the engine through its own narrow host and writes alerts to the book.
 */
export interface IntervalDetector {
  step(b: number, now: number): void;
}
