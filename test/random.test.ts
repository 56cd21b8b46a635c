import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from '../src/random/index.js';
import { wilsonInterval } from '../src/report/index.js';

describe('Rng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    const c = new Rng(8);
    const sa = Array.from({ length: 20 }, () => a.uniform());
    const sb = Array.from({ length: 20 }, () => b.uniform());
    const sc = Array.from({ length: 20 }, () => c.uniform());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    for (const x of sa) expect(x >= 0 && x < 1).toBe(true);
  });

  it('draws normals with mean ~0 and variance ~1', () => {
    const r = new Rng(1);
    const n = 20000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it('derives per-index seeds that depend only on (seed, index)', () => {
    expect(deriveSeed(3, 10)).toBe(deriveSeed(3, 10));
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(deriveSeed(3, i));
    expect(seen.size).toBe(1000);
    expect(deriveSeed(3, 0)).not.toBe(deriveSeed(4, 0));
  });
});

describe('wilsonInterval', () => {
  it('matches hand-computed values', () => {
    // 8/10 at 95%: z² = 3.8415, denom = 1 + z²/10 = 1.38415, center = (0.8 + 0.19207)/denom = 0.71674,
    // half = 1.96·sqrt(0.8·0.2/10 + z²/400)/denom = 1.96·0.16/1.38415 = 0.22657
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.4902, 3);
    expect(hi).toBeCloseTo(0.9433, 3);
  });
  it('stays inside [0, 1] at the extremes', () => {
    const [lo0, hi0] = wilsonInterval(0, 20);
    expect(lo0).toBe(0);
    expect(hi0).toBeGreaterThan(0.1);
    const [lo1, hi1] = wilsonInterval(20, 20);
    expect(hi1).toBe(1);
    expect(lo1).toBeLessThan(0.9);
  });
});
