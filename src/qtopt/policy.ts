/**
 * The CEM policy: a trained grasp Q-network acting in the env through src/env's
 * `Policy` contract (tf_agents' qtopt_cem_policy). Each step encodes the one
 * image once, runs CEM (cem.ts) on the head, and returns the best action; with
 * exploration, an ε-random action or Gaussian noise on CEM's choice.
 *
 * It reads the observation only (image, and the first network.stateDim of aperture,
 * closed, height and the palm's x, y, yaw), never `info.privileged`: a learned policy
 * sees what a robot's camera and its own encoders tell it, no object's pose.
 *
 * Shapes: N CEM samples, A action dims, U embedding, H W C image.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTION_DIM, actionSpace, type Observation, type Policy, type StepInfo } from '../env/index.js';
import { randomAction } from '../policies/index.js';
import { Rng } from '../random/index.js';
import { gaussianNoise } from '../rl/index.js';
import type { QNetwork } from '../tf/index.js';
import { cem, type CemConfig } from './cem.js';
import { policyCem, type QtOptConfig } from './config.js';
import { actionsTensor, ignoredActionDims, imagesTensor, stateInput } from './inputs.js';

export interface CemPolicyOptions {
  /**
   * Probability of a random action instead of CEM's: src/policies' randomAction with
   * exploration.randomDownProbability (Quillen's dz = −1) and randomTerminateProbability. Default 0.
   */
  epsilon?: number;
  /** Std of Gaussian noise added to CEM's choice, action units, then clipped to the box. Default 0. */
  noiseStd?: number;
  /** Name in episode records. Default 'cem'. */
  name?: string;
}

export class CemPolicy implements Policy {
  readonly name: string;
  /** Probability of a random action per step (collectors lower it on ε's schedule). */
  epsilon: number;
  /** Gaussian noise std on CEM's choice, action units. */
  noiseStd: number;
  /** Q (predicted success) of the action returned by the last `act`, for calibration. */
  lastPrediction = Number.NaN;
  /** Whether the last action was a random one (ε). */
  lastWasRandom = false;
  /** The CEM settings it acts with (config.cem's policy samples, elites and iterations). */
  readonly search: CemConfig;
  private rng = new Rng(0);

  constructor(
    readonly net: QNetwork,
    readonly config: QtOptConfig,
    options: CemPolicyOptions = {},
  ) {
    this.name = options.name ?? 'cem';
    this.epsilon = options.epsilon ?? 0;
    this.noiseStd = options.noiseStd ?? 0;
    this.search = policyCem(config.cem);
  }

  reset(rng: Rng): void {
    this.rng = rng;
  }

  act(obs: Observation, _info: StepInfo): Float32Array {
    const { imageHeight: h, imageWidth: w, imageChannels: c, stateDim } = this.config.network;
    if (obs.imageHeight !== h || obs.imageWidth !== w) {
      throw new RangeError(`CemPolicy: the observation is ${obs.imageWidth}×${obs.imageHeight} px, the network takes ${w}×${h}`);
    }
    const a = ACTION_DIM;
    const ignored = ignoredActionDims(this.config.network.ignoredActions);
    const embedding = tf.tidy(() => this.net.encode(imagesTensor(obs.image, 1, h, w, c), stateInput(obs, stateDim))); // [1, U]
    try {
      const q = (candidates: Float32Array): Float32Array =>
        tf.tidy(() => this.net.headScores(embedding, actionsTensor(candidates, candidates.length / a, ignored)).dataSync() as Float32Array); // [N]
      this.lastWasRandom = this.epsilon > 0 && this.rng.uniform() < this.epsilon;
      if (this.lastWasRandom) {
        const { randomTerminateProbability, randomDownProbability, randomCloseProbability } = this.config.exploration;
        const action = randomAction(this.rng, randomTerminateProbability, randomDownProbability, randomCloseProbability);
        this.lastPrediction = q(action)[0]!;
        return action;
      }
      const result = cem(q, this.search, this.rng, 1, actionSpace);
      if (this.noiseStd <= 0) {
        this.lastPrediction = result.bestScore[0]!;
        return result.best;
      }
      const action = gaussianNoise(this.rng, result.best, this.noiseStd, actionSpace.low, actionSpace.high);
      this.lastPrediction = q(action)[0]!;
      return action;
    } finally {
      embedding.dispose();
    }
  }
}
