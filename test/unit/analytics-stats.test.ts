import { describe, expect, it } from 'vitest';
import { cusumStep, median, quantile, registerDelta, residual, robustUpdate } from '../../analytics/stats.js';

describe('registerDelta: interval consumption from a cumulative register', () => {
  it.each([
    ['normal step', 100, 112.5, 12.5],
    ['duplicate reading (no change)', 250.25, 250.25, 0],
    ['rollover at 999999.99 (9.49 to the top, 0.01 to wrap, 4.5 after)', 999_990.5, 4.5, 14],
    ['rollover exactly at the top', 999_999.99, 0, 0.01],
  ])('%s', (_n, prev, cur, want) => {
    expect(registerDelta(prev, cur)).toBeCloseTo(want, 6);
  });

  it.each([
    ['meter replaced (register back near zero, old value not near the top)', 52_310, 3.2],
    ['register reset mid-range', 800_000, 400_000],
  ])('%s claims nothing', (_n, prev, cur) => {
    expect(registerDelta(prev, cur)).toBeNaN();
  });

  it('an implausible jump claims nothing', () => {
    expect(registerDelta(100, 5_100, 1_000)).toBeNaN();
  });
});

describe('median and quantile', () => {
  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[5], 5],
    [[1, Number.NaN, 3], 2],
  ])('median(%j) = %d', (xs, want) => expect(median(xs)).toBe(want));
  it('median of nothing is NaN', () => expect(median([])).toBeNaN());
  it('quantile (type 7)', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.9)).toBeCloseTo(4.6, 10);
    expect(quantile([10, 20], 0.5)).toBe(15);
  });
});

describe('one-sided CUSUM', () => {
  it('accumulates a sustained drop and resets on normal data (known sequence)', () => {
    const k = 0.5;
    const zs = [0, 2, 3, 3, -1, -4, 0];
    const want = [0, 1.5, 4, 6.5, 5, 0.5, 0];
    let s = 0;
    zs.forEach((z, i) => {
      s = cusumStep(s, z, k);
      expect(s).toBeCloseTo(want[i]!, 10);
    });
  });
  it('winsorises z so one extreme interval cannot cross h alone', () => {
    expect(cusumStep(0, 100, 0.75, 4)).toBe(3.25);
    expect(cusumStep(3.25, 100, 0.75, 4)).toBe(6.5);
  });
  it('residual is the drop in noise units', () => {
    expect(residual(70, 100, 0.1)).toBeCloseTo(3, 10);
    expect(residual(110, 100, 0.1)).toBeCloseTo(-1, 10);
  });
});

describe('robust baseline update', () => {
  it('moves by α·(x − b) inside the clip and by at most α·c outside', () => {
    expect(robustUpdate(100, 104, 0.1, 10)).toBeCloseTo(100.4, 10);
    expect(robustUpdate(100, 0, 0.1, 10)).toBeCloseTo(99, 10);
    expect(robustUpdate(100, 1_000, 0.1, 10)).toBeCloseTo(101, 10);
  });
  it('one outlier in a steady series barely moves it (median-like)', () => {
    let b = 50;
    for (const x of [50, 50, 0, 50, 50]) b = robustUpdate(b, x, 0.1, 5);
    expect(b).toBeGreaterThan(49.4);
  });
});
