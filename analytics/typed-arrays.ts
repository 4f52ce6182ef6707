/** A typed array of length n holding a's values, the new cells set to fill (state grows by doubling, never per entity). */
export function grow<T extends Float64Array | Float32Array | Int32Array | Int16Array | Uint8Array | Uint16Array | Uint32Array>(a: T, n: number, fill?: number): T {
  const C = a.constructor as new (n: number) => T;
  const b = new C(n);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}
