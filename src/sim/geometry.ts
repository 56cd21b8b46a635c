/**
 * Pure geometry of the grasping world: gripper dimensions, the workspace, drop
 * poses and object extents. No Rapier here, so `render`, `env` and tests can
 * share the exact conventions the physics uses.
 *
 * Gripper frame (the "palm frame"): origin at the fingertips' centre, z up,
 * fingers closing along local x. The world pose of this frame is the snapshot's
 * `GripperPose`: position x, y of the palm centre, z = fingertip height above
 * the bin floor, rotated by `yaw` about world z.
 */
import type { ObjectSpec } from '../objects/types.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import type { BodyPose, Quat, Vec3 } from './types.js';

/** Lowest fingertip height the palm may be driven to, m: just clear of the floor so closing fingers don't drag on it. */
export const MIN_TIP_HEIGHT = 0.004;
/** Head room above the higher of the start and lift heights, m. */
const WORKSPACE_TOP_MARGIN = 0.05;
/** Vertical gap between the bounding spheres of objects dropped above each other, m. */
const DROP_GAP = 0.01;

export interface GripperGeometry {
  /** Palm box half extents (x along the closing direction), m. */
  palmHalfExtents: Vec3;
  /** Height of the palm box centre above the fingertips, m. */
  palmCenterZ: number;
  /** Finger box half extents: thickness/2 along x, width/2 along y, length/2 along z, m. */
  fingerHalfExtents: Vec3;
  /** Height of the finger box centres above the fingertips, m. */
  fingerCenterZ: number;
  /** Largest pad-to-pad distance, m. */
  maxAperture: number;
}

/** Box dimensions of the palm and the two fingers, in the palm frame. */
export function gripperGeometry(g: SceneConfig['gripper']): GripperGeometry {
  return {
    palmHalfExtents: [g.maxAperture / 2 + g.fingerThickness, g.fingerWidth / 2, g.palmHeight / 2],
    palmCenterZ: g.fingerLength + g.palmHeight / 2,
    fingerHalfExtents: [g.fingerThickness / 2, g.fingerWidth / 2, g.fingerLength / 2],
    fingerCenterZ: g.fingerLength / 2,
    maxAperture: g.maxAperture,
  };
}

/**
 * Centre x of each finger box in the palm frame for a given aperture:
 * the pads (inner faces) sit at ±aperture/2. Returns [left (-x), right (+x)].
 */
export function fingerCenterX(g: SceneConfig['gripper'], aperture: number): [number, number] {
  const c = aperture / 2 + g.fingerThickness / 2;
  return [-c, c];
}

export interface Workspace {
  /** Lowest corner: x, y (m, world), fingertip height z (m). */
  min: Vec3;
  max: Vec3;
}

/** Where the palm may go: a fraction of the bin's inner half-size in x, y; from just above the floor to above the lift height in z. */
export function gripperWorkspace(scene: SceneConfig): Workspace {
  const hx = (scene.bin.size[0] / 2) * scene.gripper.workspace;
  const hy = (scene.bin.size[1] / 2) * scene.gripper.workspace;
  const top = Math.max(scene.gripper.startHeight, scene.gripper.liftHeight) + WORKSPACE_TOP_MARGIN;
  return { min: [-hx, -hy, MIN_TIP_HEIGHT], max: [hx, hy, top] };
}

/** `position` clamped into the workspace box. */
export function clampToWorkspace(position: Vec3, ws: Workspace): Vec3 {
  return [
    Math.min(ws.max[0], Math.max(ws.min[0], position[0])),
    Math.min(ws.max[1], Math.max(ws.min[1], position[1])),
    Math.min(ws.max[2], Math.max(ws.min[2], position[2])),
  ];
}

/**
 * Move `current` toward `target` by at most `maxStep` (Euclidean), in place.
 * Returns true when the target is reached.
 */
export function stepToward(current: Vec3, target: Vec3, maxStep: number): boolean {
  const dx = target[0] - current[0];
  const dy = target[1] - current[1];
  const dz = target[2] - current[2];
  const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
  if (d <= maxStep) {
    current[0] = target[0];
    current[1] = target[1];
    current[2] = target[2];
    return true;
  }
  const s = maxStep / d;
  current[0] += dx * s;
  current[1] += dy * s;
  current[2] += dz * s;
  return false;
}

/** A scalar moved toward its target by at most `maxStep`. */
export function stepScalarToward(current: number, target: number, maxStep: number): number {
  const d = target - current;
  return Math.abs(d) <= maxStep ? target : current + Math.sign(d) * maxStep;
}

/** Quaternion [x, y, z, w] for a rotation of `yaw` rad about world z. */
export function yawQuaternion(yaw: number): Quat {
  return [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)];
}

/** Uniformly distributed random rotation (Shoemake 1992, "Uniform random rotations"). */
export function randomQuaternion(rng: Rng): Quat {
  const u1 = rng.uniform();
  const u2 = rng.uniform() * 2 * Math.PI;
  const u3 = rng.uniform() * 2 * Math.PI;
  const a = Math.sqrt(1 - u1);
  const b = Math.sqrt(u1);
  return [a * Math.sin(u2), a * Math.cos(u2), b * Math.sin(u3), b * Math.cos(u3)];
}

/** Radius of the smallest origin-centred sphere holding every part vertex, m. */
export function objectRadius(spec: ObjectSpec): number {
  let r2 = 0;
  for (const part of spec.parts) {
    const v = part.vertices;
    for (let i = 0; i < v.length; i += 3) r2 = Math.max(r2, v[i] * v[i] + v[i + 1] * v[i + 1] + v[i + 2] * v[i + 2]);
  }
  return Math.sqrt(r2);
}

/** World z of the lowest vertex of `spec` at `pose`, m (the floor is z = 0). */
export function lowestPoint(spec: ObjectSpec, pose: BodyPose): number {
  const [qx, qy, qz, qw] = pose.quaternion;
  // Third row of the rotation matrix: world z of a local vector.
  const r20 = 2 * (qx * qz - qw * qy);
  const r21 = 2 * (qy * qz + qw * qx);
  const r22 = 1 - 2 * (qx * qx + qy * qy);
  let lowest = Infinity;
  for (const part of spec.parts) {
    const v = part.vertices;
    for (let i = 0; i < v.length; i += 3) lowest = Math.min(lowest, r20 * v[i] + r21 * v[i + 1] + r22 * v[i + 2]);
  }
  return pose.position[2] + lowest;
}

/**
 * Drop poses for `specs`, in order: x, y uniform in the centred drop area,
 * uniformly random orientation, and heights stacked so that no two bounding
 * spheres overlap (an object whose footprint circle overlaps an earlier one's
 * goes above it). Consumes a fixed number of draws per object.
 */
export function dropPoses(specs: readonly ObjectSpec[], scene: SceneConfig, rng: Rng): BodyPose[] {
  const ax = (scene.bin.size[0] / 2) * scene.objects.dropArea;
  const ay = (scene.bin.size[1] / 2) * scene.objects.dropArea;
  const poses: BodyPose[] = [];
  const radii: number[] = [];
  for (const spec of specs) {
    const r = objectRadius(spec);
    const x = rng.range(-ax, ax);
    const y = rng.range(-ay, ay);
    const quaternion = randomQuaternion(rng);
    let z = Math.max(scene.objects.dropHeight, r + DROP_GAP);
    for (let j = 0; j < poses.length; j++) {
      const [px, py, pz] = poses[j].position;
      const reach = r + radii[j] + DROP_GAP;
      if ((px - x) ** 2 + (py - y) ** 2 < reach * reach) z = Math.max(z, pz + reach);
    }
    poses.push({ position: [x, y, z], quaternion });
    radii.push(r);
  }
  return poses;
}
