/** Small summary statistics shared by the benchmarks and reports. */

/** `x` rounded to `digits` decimals, for JSON output that stays readable. */
export function roundTo(x: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}

/** The q-quantile of an ascending array by the nearest-rank rule (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty array');
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The upper median (for an even count, the larger middle value), without changing `xs`. */
export function median(xs: readonly number[]): number {
  return quantile(
    xs.slice().sort((a, b) => a - b),
    0.5,
  );
}
