/**
 * Exploration: ε-greedy for discrete actions; for continuous actions in a box
 * (QT-Opt's 6-d grasp action), uniform random actions, ε-uniform, and Gaussian
 * noise clipped to the box.
 *
 * Shape legend: A action dims. Bounds `low`, `high` are [A] (a BoxSpace's).
 */
import type { Rng } from '../random/index.js';

/**
 * With probability ε a uniform action in [0, numActions), else the greedy one.
 * `greedy` is only called when it is needed, so a caller can skip the network
 * forward pass on exploratory steps. One uniform draw decides, then one more picks
 * the random action: the Rng stream is the same whatever the network outputs.
 */
export function epsilonGreedy(rng: Rng, epsilon: number, numActions: number, greedy: () => number): number {
  if (rng.uniform() < epsilon) return rng.int(0, numActions - 1);
  return greedy();
}

/** Index of the largest value (the first one on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function checkBox(low: ArrayLike<number>, high: ArrayLike<number>, what: string): void {
  if (low.length !== high.length) throw new RangeError(`${what}: low has ${low.length} dims, high ${high.length}`);
  for (let a = 0; a < low.length; a++) {
    if (!(low[a] <= high[a])) throw new RangeError(`${what}: low[${a}] = ${low[a]} is above high[${a}] = ${high[a]}`);
  }
}

/** A uniform random action in the box: a_d ~ U[low_d, high_d), one draw per dim in order. Writes into `out` [A]. */
export function uniformAction(rng: Rng, low: ArrayLike<number>, high: ArrayLike<number>, out = new Float32Array(low.length)): Float32Array {
  checkBox(low, high, 'uniformAction');
  for (let a = 0; a < low.length; a++) out[a] = rng.range(low[a], high[a]);
  return out;
}

/**
 * a + ε, ε_d ~ N(0, std_d²), clipped to [low_d, high_d]: exploration around a chosen
 * action (QT-Opt's noise on CEM's choice). `std` is one value or one per dim, ≥ 0;
 * one normal draw per dim in order, even where std is 0, so the Rng stream does not
 * depend on it. Writes into `out` [A] (may be `action` itself).
 */
export function gaussianNoise(
  rng: Rng,
  action: ArrayLike<number>,
  std: number | ArrayLike<number>,
  low: ArrayLike<number>,
  high: ArrayLike<number>,
  out = new Float32Array(action.length),
): Float32Array {
  checkBox(low, high, 'gaussianNoise');
  if (action.length !== low.length) throw new RangeError(`gaussianNoise: action has ${action.length} dims, the box ${low.length}`);
  if (typeof std !== 'number' && std.length !== action.length) throw new RangeError(`gaussianNoise: std has ${std.length} dims, the action ${action.length}`);
  for (let a = 0; a < action.length; a++) {
    const s = typeof std === 'number' ? std : std[a];
    if (!(s >= 0)) throw new RangeError(`gaussianNoise: std[${a}] = ${s} must be >= 0`);
    out[a] = Math.min(high[a], Math.max(low[a], action[a] + s * rng.normal()));
  }
  return out;
}

/**
 * ε-greedy over a box: with probability ε a uniform random action, else `greedy()`
 * (called only then). One uniform draw decides, as in `epsilonGreedy`.
 */
export function epsilonUniform(rng: Rng, epsilon: number, low: ArrayLike<number>, high: ArrayLike<number>, greedy: () => Float32Array): Float32Array {
  if (rng.uniform() < epsilon) return uniformAction(rng, low, high);
  return greedy();
}
