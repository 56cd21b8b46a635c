/**
 * One gradient step of a QNetwork, with any tf.Optimizer (JsAdam from adam.ts
 * is the fast one on wasm; tf.train.adam gives the same update).
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
