/**
 * Adam with a learning-rate schedule, and the config's other schedules (ε, PER β).
 */
import * as tf from '@tensorflow/tfjs';
import type { DqnConfig } from './config.js';
import { linearSchedule, makeSchedule, type Schedule } from './schedules.js';

/** Adam (Kingma & Ba 2015) with the config's β1, β2, ε, at the schedule's step-0 learning rate. */
export function createAdam(config: DqnConfig): tf.AdamOptimizer {
  return tf.train.adam(config.learningRate, config.adamBeta1, config.adamBeta2, config.adamEpsilon);
}

/**
 * Set Adam's learning rate for the next update. tfjs reads `learningRate` on every
 * applyGradients, so assigning it between steps is how a schedule is applied; the
 * field is only `protected` in the typings.
 */
export function setLearningRate(optimizer: tf.AdamOptimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/** The current learning rate of an Adam optimizer. */
export function getLearningRate(optimizer: tf.AdamOptimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/** Learning rate by learner step: learningRate → lrEnd over lrDecaySteps (constant, linear or cosine). */
export function learningRateSchedule(config: DqnConfig): Schedule {
  return makeSchedule(config.lrSchedule, config.learningRate, config.lrEnd, config.lrDecaySteps);
}

/** ε by env step: epsilonStart → epsilonEnd over epsilonDecaySteps (linear or exponential). */
export function epsilonSchedule(config: DqnConfig): Schedule {
  return makeSchedule(config.epsilonSchedule, config.epsilonStart, config.epsilonEnd, config.epsilonDecaySteps);
}

/** PER's β by learner step: priorityBetaStart → 1 linearly over priorityBetaSteps (Schaul et al. 2016 §3.4). */
export function betaSchedule(config: DqnConfig): Schedule {
  return linearSchedule(config.priorityBetaStart, 1, config.priorityBetaSteps);
}
