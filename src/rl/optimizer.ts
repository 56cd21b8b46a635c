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

/** An optimizer whose step size lives in a `learningRate` field. */
type WithLearningRate = tf.Optimizer & { learningRate: number; setLearningRate?: (lr: number) => void };

function hasLearningRate(optimizer: tf.Optimizer): optimizer is WithLearningRate {
  return typeof (optimizer as Partial<WithLearningRate>).learningRate === 'number';
}

/**
 * Set the learning rate for the next update. tf.train.adam, rmsprop, adagrad and
 * src/tf's JsAdam read their `learningRate` field on every applyGradients (it is
 * only `protected` in tf's typings); tf.train.sgd and momentum cache it in a
 * tensor, which their own `setLearningRate` refreshes, so that is called when
 * present. An optimizer with neither throws: a schedule never silently does nothing.
 */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  if (!hasLearningRate(optimizer)) throw new TypeError(`setLearningRate: ${optimizer.getClassName()} has no learningRate field`);
  if (typeof optimizer.setLearningRate === 'function') optimizer.setLearningRate(lr);
  else optimizer.learningRate = lr;
}

/** The current learning rate of an optimizer with a `learningRate` field (tf.train.*, JsAdam). */
export function getLearningRate(optimizer: tf.Optimizer): number {
  if (!hasLearningRate(optimizer)) throw new TypeError(`getLearningRate: ${optimizer.getClassName()} has no learningRate field`);
  return optimizer.learningRate;
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
