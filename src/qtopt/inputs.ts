/**
 * The Q-network's inputs from replay batches and observations: uint8 frames to
 * float images in [0, 1], and the gripper state vector.
 *
 * Shapes: B batch, H W C image, S state dims (3: aperture m, closed 0/1, height m).
 */
import * as tf from '@tensorflow/tfjs';
import type { Observation } from '../env/index.js';

/** uint8 frames [B·H·W·C] → float32 [B,H,W,C] in [0, 1]. */
export function imagesTensor(frames: Uint8Array, b: number, h: number, w: number, c: number): tf.Tensor4D {
  if (frames.length !== b * h * w * c) throw new RangeError(`images: ${frames.length} bytes is not ${b}×${h}×${w}×${c}`);
  return tf.tidy(() => tf.div(tf.tensor4d(frames, [b, h, w, c], 'int32'), 255) as tf.Tensor4D);
}

/**
 * The state vector of an observation, [aperture, closed ? 1 : 0, height]: the
 * order the replay and datasets store (src/data's toReplayObservation); empty
 * when the network has no state input (stateDim 0).
 */
export function stateVector(obs: Observation, stateDim: 0 | 3): Float32Array {
  return stateDim === 0 ? new Float32Array(0) : Float32Array.of(obs.aperture, obs.closed ? 1 : 0, obs.height);
}
