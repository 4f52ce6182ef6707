/**
 * The checkpoint format: the engine's typed arrays as base64 (named below, in this order) plus ids, alerts
 * and each concern's own part (see Engine.toJSON). One JSON document, so a restore is one read and the
 * file can be inspected; the version makes an older file fail with a clear error rather than load wrong.
 */

/** Bumped whenever the checkpoint's fields change (2: chain roll-up, Spring Festival return state; 3: snapshot starts as Int16 offsets, stuck registers, 21 days of daily ratios; 4: meters heard from through rejected readings; 5: coarse-data meters, weekend regularity; 6: episode snapshots in a pool of rings, only for enterprises with an episode in the window). */
export const CHECKPOINT_VERSION = 6;

/** The engine's typed arrays (its own and its meter baselines'), by field name. */
export const TYPED = [
  'mReg', 'mLast', 'mHeard', 'mEnt', 'mGw', 'mNext', 'mCt', 'mCoarse', 'mProf', 'mScale', 'mShape', 'mObs',
  'eHead', 'eCounty', 'eChain', 'eNoise', 'eQlo', 'eHourNoise', 'eWkNoise', 'ePeak', 'eLastEp', 'eA', 'eE', 'dS', 'sS', 'dLow', 'sLow', 'dRec', 'dEp',
  'dRun', 'sRun', 'dEpA', 'dEpE', 'dKind', 'epRing', 'pLast', 'pEp', 'pEpA', 'pEpE', 'pKind', 'pRec', 'eDirty', 'eOutage', 'eDayA', 'eDayE', 'eDayR',
  'eSfBack', 'eSfRun',
] as const;

/** The one of `holders` (the engine and its parts) that has field k. */
function holderOf<T>(holders: Record<string, T>[], k: string): Record<string, T> {
  const h = holders.find((x) => k in x);
  if (!h) throw new Error(`checkpoint: no typed array ${k}`);
  return h;
}

/** Base64 of each typed array named in TYPED, read by field name from whichever holder has it. */
export function encodeTyped(holders: Record<string, ArrayBufferView>[]): Record<string, string> {
  const typed: Record<string, string> = {};
  for (const k of TYPED) {
    const a = holderOf(holders, k)[k]!;
    typed[k] = Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  }
  return typed;
}

/** Replaces each typed array named in TYPED with the checkpoint's, keeping its element type. */
export function decodeTyped(holders: Record<string, unknown>[], typed: Record<string, string>): void {
  for (const k of TYPED) {
    const self = holderOf(holders, k);
    const cur = self[k] as Float64Array;
    const buf = Buffer.from(typed[k]!, 'base64');
    const C = cur.constructor as unknown as { new (b: ArrayBuffer): Float64Array; BYTES_PER_ELEMENT: number };
    const copy = new ArrayBuffer(buf.byteLength);
    new Uint8Array(copy).set(buf);
    self[k] = new C(copy);
  }
}

/** Throws when the checkpoint is another format or was written with other interval options. */
export function checkFormat(s: { v?: unknown; intervalMs?: unknown; W?: unknown }, intervalMs: number, W: number): void {
  if (s.v !== CHECKPOINT_VERSION) throw new Error(`checkpoint format ${String(s.v)} is not this analyzer's (${CHECKPOINT_VERSION})`);
  if (s.intervalMs !== intervalMs || s.W !== W) throw new Error('checkpoint does not match the analyzer options (intervalMs, windowIntervals)');
}
