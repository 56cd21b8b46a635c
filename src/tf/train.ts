/**
 * One gradient step of a QNetwork.
 *
 * The optimizer is tfjs's own Adam: an Adam over one flat concatenated vector
 * (fewer, larger kernels) measured 2x slower per update on wasm here, because
 * the concat and split copy every weight twice (docs/benchmarks.md, Train step).
 */
import * as tf from '@tensorflow/tfjs';
import type { QNetwork } from './qnet.js';

/**
 * One step on a batch of (image, action) pairs: `loss(logits)` with logits =
 * net.logits(images, actions) [B], gradients for all of net's variables, one
 * optimizer update. Returns the loss (the caller disposes it); reads nothing
 * back from the backend.
 */
export function trainStep(
  net: QNetwork,
  optimizer: tf.Optimizer,
  images: tf.Tensor4D,
  actions: tf.Tensor2D,
  loss: (logits: tf.Tensor1D) => tf.Scalar,
): tf.Scalar {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => loss(net.logits(images, actions)), net.variables);
    optimizer.applyGradients(grads);
    return value;
  });
}

/** Huber loss (δ = 1) between sigmoid Q values and targets [B]: the reference network's loss. */
export function huberOnQ(targets: tf.Tensor1D): (logits: tf.Tensor1D) => tf.Scalar {
  return (logits) => tf.losses.huberLoss(targets, tf.sigmoid(logits)) as tf.Scalar;
}
