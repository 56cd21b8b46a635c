import { describe, expect, it } from 'vitest';
import { median, quantile, rocAuc, roundTo } from '../src/report/index.js';

describe('summary statistics', () => {
  it('rounds to a number of decimals', () => {
    expect(roundTo(1.23456, 2)).toBe(1.23);
    expect(roundTo(1.235, 1)).toBe(1.2);
    expect(roundTo(-0.0004, 3)).toBe(-0);
  });
  it('takes nearest-rank quantiles and the upper median without reordering the input', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 4, 2, 3]);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(10);
    expect(quantile([1, 2, 3], 0)).toBe(1);
    expect(() => quantile([], 0.5)).toThrow(RangeError);
  });

  it('ROC AUC: 1 for a perfect ranking, 0.5 for ties, the Mann–Whitney count otherwise', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    expect(rocAuc([0.2, 0.9], [false, true])).toBe(1);
    expect(rocAuc([0.5, 0.5, 0.5], [true, false, false])).toBe(0.5);
    expect(rocAuc([0.1, 0.2], [true, true])).toBeNaN();
    expect(() => rocAuc([0.1], [true, false])).toThrow(/1 scores for 2 labels/);
  });
});
