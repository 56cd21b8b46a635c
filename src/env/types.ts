/**
 * The records that flow out of `env` into `data` (datasets) and `agent`
 * (replay). Kept free of sim and render types so those folders stay private.
 */
import type { ObjectSplit } from '../objects/index.js';

/** What the agent sees at one step (QT-Opt's observation: image plus gripper state). */
export interface Observation {
  /** Over-the-shoulder RGB, row-major from the top-left pixel. [H*W*3] uint8 */
  image: Uint8Array;
  /** Image width and height, px. */
  imageWidth: number;
  imageHeight: number;
  /** Finger-pad distance, m. */
  aperture: number;
  /** Whether the fingers were commanded closed. */
  closed: boolean;
  /** Fingertip height above the bin floor, m (QT-Opt's height_to_bottom). */
  height: number;
  /**
   * Palm centre in the bin's frame (centred on the bin, x and y along its sides), m, and its
   * rotation about z, rad: the gripper's own pose, as a robot knows it from its encoders.
   * NaN when read from a dataset collected before they were recorded (3-value state).
   */
  x: number;
  y: number;
  yaw: number;
}

/**
 * Gripper state vector layout, STATE_DIM = 6: the proprioceptive part of an Observation
 * as datasets store it (`observation.state`) and the Q-network reads its first stateDim
 * values. Datasets collected before x, y and yaw were recorded hold the first 3.
 */
export const STATE_NAMES = ['aperture', 'closed', 'height', 'x', 'y', 'yaw'] as const;
export const STATE_DIM = STATE_NAMES.length;

/** The first `dims` values of an observation's state vector, in STATE_NAMES order (closed as 0/1). [dims] */
export function gripperState(obs: Observation, dims: number = STATE_DIM): Float32Array {
  const all = [obs.aperture, obs.closed ? 1 : 0, obs.height, obs.x, obs.y, obs.yaw];
  return Float32Array.from(all.slice(0, dims));
}

/**
 * Action vector layout, ACTION_DIM = 6:
 * [dx, dy, dz, dyaw] in [-1, 1], then close (> 0 closes, <= 0 opens), then terminate (> 0 ends the episode).
 */
export const ACTION_DIM = 6;
export const ACTION_NAMES = ['dx', 'dy', 'dz', 'dyaw', 'close', 'terminate'] as const;
/** Index of each component in the action vector (ACTION_NAMES's order). */
export const ACTION = { dx: 0, dy: 1, dz: 2, dyaw: 3, close: 4, terminate: 5 } as const;
/** The lateral move's components: what carries the gripper over one spot of the bin or another. */
export const MOVE_DIMS = [ACTION.dx, ACTION.dy] as const;

/** One env step as stored: the observation the action was chosen from, the action, and what followed. */
export interface StepRecord {
  observation: Observation;
  /** [ACTION_DIM] */
  action: Float32Array;
  reward: number;
  /**
   * The episode ended after this step. Always terminal: every grasp episode ends
   * with its final grasp (GraspEnv reports `terminated`), whether the policy
   * terminated or the step budget ran out, so no learner bootstraps past it. The
   * datasets' `next.done` column and the replay's terminated flag carry the same bit.
   */
  done: boolean;
  /** The episode ended after this step with a detected successful grasp. */
  success: boolean;
}

export interface EpisodeRecord {
  /** Seed the episode was reset with. */
  seed: number;
  split: ObjectSplit;
  /** Ids of the objects in the bin. */
  objectIds: string[];
  steps: StepRecord[];
  /** Detected success (what the reward used). */
  success: boolean;
  /** Simulator ground truth, for validation only. */
  groundTruthSuccess: boolean;
  /** Policy name that produced the episode. */
  policy: string;
}
