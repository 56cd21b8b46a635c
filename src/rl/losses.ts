/**
 * TD losses with importance weights, and gradient clipping by global norm.
 *
 * Shapes: B batch. Element-wise losses are [B]; `tdLoss` is a scalar.
 */
import * as tf from '@tensorflow/tfjs';

export type LossKind = 'huber' | 'mse' | 'log';

/**
 * Huber loss of the TD error x = pred − target (Huber 1964; Mnih et al. 2015 clip the
 * error's gradient to [−1, 1], which is δ = 1): ½x² for |x| ≤ δ, else δ(|x| − ½δ).
 * pred, target [B] → [B]
 */
export function huberLoss(pred: tf.Tensor1D, target: tf.Tensor1D, delta = 1): tf.Tensor1D {
  return tf.tidy(() => {
    const abs = tf.abs(tf.sub(pred, target));
    const quadratic = tf.minimum(abs, delta);
    const linear = tf.sub(abs, quadratic);
    // ½q² + δ·l equals ½x² below δ and δ(|x| − ½δ) above, without a branch.
    return tf.add(tf.mul(tf.square(quadratic), 0.5), tf.mul(linear, delta)) as tf.Tensor1D;
  });
}

/** Squared TD error (pred − target)², as PyTorch's mse_loss per element. pred, target [B] → [B] */
export function mseLoss(pred: tf.Tensor1D, target: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.square(tf.sub(pred, target)) as tf.Tensor1D);
}

/**
 * Log loss for Q in [0, 1] (QT-Opt, Kalashnikov et al. 2018 §4: Q = σ(logit), cross-entropy
 * against the target probability z). In the stable form of TF's
 * sigmoid_cross_entropy_with_logits: max(x, 0) − x·z + log(1 + e^−|x|), x the logit.
 * logits, target [B] → [B]
 */
export function logLoss(logits: tf.Tensor1D, target: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() =>
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))),
  );
}

/**
 * Mean over the batch of w_i · loss_i (Schaul et al. 2016: importance weights scale
 * each sample's loss). For 'log', `pred` holds logits, not probabilities.
 * pred, target, weights [B] → scalar
 */
export function tdLoss(kind: LossKind, pred: tf.Tensor1D, target: tf.Tensor1D, weights?: tf.Tensor1D, huberDelta = 1): tf.Scalar {
  return tf.tidy(() => {
    const per = kind === 'huber' ? huberLoss(pred, target, huberDelta) : kind === 'mse' ? mseLoss(pred, target) : logLoss(pred, target);
    return tf.mean(weights ? tf.mul(per, weights) : per) as tf.Scalar;
  });
}

/** √(Σ_t ‖g_t‖²) over all gradient tensors. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/**
 * Scale every gradient by maxNorm / max(‖g‖, maxNorm) (TF's clip_by_global_norm;
 * Pascanu et al. 2013), so the direction is kept and the joint norm is at most maxNorm.
 * `maxNorm` null leaves the gradients as they are. Returns new tensors (the caller
 * disposes both the inputs and the outputs) and the norm before clipping.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number | null): { grads: tf.NamedTensorMap; norm: tf.Scalar } {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norm = globalNorm(names.map((n) => grads[n]));
    const out: tf.NamedTensorMap = {};
    const scale = maxNorm === null ? null : tf.div(maxNorm, tf.maximum(norm, maxNorm));
    for (const n of names) out[n] = scale === null ? grads[n].clone() : tf.mul(grads[n], scale);
    return { grads: out, norm };
  });
}
