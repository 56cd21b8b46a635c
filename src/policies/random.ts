/**
 * The random baseline: uniform motions and gripper commands, and a terminate
 * that fires with a small probability per step, so episodes last long enough
 * for the gripper to reach the objects (terminating half the time, as a
 * uniform terminate would, ends most episodes after one or two steps far above the bin).
 */
import type { Observation, Policy, StepInfo } from '../env/index.js';
import { ACTION_DIM } from '../env/index.js';
import { Rng } from '../random/index.js';

/** Default chance of terminating at each step (an expected 20 steps, scene.episode.maxSteps's default). */
export const RANDOM_TERMINATE_PROBABILITY = 0.05;

export class RandomPolicy implements Policy {
  readonly name = 'random';
  private rng = new Rng(0);

  constructor(private readonly terminateProbability = RANDOM_TERMINATE_PROBABILITY) {}

  reset(rng: Rng): void {
    this.rng = rng;
  }

  act(_obs: Observation, _info: StepInfo): Float32Array {
    const action = new Float32Array(ACTION_DIM);
    for (let i = 0; i < 5; i++) action[i] = this.rng.range(-1, 1);
    action[5] = this.rng.bernoulli(this.terminateProbability) ? 1 : -1;
    return action;
  }
}
