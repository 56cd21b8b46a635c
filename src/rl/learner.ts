/**
 * One generic learner step, shared by DQN (src/rl/dqn) and QT-Opt (src/qtopt):
 * given how to predict Q(s, a) for a batch and the TD targets y, take one
 * clipped gradient step and report what prioritized replay and the logs need.
 * tf_agents' `_loss` likewise returns the loss with the TD errors and checks for NaN.
 *
 *   Q  = σ(predict())  ('logit')   or  predict()  ('value')
 *   L  = mean_i w_i · ℓ(Q_i, y_i) + P     ℓ: huber / mse on Q, log loss on the logit;
 *                                          P a penalty predict() may add (QT-Opt's conservative term)
 *   g  = ∇_θ L,  g ← g · c / max(‖g‖, c)   (global-norm clipping, c = maxGradNorm)
 *   θ ← optimizer(θ, g)
 *
 * y is a constant (no gradient flows into the targets: DQN's semi-gradient).
 *
 * Shape legend: B batch.
 */
import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm, tdLoss } from './losses.js';

export interface LearnerStepConfig {
  /** TD loss: huber or mse on Q, or log (sigmoid cross-entropy on the logit, QT-Opt). */
  readonly loss: 'huber' | 'mse' | 'log';
  /** Huber threshold δ, in Q units. */
  readonly huberDelta: number;
  /** Clip gradients to this global L2 norm; null = no clipping (the norm is still reported). */
  readonly maxGradNorm: number | null;
  /**
   * 'logit': predict() returns logits and Q = sigmoid(logit) (log loss on logits, huber/mse on Q);
   * 'value': predict() returns Q itself (log loss refused: it needs logits).
   */
  readonly output: 'logit' | 'value';
}

/** What predict() returns when the loss has a term besides the TD loss: the values and that term. */
export interface PenalizedPrediction {
  /** [B] as predict() alone would return. */
  readonly values: tf.Tensor1D;
  /** A scalar added to the loss, with its gradient. */
  readonly penalty: tf.Scalar;
}

export interface LearnerStepResult {
  /** The (importance-weighted) mean TD loss before the update, without the penalty. */
  loss: number;
  /** The penalty predict() added to the loss (0 without one). */
  penalty: number;
  /** [B] y − Q, before the update; |δ| is what prioritized replay stores. */
  tdErrors: Float32Array;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
}

/** The loss or the gradient norm was NaN or ±∞: the step was not applied. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly loss: number,
    readonly gradNorm: number,
  ) {
    super(`learner step: non-finite loss ${loss} (gradient norm ${gradNorm}); the update was not applied`);
    this.name = 'NonFiniteLossError';
  }
}

/**
 * One gradient step on `variables`; y [B] are constants; weights [B] importance weights
 * or null. A non-finite loss or gradient norm throws NonFiniteLossError and applies
 * nothing. Disposes everything it makes (the caller owns y and weights).
 */
export function learnerStep(
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  predict: () => tf.Tensor1D | PenalizedPrediction,
  y: tf.Tensor1D,
  weights: tf.Tensor1D | null,
  config: LearnerStepConfig,
): LearnerStepResult {
  if (config.output === 'value' && config.loss === 'log') {
    throw new Error("learner step: log loss needs logits (output 'logit'), not Q values");
  }
  return tf.tidy(() => {
    let q: tf.Tensor1D | null = null;
    let td: tf.Scalar | null = null;
    let penalty: tf.Scalar | null = null;
    const { grads } = tf.variableGrads(() => {
      const prediction = predict();
      const out = prediction instanceof tf.Tensor ? prediction : prediction.values; // [B]
      if (out.shape[0] !== y.shape[0]) throw new Error(`learner step: predict() gave ${out.shape[0]} values for ${y.shape[0]} targets`);
      const predicted = config.output === 'logit' ? tf.sigmoid(out) : out; // [B]
      // Kept past the gradient scope: the TD errors and the loss's parts are read from them below.
      q = tf.keep(predicted);
      td = tf.keep(tdLoss(config.loss, config.loss === 'log' ? out : predicted, y, weights ?? undefined, config.huberDelta));
      if (prediction instanceof tf.Tensor) return td;
      penalty = tf.keep(prediction.penalty);
      return tf.add(td, penalty) as tf.Scalar;
    }, variables);
    const { grads: clipped, norm } = clipByGlobalNorm(grads, config.maxGradNorm);
    const loss = td!.dataSync()[0]!;
    const penaltyValue = penalty ? (penalty as tf.Scalar).dataSync()[0]! : 0;
    // The loss the gradient was taken of, from its parts: one read-back fewer than reading it as well.
    const total = loss + penaltyValue;
    const gradNorm = norm.dataSync()[0]!;
    const tdErrors = tf.sub(y, q!).dataSync() as Float32Array; // [B]
    tf.dispose([q!, td!, ...(penalty ? [penalty] : [])]);
    if (!Number.isFinite(total) || !Number.isFinite(gradNorm)) throw new NonFiniteLossError(total, gradNorm);
    optimizer.applyGradients(clipped);
    return { loss, penalty: penaltyValue, tdErrors, gradNorm };
  });
}
