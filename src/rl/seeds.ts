/**
 * Running an experiment over several seeds and summarizing a scalar result
 * (Henderson et al. 2018: report across seeds, never a single run).
 */

export interface SeedSummary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1 in the denominator; 0 for a single value). */
  std: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): SeedSummary {
  const n = values.length;
  if (n === 0) throw new Error('summarize: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
  return { n, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, min: Math.min(...values), max: Math.max(...values) };
}

/** `mean ± std [min, max] (n)` with the given decimals. */
export function formatSummary(s: SeedSummary, digits = 2): string {
  const f = (v: number) => v.toFixed(digits);
  return `${f(s.mean)} ± ${f(s.std)} [${f(s.min)}, ${f(s.max)}] (n=${s.n})`;
}

/** K consecutive seeds from `base`: base, base+1, ..., base+K−1. */
export function seedRange(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

/**
 * Run `run(seed)` for each seed, one after another (tfjs state is per process;
 * parallel seeds belong in worker threads, which the caller owns), and summarize
 * `score(result)`.
 */
export async function runSeeds<T>(
  seeds: readonly number[],
  run: (seed: number) => T | Promise<T>,
  score: (result: T) => number,
): Promise<{ results: { seed: number; result: T }[]; summary: SeedSummary }> {
  const results: { seed: number; result: T }[] = [];
  for (const seed of seeds) results.push({ seed, result: await run(seed) });
  return { results, summary: summarize(results.map((r) => score(r.result))) };
}
