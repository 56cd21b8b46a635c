/**
 * Policies that act in GraspEnv through the `Policy` contract of src/env:
 * the random, descend and reach baselines and the privileged scripted grasper. Trained agents
 * implement the same interface in their own folders.
 */
import type { Policy } from '../env/index.js';
import type { SceneConfig } from '../scene/index.js';
import { DescendPolicy } from './descend.js';
import { RandomPolicy } from './random.js';
import { ReachPolicy } from './reach.js';
import { ScriptedPolicy } from './scripted.js';

export { DescendPolicy } from './descend.js';
export { ReachPolicy, aimedReachSpec } from './reach.js';
export { RandomPolicy, randomAction, RANDOM_TERMINATE_PROBABILITY } from './random.js';
export { ScriptedPolicy, planGrasp, planForObject, plansForObject, nearestEquivalentYaw, type GraspPlan } from './scripted.js';

export const POLICY_NAMES = ['scripted', 'random', 'descend', 'reach'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** A built-in policy by name. */
export function createPolicy(name: PolicyName, scene: SceneConfig): Policy {
  switch (name) {
    case 'scripted':
      return new ScriptedPolicy(scene);
    case 'random':
      return new RandomPolicy();
    case 'descend':
      return new DescendPolicy();
    case 'reach':
      return new ReachPolicy(scene);
  }
}
