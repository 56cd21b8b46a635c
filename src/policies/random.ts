/**
 * The random baseline: uniform motions and gripper commands, and a terminate
 * that fires with a small probability per step, so episodes last long enough
 * for the gripper to reach the objects (terminating half the time, as a
 * uniform terminate would, ends most episodes after one or two steps far above the bin).
 * Optionally it moves straight down (dz = −1) with a given probability per step,
 * Quillen et al. 2018's exploration policy, so random data reaches the objects;
 * and optionally it closes the fingers with a given probability per step instead
 * of half the time, so a random descent still has open fingers at the bottom
 * (with the height hack the env grasps there by itself); and optionally it holds
 * x, y and yaw still in the episode's last steps, so the grasp is made straight
 * below where the gripper stopped (data for the move-then-hold check of whether a
 * network can see what lies under the gripper).
 */
import type { Observation, Policy, StepInfo } from '../env/index.js';
import { ACTION, ACTION_DIM } from '../env/index.js';
import { Rng } from '../random/index.js';

/** Default chance of terminating at each step (an expected 20 steps, scene.episode.maxSteps's default). */
export const RANDOM_TERMINATE_PROBABILITY = 0.05;

/**
 * One random action: dx, dy, dz, dyaw, close uniform in [-1, 1]; then, when
 * downProbability > 0, dz = −1 with that probability; when closeProbability is
 * given, close = 1 with that probability, else −1; terminate = 1 with
 * terminateProbability, else −1. The number of draws depends on the settings
 * only, never on their outcomes.
 */
export function randomAction(rng: Rng, terminateProbability = RANDOM_TERMINATE_PROBABILITY, downProbability = 0, closeProbability: number | null = null): Float32Array {
  const action = new Float32Array(ACTION_DIM);
  for (let i = 0; i < ACTION.terminate; i++) action[i] = rng.range(-1, 1);
  if (downProbability > 0 && rng.bernoulli(downProbability)) action[ACTION.dz] = -1;
  if (closeProbability !== null) action[ACTION.close] = rng.bernoulli(closeProbability) ? 1 : -1;
  action[ACTION.terminate] = rng.bernoulli(terminateProbability) ? 1 : -1;
  return action;
}

export class RandomPolicy implements Policy {
  readonly name = 'random';
  private rng = new Rng(0);

  constructor(
    private readonly terminateProbability = RANDOM_TERMINATE_PROBABILITY,
    private readonly downProbability = 0,
    private readonly closeProbability: number | null = null,
    /** Hold x, y and yaw still from step maxSteps − steps on; null = never. */
    private readonly hold: { steps: number; maxSteps: number } | null = null,
  ) {}

  reset(rng: Rng): void {
    this.rng = rng;
  }

  act(_obs: Observation, info: StepInfo): Float32Array {
    // Drawn whether or not it holds, so the stream does not depend on the step.
    const action = randomAction(this.rng, this.terminateProbability, this.downProbability, this.closeProbability);
    if (this.hold && info.step >= this.hold.maxSteps - this.hold.steps) action[ACTION.dx] = action[ACTION.dy] = action[ACTION.dyaw] = 0;
    return action;
  }
}
