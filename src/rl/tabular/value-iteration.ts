/**
 * Value iteration on an explicit transition table: the exact Q* that fitted Q
 * iteration and DQN-style learners are compared against.
 *
 * Q-tables are flat row-major arrays: q[s * nActions + a]. // [S*A]
 */
import type { TabularMdp } from './mdp.js';

/** max_a q[s, a]. */
export function stateValue(q: ArrayLike<number>, nActions: number, s: number): number {
  let best = -Infinity;
  for (let a = 0; a < nActions; a++) best = Math.max(best, q[s * nActions + a]);
  return best;
}

/**
 * One Bellman optimality backup, the expected form:
 *   (T Q)(s, a) = Σ_{s'} p(s' | s, a) [ r(s, a, s') + γ (1 − terminal) max_{a'} Q(s', a') ]
 * (Sutton and Barto 2018, eq. 4.2 for Q).
 */
export function bellmanBackup(mdp: TabularMdp, q: ArrayLike<number>): Float64Array {
  const out = new Float64Array(mdp.nStates * mdp.nActions);
  for (let s = 0; s < mdp.nStates; s++) {
    for (let a = 0; a < mdp.nActions; a++) {
      let total = 0;
      for (const o of mdp.outcomes[s][a]) {
        const bootstrap = o.terminal ? 0 : mdp.gamma * stateValue(q, mdp.nActions, o.next);
        total += o.prob * (o.reward + bootstrap);
      }
      out[s * mdp.nActions + a] = total;
    }
  }
  return out;
}

/** Largest absolute difference between two tables of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export interface IterationOptions {
  /** Stop when successive Q-tables differ by less than this (max norm). */
  tol: number;
  /** Give up after this many backups. */
  maxIterations: number;
}

export const DEFAULT_ITERATION: Readonly<IterationOptions> = Object.freeze({ tol: 1e-10, maxIterations: 10_000 });

export interface QSolution {
  /** [S*A] */
  q: Float64Array;
  /** Backups performed. */
  iterations: number;
  /** max |Q_k − Q_{k−1}| at the last iteration. */
  residual: number;
}

/** Repeated Bellman backups from Q = 0 until the table stops changing. */
export function valueIteration(mdp: TabularMdp, options: Partial<IterationOptions> = {}): QSolution {
  const { tol, maxIterations } = { ...DEFAULT_ITERATION, ...options };
  let q: Float64Array = new Float64Array(mdp.nStates * mdp.nActions);
  let residual = Infinity;
  let iterations = 0;
  while (iterations < maxIterations && residual >= tol) {
    const next = bellmanBackup(mdp, q);
    residual = maxAbsDiff(next, q);
    q = next;
    iterations++;
  }
  return { q, iterations, residual };
}
