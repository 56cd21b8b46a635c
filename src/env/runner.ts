/**
 * The agent side of the env contract (`Policy`) and the episode runner that
 * turns one reset-to-done loop into an `EpisodeRecord` for datasets and replay.
 */
import { Rng, deriveSeed } from '../random/index.js';
import type { GraspEnv, StepInfo } from './grasp-env.js';
import type { EpisodeRecord, Observation, StepRecord } from './types.js';

/**
 * Anything that picks actions: the random baseline, the scripted grasper, a
 * trained Q-function with CEM, a mixture of these. `info.privileged` holds
 * simulator state; only privileged policies (the scripted grasper) may read it.
 */
export interface Policy {
  readonly name: string;
  /** Start of an episode; all of the policy's randomness comes from `rng`. */
  reset(rng: Rng): void;
  /** The action for `obs`, [ACTION_DIM] in [-1, 1]. */
  act(obs: Observation, info: StepInfo): Float32Array;
}

/** Stream index of the policy's Rng under an episode seed (the env uses the seed itself). */
const POLICY_STREAM = 1;

export interface EpisodeOutcome {
  record: EpisodeRecord;
  /** The last step's info: evaluation, detector verdict, ground truth. */
  finalInfo: StepInfo;
}

/**
 * Run one episode of `policy` in `env` from `seed`. The policy gets its own Rng,
 * derived from the seed, so the same seed gives the same episode bit for bit.
 */
export function runEpisode(env: GraspEnv, policy: Policy, seed: number): EpisodeOutcome {
  policy.reset(new Rng(deriveSeed(seed, POLICY_STREAM)));
  let { obs, info } = env.reset({ seed });
  const objectIds = info.objectIds;
  const steps: StepRecord[] = [];
  for (;;) {
    const action = Float32Array.from(policy.act(obs, info));
    const result = env.step(action);
    // StepRecord.done means terminal; an episode cut short of its grasp has no place in it.
    if (result.truncated) throw new Error('runEpisode: the env truncated the episode before its final grasp');
    const done = result.terminated;
    const success = done && result.info.evaluation?.success === true;
    steps.push({ observation: obs, action, reward: result.reward, done, success });
    obs = result.obs;
    info = result.info;
    if (done) break;
  }
  const evaluation = info.evaluation;
  if (!evaluation) throw new Error('runEpisode: the final step carried no evaluation');
  return {
    record: {
      seed,
      split: env.split,
      objectIds,
      steps,
      success: evaluation.success,
      groundTruthSuccess: evaluation.groundTruthSuccess,
      policy: policy.name,
    },
    finalInfo: info,
  };
}
