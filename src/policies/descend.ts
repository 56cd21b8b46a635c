/**
 * The descend baseline: move straight down with the fingers open and never
 * terminate, so the episode ends with the env's own grasp wherever the gripper
 * came down (under the height hack, it stands still while z descends by itself).
 * A learned policy that does not beat it has learned nothing about where the
 * objects are: on bin-easy's validation episodes it succeeded 20 of 100 times.
 */
import { ACTION, ACTION_DIM, type Observation, type Policy, type StepInfo } from '../env/index.js';

export class DescendPolicy implements Policy {
  readonly name = 'descend';

  reset(): void {}

  act(_obs: Observation, _info: StepInfo): Float32Array {
    const action = new Float32Array(ACTION_DIM);
    action[ACTION.dz] = -1;
    action[ACTION.close] = -1;
    action[ACTION.terminate] = -1;
    return action;
  }
}
