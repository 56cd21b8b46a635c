/**
 * Fitted Q iteration (Ernst, Geurts and Wehenkel 2005) on a tabular MDP.
 *
 * The dataset is the whole transition table, each outcome a row weighted by its
 * probability. Every iteration computes the sampled Bellman target of each row
 *   y_i = r_i + γ (1 − terminal_i) max_{a'} Q_k(s'_i, a')
 * and asks a regressor for Q_{k+1} = argmin_Q Σ_i w_i (Q(s_i, a_i) − y_i)².
 * With a tabular (one-hot) least-squares regressor the minimiser is the weighted
 * mean of the targets, i.e. exactly the expected backup, so FQI reproduces value
 * iteration; with a neural regressor it approximates it.
 */
import type { TabularMdp } from './mdp.js';
import { DEFAULT_ITERATION, maxAbsDiff, stateValue, type IterationOptions, type QSolution } from './value-iteration.js';

/** The regression problem of one FQI iteration. All arrays are [N], one row per outcome. */
export interface FqiBatch {
  states: Int32Array;
  actions: Int32Array;
  targets: Float64Array;
  /** Row weights (outcome probabilities). */
  weights: Float64Array;
}

/** Fits Q to a batch and returns the fitted Q-table [S*A]. */
export interface QRegressor {
  fit(batch: FqiBatch): Float64Array | Promise<Float64Array>;
}

/** The fixed part of the dataset: every (s, a, outcome) of the table. */
export interface FqiDataset {
  states: Int32Array;
  actions: Int32Array;
  next: Int32Array;
  rewards: Float64Array;
  terminals: Uint8Array;
  weights: Float64Array;
}

export function tableDataset(mdp: TabularMdp): FqiDataset {
  const rows: [number, number, number, number, number, number][] = [];
  for (let s = 0; s < mdp.nStates; s++) {
    for (let a = 0; a < mdp.nActions; a++) {
      for (const o of mdp.outcomes[s][a]) rows.push([s, a, o.next, o.reward, o.terminal ? 1 : 0, o.prob]);
    }
  }
  return {
    states: Int32Array.from(rows, (r) => r[0]),
    actions: Int32Array.from(rows, (r) => r[1]),
    next: Int32Array.from(rows, (r) => r[2]),
    rewards: Float64Array.from(rows, (r) => r[3]),
    terminals: Uint8Array.from(rows, (r) => r[4]),
    weights: Float64Array.from(rows, (r) => r[5]),
  };
}

/** y_i = r_i + γ (1 − terminal_i) max_{a'} Q(s'_i, a'). */
export function fqiTargets(data: FqiDataset, q: ArrayLike<number>, nActions: number, gamma: number): Float64Array {
  const y = new Float64Array(data.states.length);
  for (let i = 0; i < y.length; i++) {
    y[i] = data.rewards[i] + (data.terminals[i] ? 0 : gamma * stateValue(q, nActions, data.next[i]));
  }
  return y;
}

/** Fitted Q iteration from Q = 0 until successive fitted tables differ by less than `tol`. */
export async function fittedQIteration(
  mdp: TabularMdp,
  regressor: QRegressor,
  options: Partial<IterationOptions> = {},
): Promise<QSolution> {
  const { tol, maxIterations } = { ...DEFAULT_ITERATION, ...options };
  const data = tableDataset(mdp);
  let q: Float64Array = new Float64Array(mdp.nStates * mdp.nActions);
  let residual = Infinity;
  let iterations = 0;
  while (iterations < maxIterations && residual >= tol) {
    const targets = fqiTargets(data, q, mdp.nActions, mdp.gamma);
    const next = await regressor.fit({ states: data.states, actions: data.actions, targets, weights: data.weights });
    residual = maxAbsDiff(next, q);
    q = next;
    iterations++;
  }
  return { q, iterations, residual };
}

/**
 * Weighted linear least squares on features φ(s, a) of length d, solved exactly
 * through the normal equations (Φᵀ W Φ + λ I) θ = Φᵀ W y by Cholesky.
 * With one-hot features (`oneHotFeatures`) this is the exact tabular regressor.
 */
export function linearLeastSquares(
  mdp: TabularMdp,
  features: (s: number, a: number) => Float64Array,
  ridge = 0,
): QRegressor {
  const phi = Array.from({ length: mdp.nStates * mdp.nActions }, (_, i) =>
    features(Math.floor(i / mdp.nActions), i % mdp.nActions),
  );
  const d = phi[0].length;
  return {
    fit(batch: FqiBatch): Float64Array {
      const ata = new Float64Array(d * d); // [d, d]
      const aty = new Float64Array(d);
      for (let i = 0; i < batch.targets.length; i++) {
        const f = phi[batch.states[i] * mdp.nActions + batch.actions[i]];
        const w = batch.weights[i];
        for (let j = 0; j < d; j++) {
          if (f[j] === 0) continue;
          aty[j] += w * f[j] * batch.targets[i];
          for (let k = 0; k < d; k++) ata[j * d + k] += w * f[j] * f[k];
        }
      }
      for (let j = 0; j < d; j++) ata[j * d + j] += ridge;
      const theta = solveCholesky(ata, aty, d);
      return Float64Array.from(phi, (f) => f.reduce((acc, x, j) => acc + x * theta[j], 0));
    },
  };
}

/** φ(s, a) = e_{s·A + a}: one weight per table entry. */
export function oneHotFeatures(mdp: TabularMdp): (s: number, a: number) => Float64Array {
  return (s, a) => {
    const f = new Float64Array(mdp.nStates * mdp.nActions);
    f[s * mdp.nActions + a] = 1;
    return f;
  };
}

/** Solve M x = b for symmetric positive definite M [d, d] (row-major). */
function solveCholesky(m: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * d + j];
      for (let k = 0; k < j; k++) sum -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (sum <= 0) throw new Error('linearLeastSquares: normal matrix is not positive definite (add ridge or cover every (s, a))');
        l[i * d + i] = Math.sqrt(sum);
      } else {
        l[i * d + j] = sum / l[j * d + j];
      }
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * d + k] * y[k];
    y[i] = sum / l[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < d; k++) sum -= l[k * d + i] * x[k];
    x[i] = sum / l[i * d + i];
  }
  return x;
}
