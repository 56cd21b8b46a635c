/** ε-greedy exploration for discrete actions. */
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
