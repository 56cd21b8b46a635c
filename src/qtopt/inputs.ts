/**
 * The Q-network's inputs from replay batches and observations: uint8 frames to
 * float images in [0, 1], and the gripper state vector.
 *
 * Shapes: B batch, H W C image, S state dims (network.stateDim: the first S of env's
 * STATE_NAMES [aperture m, closed 0/1, height m, x m, y m, yaw rad]).
 */
import * as tf from '@tensorflow/tfjs';
import { ACTION_NAMES, gripperState, type Observation } from '../env/index.js';
import type { Rng } from '../random/index.js';
import { unitImages } from '../tf/index.js';

/** uint8 frames [B·H·W·C] → float32 [B,H,W,C] in [0, 1]. */
export function imagesTensor(frames: Uint8Array, b: number, h: number, w: number, c: number): tf.Tensor4D {
  return unitImages(frames, [b, h, w, c]);
}

/**
 * Random-shift augmentation (DrQ, Kostrikov et al. 2020; RAD): each of the B frames
 * [B·H·W·C] moves by its own whole-pixel offset in [−pad, pad] along x and y, edges
 * replicated (as padding by `pad` and cropping back). The gripper and the objects move
 * together, so what decides a grasp (where the gripper is against the objects) is kept,
 * while absolute pixel positions stop being something to memorise. Returns a new array.
 */
export function shiftImages(frames: Uint8Array, b: number, h: number, w: number, c: number, pad: number, rng: Rng): Uint8Array {
  if (frames.length < b * h * w * c) throw new RangeError(`shiftImages: ${frames.length} bytes is fewer than ${b}×${h}×${w}×${c}`);
  const out = new Uint8Array(b * h * w * c);
  const size = h * w * c;
  for (let i = 0; i < b; i++) {
    const dx = rng.int(-pad, pad);
    const dy = rng.int(-pad, pad);
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y + dy));
      for (let x = 0; x < w; x++) {
        const sx = Math.min(w - 1, Math.max(0, x + dx));
        const from = i * size + (sy * w + sx) * c;
        const to = i * size + (y * w + x) * c;
        for (let k = 0; k < c; k++) out[to + k] = frames[from + k]!;
      }
    }
  }
  return out;
}

/**
 * Scale of each state input, per unit of the stored state [aperture m, closed, height m,
 * x m, y m, yaw rad]: metres become decimetres, so every input is O(1) like the image's
 * [0, 1] (x and y within ±2 dm of the bin's centre, yaw within ±π as it is). Raw metres
 * (0–0.3) left the height nearly invisible to a fresh net: on the synthetic grasp task
 * in test/qtopt-learner.test.ts, where height alone tells two steps apart, Q of the
 * first step reached 0.72 after 1000 steps raw and 0.80 after 400 with height × 10.
 */
export const STATE_SCALE: readonly number[] = Object.freeze([10, 1, 10, 10, 10, 1]);

/** Stored states [B·S] (replay or stateVector order) → the network's scaled input [B·S], on the host. */
export function scaledStates(states: Float32Array, b: number, s: number): Float32Array {
  if (states.length < b * s) throw new RangeError(`states: ${states.length} values is fewer than ${b}×${s}`);
  const scaled = new Float32Array(b * s); // [B, S]
  for (let i = 0; i < b * s; i++) scaled[i] = states[i]! * STATE_SCALE[i % s]!;
  return scaled;
}

/** Stored states [B·S] → the network's scaled input [B,S]. */
export function statesTensor(states: Float32Array, b: number, s: number): tf.Tensor2D {
  return tf.tensor2d(scaledStates(states, b, s), [b, s]);
}

/**
 * One observation's state as the network's scaled input [1,S]: the first stateDim values
 * of env's gripperState, the order the replay and datasets store; [1,0] when the network
 * has no state input.
 */
export function stateInput(obs: Observation, stateDim: number): tf.Tensor2D {
  return statesTensor(gripperState(obs, stateDim), 1, stateDim);
}

/** Action dims the env reads as on/off (`> 0`): close and terminate. */
const BINARY_ACTIONS = [ACTION_NAMES.indexOf('close'), ACTION_NAMES.indexOf('terminate')];

/**
 * Actions [R·A] (replay, CEM candidates) → the network's input [R,A]: the action as
 * the env executes it. Close and terminate become ±1 (the env thresholds them at 0),
 * so Q cannot rank two values the env treats alike, and CEM's continuous samples meet
 * the scripted grasper's exact −1s on equal terms. Dims in `ignored` become 0: with
 * the height hack the env ignores dz, and a stored dz only says which policy acted
 * (scripted grasper's varied dz, the random policy's −1s), a feature that tells
 * success apart in the data and that CEM then exploits.
 */
export function actionsTensor(actions: Float32Array, rows: number, ignored: readonly number[]): tf.Tensor2D {
  return tf.tensor2d(networkActions(actions, rows, ignored), [rows, ACTION_NAMES.length]);
}

/** actionsTensor's values [R·A], on the host. */
export function networkActions(actions: Float32Array, rows: number, ignored: readonly number[]): Float32Array {
  const a = ACTION_NAMES.length;
  if (actions.length < rows * a) throw new RangeError(`actions: ${actions.length} values is fewer than ${rows}×${a}`);
  const x = actions.slice(0, rows * a); // [R, A]
  for (let r = 0; r < rows; r++) {
    for (const d of BINARY_ACTIONS) x[r * a + d] = x[r * a + d]! > 0 ? 1 : -1;
    for (const d of ignored) x[r * a + d] = 0;
  }
  return x;
}

/** Indices of the action names a network config ignores. */
export function ignoredActionDims(names: readonly string[]): number[] {
  return names.map((n) => ACTION_NAMES.indexOf(n as (typeof ACTION_NAMES)[number]));
}
