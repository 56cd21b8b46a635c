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

/**
 * Area under the ROC curve of `scores` for binary `labels`: the probability that a
 * random positive scores above a random negative, ties counting half (Mann–Whitney U,
 * from ranks with average ranks for ties). NaN when either class is empty.
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  if (scores.length !== labels.length) throw new RangeError(`rocAuc: ${scores.length} scores for ${labels.length} labels`);
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Float64Array(scores.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let positives = 0;
  let rankSum = 0;
  labels.forEach((l, i) => {
    if (l) {
      positives++;
      rankSum += ranks[i]!;
    }
  });
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
