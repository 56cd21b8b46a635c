/**
 * The cross-entropy method over continuous actions (Rubinstein 1999; QT-Opt,
 * Kalashnikov et al. 2018 §4.2), as a pure sampler over a batched score
 * callback, so the CEM policy and the Bellman targets share one implementation
 * and it can be tested on a function with a known argmax.
 *
 * Shape legend:
 *   B  rows (images) optimised at once, each with its own Gaussian
 *   N  samples per row per iteration (QT-Opt: 64)
 *   M  elites per row (QT-Opt: 6)
 *   A  action dims (ACTION_DIM = 6: dx, dy, dz, dyaw, close, terminate)
 * Flat typed arrays are row-major: candidates [B·N, A] hold row b's samples in
 * rows b·N … b·N+N−1, which is the layout QNetwork.head expects.
 *
 * Per iteration: sample N actions per row from N(μ_b, diag σ_b²), clip them to
 * the action box, score the whole population in one call, refit μ_b and σ_b² to
 * the M best, with σ² ≥ the variance floor (tf_agents' QT-Opt CEM keeps 1e-4)
 * so the search never collapses to a point. Close and terminate are searched as
 * continuous values like the motions; the env thresholds them (> 0).
 */
import type { Rng } from '../random/index.js';

/** The sampler's settings (the `cem` section of QtOptConfig). */
export interface CemConfig {
  /** Samples N per row and iteration. */
  readonly samples: number;
  /** Elites M refitted to, 1 ≤ M ≤ N. */
  readonly elites: number;
  /** Sample–score–refit rounds. */
  readonly iterations: number;
  /** Initial mean per action dim [A], action units ([-1, 1]). */
  readonly initialMean: readonly number[];
  /** Initial standard deviation per action dim [A], action units. */
  readonly initialStd: readonly number[];
  /** Lower bound on each dim's refitted variance, action units². */
  readonly minVariance: number;
}

/** The box actions live in (src/env's actionSpace satisfies it). */
export interface ActionBox {
  /** [A] */
  readonly low: ArrayLike<number>;
  /** [A] */
  readonly high: ArrayLike<number>;
}

/** Scores of candidates [B·N, A] → [B·N], higher is better. Called once per iteration. */
export type BatchScore = (candidates: Float32Array) => Float32Array;

export interface CemResult {
  /** Best action seen per row over all iterations [B, A]. */
  readonly best: Float32Array;
  /** Its score [B]. */
  readonly bestScore: Float32Array;
  /** The final Gaussian's mean [B, A] (refitted to the last iteration's elites). */
  readonly mean: Float32Array;
  /** The final Gaussian's standard deviation [B, A]. */
  readonly std: Float32Array;
  /** The last iteration's elites [B, M, A], best first. */
  readonly elites: Float32Array;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

function checkConfig(config: CemConfig, box: ActionBox, batch: number): number {
  const a = box.low.length;
  if (box.high.length !== a) throw new RangeError(`cem: action box low has ${a} dims, high ${box.high.length}`);
  if (config.initialMean.length !== a || config.initialStd.length !== a) {
    throw new RangeError(`cem: initialMean/initialStd need ${a} values (the action dims), got ${config.initialMean.length}/${config.initialStd.length}`);
  }
  if (!(config.elites >= 1 && config.elites <= config.samples)) throw new RangeError(`cem: elites ${config.elites} must be in [1, samples ${config.samples}]`);
  if (!(config.iterations >= 1)) throw new RangeError(`cem: iterations ${config.iterations} must be ≥ 1`);
  if (!(batch >= 1)) throw new RangeError(`cem: batch ${batch} must be ≥ 1`);
  return a;
}

/** Indices of the `m` largest of scores[offset … offset+n−1], largest first (ties: lower index first). */
function topIndices(scores: Float32Array, offset: number, n: number, m: number, order: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) order[i] = i;
  // Partial selection sort: M ≪ N (6 of 64), so M passes beat a full sort.
  for (let k = 0; k < m; k++) {
    let bestJ = k;
    for (let j = k + 1; j < n; j++) {
      if (scores[offset + order[j]!]! > scores[offset + order[bestJ]!]!) bestJ = j;
    }
    const t = order[k]!;
    order[k] = order[bestJ]!;
    order[bestJ] = t;
  }
  return order;
}

/**
 * Maximise `score` over the box for `batch` rows at once. Deterministic given the
 * Rng's state: normals are drawn row by row, sample by sample, dim by dim.
 */
export function cem(score: BatchScore, config: CemConfig, rng: Rng, batch: number, box: ActionBox): CemResult {
  const a = checkConfig(config, box, batch);
  const { samples: n, elites: m, iterations } = config;
  const mean = new Float32Array(batch * a); // [B, A]
  const std = new Float32Array(batch * a); // [B, A]
  for (let b = 0; b < batch; b++) {
    for (let d = 0; d < a; d++) {
      mean[b * a + d] = config.initialMean[d]!;
      std[b * a + d] = config.initialStd[d]!;
    }
  }
  const best = new Float32Array(batch * a); // [B, A]
  const bestScore = new Float32Array(batch).fill(-Infinity); // [B]
  const elites = new Float32Array(batch * m * a); // [B, M, A]
  const candidates = new Float32Array(batch * n * a); // [B·N, A]
  const order = new Int32Array(n);
  const minStd = Math.sqrt(config.minVariance);

  for (let it = 0; it < iterations; it++) {
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < n; i++) {
        const row = (b * n + i) * a;
        for (let d = 0; d < a; d++) {
          candidates[row + d] = clamp(mean[b * a + d]! + std[b * a + d]! * rng.normal(), box.low[d]!, box.high[d]!);
        }
      }
    }
    const scores = score(candidates); // [B·N]
    if (scores.length !== batch * n) throw new RangeError(`cem: score returned ${scores.length} values for ${batch * n} candidates`);
    for (let b = 0; b < batch; b++) {
      topIndices(scores, b * n, n, m, order);
      const top = b * n + order[0]!;
      if (scores[top]! > bestScore[b]!) {
        bestScore[b] = scores[top]!;
        best.set(candidates.subarray(top * a, top * a + a), b * a);
      }
      for (let k = 0; k < m; k++) {
        const src = (b * n + order[k]!) * a;
        elites.set(candidates.subarray(src, src + a), (b * m + k) * a);
      }
      for (let d = 0; d < a; d++) {
        let sum = 0;
        for (let k = 0; k < m; k++) sum += elites[(b * m + k) * a + d]!;
        const mu = sum / m;
        let sq = 0;
        for (let k = 0; k < m; k++) {
          const e = elites[(b * m + k) * a + d]! - mu;
          sq += e * e;
        }
        mean[b * a + d] = mu;
        std[b * a + d] = Math.max(Math.sqrt(sq / m), minStd);
      }
    }
  }
  return { best, bestScore, mean, std, elites };
}

/** `count` actions drawn uniformly from the box, row-major [count, A]. */
export function uniformActions(count: number, rng: Rng, box: ActionBox): Float32Array {
  const a = box.low.length;
  const actions = new Float32Array(count * a);
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < a; d++) actions[i * a + d] = rng.range(box.low[d]!, box.high[d]!);
  }
  return actions;
}

/**
 * The maximum over K uniform random actions per row, in one score call: the
 * Bellman maximiser of Quillen et al. 2018 (K = 16), an ablation of CEM.
 * Returns the best action [B, A] and its score [B].
 */
export function randomShooting(
  score: BatchScore,
  k: number,
  rng: Rng,
  batch: number,
  box: ActionBox,
): { best: Float32Array; bestScore: Float32Array } {
  const a = box.low.length;
  if (!(k >= 1)) throw new RangeError(`randomShooting: k ${k} must be ≥ 1`);
  const candidates = uniformActions(batch * k, rng, box); // [B·K, A]
  const scores = score(candidates); // [B·K]
  if (scores.length !== batch * k) throw new RangeError(`randomShooting: score returned ${scores.length} values for ${batch * k} candidates`);
  const best = new Float32Array(batch * a);
  const bestScore = new Float32Array(batch);
  for (let b = 0; b < batch; b++) {
    let j = b * k;
    for (let i = b * k + 1; i < (b + 1) * k; i++) if (scores[i]! > scores[j]!) j = i;
    bestScore[b] = scores[j]!;
    best.set(candidates.subarray(j * a, j * a + a), b * a);
  }
  return { best, bestScore };
}
