/**
 * The agent side of the env contract (`Policy`) and the episode runner that
 * turns one reset-to-done loop into an `EpisodeRecord` for datasets and replay.
 */
import { Rng, deriveSeed } from '../random/index.js';
import type { GraspEnv, StepInfo, StepResult } from './grasp-env.js';
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
 * One episode of `policy` in `env` from `seed`, taken a step at a time (the
 * viewer steps it from the page; `runEpisode` runs it to the end). The policy
 * gets its own Rng, derived from the seed, so the same seed gives the same
 * episode bit for bit.
 */
export class Episode {
  /** The observation and info the next action is chosen from (after the last step: the final ones). */
  obs: Observation;
  info: StepInfo;
  readonly objectIds: string[];
  readonly steps: StepRecord[] = [];
  /** The env's answer to the last step, null before the first. */
  last: StepResult | null = null;
  done = false;

  constructor(
    readonly env: GraspEnv,
    readonly policy: Policy,
    readonly seed: number,
  ) {
    policy.reset(new Rng(deriveSeed(seed, POLICY_STREAM)));
    ({ obs: this.obs, info: this.info } = env.reset({ seed }));
    this.objectIds = this.info.objectIds;
  }

  /** Ask the policy for an action and take it. */
  step(): StepResult {
    if (this.done) throw new Error('Episode.step: the episode is over');
    const action = Float32Array.from(this.policy.act(this.obs, this.info));
    const result = this.env.step(action);
    // StepRecord.done means terminal; an episode cut short of its grasp has no place in it.
    if (result.truncated) throw new Error('Episode.step: the env truncated the episode before its final grasp');
    const done = result.terminated;
    const success = done && result.info.evaluation?.success === true;
    this.steps.push({ observation: this.obs, action, reward: result.reward, done, success });
    this.obs = result.obs;
    this.info = result.info;
    this.last = result;
    this.done = done;
    return result;
  }

  /** The finished episode as a record. */
  outcome(): EpisodeOutcome {
    const evaluation = this.done ? this.info.evaluation : undefined;
    if (!evaluation) throw new Error('Episode.outcome: the episode is not over, or its final step carried no evaluation');
    return {
      record: {
        seed: this.seed,
        split: this.env.split,
        objectIds: this.objectIds,
        steps: this.steps,
        success: evaluation.success,
        groundTruthSuccess: evaluation.groundTruthSuccess,
        policy: this.policy.name,
      },
      finalInfo: this.info,
    };
  }
}

/** Run one episode of `policy` in `env` from `seed` to the end. */
export function runEpisode(env: GraspEnv, policy: Policy, seed: number): EpisodeOutcome {
  const episode = new Episode(env, policy, seed);
  while (!episode.done) episode.step();
  return episode.outcome();
}
