/**
 * The action space as data, and the pure mapping from an action vector to the
 * gripper's next Cartesian target. No sim or render here, so it is testable alone.
 */
import type { SceneConfig } from '../scene/index.js';
import { gripperWorkspace } from '../sim/index.js';
import { ACTION_DIM, ACTION_NAMES } from './types.js';

/** Box bounds of the action space, Gymnasium's `Box(low, high, shape)` as plain data. */
export interface BoxSpace {
  readonly low: Float32Array;
  readonly high: Float32Array;
  readonly shape: readonly number[];
  readonly names: readonly string[];
}

/** Every action component lives in [-1, 1]; scene.action scales the first four. */
export const actionSpace: BoxSpace = Object.freeze({
  low: new Float32Array(ACTION_DIM).fill(-1),
  high: new Float32Array(ACTION_DIM).fill(1),
  shape: [ACTION_DIM],
  names: ACTION_NAMES,
});

/** Where the env tells the gripper to go: fingertip position (m, z above floor) and yaw (rad). */
export interface GripperTarget {
  x: number;
  y: number;
  z: number;
  yaw: number;
}

/** An action vector read into named, scaled parts. */
export interface DecodedAction {
  /** Translation this step, m. */
  dx: number;
  dy: number;
  dz: number;
  /** Yaw change this step, rad. */
  dyaw: number;
  close: boolean;
  terminate: boolean;
}

/** Yaw is limited to one turn; the parallel gripper is symmetric under a half turn, so nothing is lost. */
export const YAW_LIMIT = Math.PI;

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

/** Check shape and finiteness, clip to [-1, 1], scale by scene.action. */
export function decodeAction(action: ArrayLike<number>, scene: SceneConfig): DecodedAction {
  if (action.length !== ACTION_DIM) {
    throw new RangeError(`action must have ${ACTION_DIM} components [${ACTION_NAMES.join(', ')}], got ${action.length}`);
  }
  for (let i = 0; i < ACTION_DIM; i++) {
    if (!Number.isFinite(action[i])) throw new RangeError(`action[${i}] (${ACTION_NAMES[i]}) is not finite: ${action[i]}`);
  }
  const a = scene.action;
  return {
    dx: clamp(action[0], -1, 1) * a.maxTranslationXY,
    dy: clamp(action[1], -1, 1) * a.maxTranslationXY,
    dz: clamp(action[2], -1, 1) * a.maxTranslationZ,
    dyaw: clamp(action[3], -1, 1) * a.maxYaw,
    // The height hack is pybullet's KukaDiverseObjectEnv, which has no gripper action: the episode runs
    // its whole budget and grasps at the bottom, so a close on the way down cannot end it empty-handed.
    close: !scene.episode.heightHack && action[4] > 0,
    terminate: !scene.episode.heightHack && action[5] > 0,
  };
}

/**
 * Fingertip height the height hack prescribes after step `stepIndex` (0-based):
 * a straight descent from the start height that reaches `action.minHeight` at the
 * last step, as in pybullet's KukaDiverseObjectEnv.
 */
export function heightHackZ(scene: SceneConfig, stepIndex: number): number {
  const top = scene.gripper.startHeight;
  const bottom = scene.action.minHeight;
  const n = scene.episode.maxSteps;
  const t = (stepIndex + 1) / n;
  return t >= 1 ? bottom : top + (bottom - top) * t;
}

/** The next target: the previous target moved by the action, clamped to the workspace. */
export function nextTarget(prev: GripperTarget, act: DecodedAction, scene: SceneConfig, stepIndex: number): GripperTarget {
  const ws = gripperWorkspace(scene);
  const z = scene.episode.heightHack
    ? heightHackZ(scene, stepIndex)
    : clamp(prev.z + act.dz, scene.action.minHeight, scene.gripper.liftHeight);
  return {
    x: clamp(prev.x + act.dx, ws.min[0], ws.max[0]),
    y: clamp(prev.y + act.dy, ws.min[1], ws.max[1]),
    z,
    yaw: clamp(prev.yaw + act.dyaw, -YAW_LIMIT, YAW_LIMIT),
  };
}
