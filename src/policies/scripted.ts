/**
 * The privileged scripted grasper: reads object poses and shapes from the
 * simulator (info.privileged), so it sets the upper bound a vision policy can
 * hope for and bootstraps datasets with successes. Planning is pure functions;
 * the policy class only keeps which object it is after and which phase it is in.
 *
 * Plan: pick the object whose grasp is least obstructed (then the highest),
 * fly above it at the current height turning the fingers across its narrow side,
 * descend to a height where the fingers wrap its lower part, close, then terminate
 * (the env lifts).
 */
import { objectFootprint, type ObjectSpec } from '../objects/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import type { Observation, Policy, PrivilegedState, StepInfo } from '../env/index.js';
import { ACTION_DIM, workspaceHalfExtents } from '../env/index.js';
import type { BodyPose } from '../sim/types.js';

/** Clearance kept between the open fingers and the object's sides, m. */
const SIDE_CLEARANCE = 0.008;
/** Fingertips stop this far below the object's top at most (so the palm stays clear of it), m. */
const PALM_CLEARANCE = 0.012;
/** Fraction of the object's height at which the fingertips close, from its bottom. */
const GRASP_HEIGHT_FRACTION = 0.2;
/** Position error (m) and yaw error (rad) under which the gripper counts as above the grasp. */
const XY_TOLERANCE = 0.006;
const YAW_TOLERANCE = 0.06;
/** Height error under which the descent is done, m. */
const Z_TOLERANCE = 0.006;
/** Steps spent closing before terminating (fingers need about maxAperture / fingerSpeed). */
const CLOSE_STEPS = 1;

/** Where and how to grasp one object. */
export interface GraspPlan {
  /** Index of the object in the snapshot. */
  objectIndex: number;
  /** Grasp centre, world x, y, m. */
  x: number;
  y: number;
  /** Fingertip height to close at, m above the floor. */
  z: number;
  /** Gripper yaw that closes across the object's narrow side, rad, (-π/2, π/2]. */
  yaw: number;
  /** Object width across the fingers, m. */
  width: number;
  /** Top of the object above the floor, m. */
  top: number;
  /** Points of other objects inside the fingers' path (0 = clear). */
  obstruction: number;
}

/** World-frame xyz of every vertex of `spec` at `pose`. [V*3] */
function worldVertices(spec: ObjectSpec, pose: BodyPose): Float64Array {
  let n = 0;
  for (const p of spec.parts) n += p.vertices.length;
  const out = new Float64Array(n);
  const [qx, qy, qz, qw] = pose.quaternion;
  const [px, py, pz] = pose.position;
  let o = 0;
  for (const part of spec.parts) {
    const v = part.vertices;
    for (let i = 0; i < v.length; i += 3, o += 3) {
      const x = v[i];
      const y = v[i + 1];
      const z = v[i + 2];
      // v' = q v q* (three.js Vector3.applyQuaternion)
      const tx = 2 * (qy * z - qz * y);
      const ty = 2 * (qz * x - qx * z);
      const tz = 2 * (qx * y - qy * x);
      out[o] = px + x + qw * tx + qy * tz - qz * ty;
      out[o + 1] = py + y + qw * ty + qz * tx - qx * tz;
      out[o + 2] = pz + z + qw * tz + qx * ty - qy * tx;
    }
  }
  return out;
}

/**
 * Count vertices of the other objects that the open fingers would hit on the
 * way down: inside either finger's swept box (from the object's side out past
 * the open finger, across the finger width) and above the fingertips' grasp height.
 */
function countObstruction(plan: Omit<GraspPlan, 'obstruction'>, others: Float64Array[], scene: SceneConfig): number {
  const g = scene.gripper;
  const cx = Math.cos(plan.yaw);
  const cy = Math.sin(plan.yaw);
  const inner = plan.width / 2;
  const outer = g.maxAperture / 2 + g.fingerThickness + SIDE_CLEARANCE;
  const halfWidth = g.fingerWidth / 2 + SIDE_CLEARANCE;
  let count = 0;
  for (const pts of others) {
    for (let i = 0; i < pts.length; i += 3) {
      if (pts[i + 2] < plan.z) continue;
      const dx = pts[i] - plan.x;
      const dy = pts[i + 1] - plan.y;
      const along = Math.abs(dx * cx + dy * cy);
      const across = Math.abs(-dx * cy + dy * cx);
      if (along >= inner && along <= outer && across <= halfWidth) count++;
    }
  }
  return count;
}

/** The grasp plan for object `index`, or null if it is wider than the open fingers or out of reach. */
export function planForObject(index: number, priv: PrivilegedState, scene: SceneConfig, verts?: Float64Array[]): GraspPlan | null {
  const spec = priv.objects[index];
  const pose = priv.snapshot.objects[index];
  const fp = objectFootprint(spec, pose.quaternion);
  if (fp.narrowWidth > scene.gripper.maxAperture - 2 * SIDE_CLEARANCE) return null;
  const x = pose.position[0] + fp.center[0];
  const y = pose.position[1] + fp.center[1];
  const [hx, hy] = workspaceHalfExtents(scene);
  if (Math.abs(x) > hx || Math.abs(y) > hy) return null;
  const bottom = pose.position[2] + fp.minZ;
  const top = pose.position[2] + fp.maxZ;
  const z = Math.max(scene.action.minHeight, bottom + GRASP_HEIGHT_FRACTION * (top - bottom), top - scene.gripper.fingerLength + PALM_CLEARANCE);
  const base = { objectIndex: index, x, y, z, yaw: fp.yaw, width: fp.narrowWidth, top };
  const all = verts ?? priv.objects.map((o, i) => worldVertices(o, priv.snapshot.objects[i]));
  const others = all.filter((_, i) => i !== index);
  return { ...base, obstruction: countObstruction(base, others, scene) };
}

/** The best grasp in the bin: least obstructed, then the highest top. Null if nothing fits the fingers. */
export function planGrasp(priv: PrivilegedState, scene: SceneConfig): GraspPlan | null {
  const verts = priv.objects.map((o, i) => worldVertices(o, priv.snapshot.objects[i]));
  let best: GraspPlan | null = null;
  for (let i = 0; i < priv.objects.length; i++) {
    const plan = planForObject(i, priv, scene, verts);
    if (!plan) continue;
    if (!best || plan.obstruction < best.obstruction || (plan.obstruction === best.obstruction && plan.top > best.top)) best = plan;
  }
  return best;
}

/** The yaw equivalent to `yaw` under a half turn that is closest to `current`. */
export function nearestEquivalentYaw(yaw: number, current: number): number {
  let y = yaw;
  while (y - current > Math.PI / 2) y -= Math.PI;
  while (y - current < -Math.PI / 2) y += Math.PI;
  return y;
}

type Phase = 'approach' | 'descend' | 'close' | 'done';

const clampUnit = (v: number): number => (v < -1 ? -1 : v > 1 ? 1 : v);

export class ScriptedPolicy implements Policy {
  readonly name = 'scripted';
  private phase: Phase = 'approach';
  private objectIndex = -1;
  private yaw = 0;
  private closeSteps = 0;

  constructor(private readonly scene: SceneConfig) {}

  reset(_rng: Rng): void {
    this.phase = 'approach';
    this.objectIndex = -1;
    this.closeSteps = 0;
  }

  act(_obs: Observation, info: StepInfo): Float32Array {
    const priv = info.privileged;
    const g = priv.snapshot.gripper;
    const a = this.scene.action;
    const action = new Float32Array(ACTION_DIM);
    action[4] = -1;
    action[5] = -1;

    // Lock onto one object; re-plan its grasp each step, since neighbours may push it.
    let plan = this.objectIndex >= 0 ? planForObject(this.objectIndex, priv, this.scene) : null;
    if (!plan && this.phase === 'approach') {
      plan = planGrasp(priv, this.scene);
      if (plan) {
        this.objectIndex = plan.objectIndex;
        this.yaw = nearestEquivalentYaw(plan.yaw, g.yaw);
      }
    }
    if (!plan) {
      // Nothing graspable (or the object left reach): grasp where we are.
      this.phase = 'close';
    }

    if (plan && (this.phase === 'approach' || this.phase === 'descend')) {
      const ex = plan.x - g.position[0];
      const ey = plan.y - g.position[1];
      const eyaw = this.yaw - g.yaw;
      action[0] = clampUnit(ex / a.maxTranslationXY);
      action[1] = clampUnit(ey / a.maxTranslationXY);
      action[3] = clampUnit(eyaw / a.maxYaw);
      const aligned = Math.hypot(ex, ey) < XY_TOLERANCE && Math.abs(eyaw) < YAW_TOLERANCE;
      // Start down once the next step will reach the spot; keep correcting on the way.
      const nearlyAligned = Math.hypot(ex, ey) < a.maxTranslationXY && Math.abs(eyaw) < a.maxYaw;
      if (this.phase === 'approach' && nearlyAligned) this.phase = 'descend';
      if (this.phase === 'descend') {
        const ez = plan.z - g.position[2];
        action[2] = clampUnit(ez / a.maxTranslationZ);
        if (Math.abs(ez) < Z_TOLERANCE && aligned) this.phase = 'close';
      }
      if (this.phase !== 'close') return action;
      action.fill(0, 0, 4);
    }

    // Height hack: the env lowers and closes by itself at the last step; hold position open.
    if (this.scene.episode.heightHack) {
      action.fill(0, 0, 4);
      return action;
    }
    action[4] = 1;
    if (this.closeSteps >= CLOSE_STEPS) {
      action[5] = 1;
      this.phase = 'done';
    }
    this.closeSteps++;
    return action;
  }
}
