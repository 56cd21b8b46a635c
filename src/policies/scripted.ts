/**
 * The privileged scripted grasper: reads object poses and shapes from the
 * simulator (info.privileged), so it sets the upper bound a vision policy can
 * hope for and bootstraps datasets with successes. Planning is pure functions;
 * the policy class only keeps which object it is after and which phase it is in.
 *
 * Plan: over every convex part of every object, six closing directions and a few
 * grip points along the fingers (nearest the object's centre of mass first), pick
 * the grasp that is least obstructed (open fingers and palm clear of the walls,
 * other objects and the object's other parts), then high, narrow and near the
 * centre of mass; fly above it at the current height turning the fingers, descend
 * to a height where the fingers wrap the part's lower part, close, then terminate
 * (the env lifts). One try per episode: a stalled descent closes where it is.
 */
import { convexHull2d, objectFootprint } from '../objects/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import type { Observation, Policy, PrivilegedState, StepInfo } from '../env/index.js';
import { ACTION_DIM } from '../env/index.js';
import { gripperWorkspace } from '../sim/index.js';

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
/** A descent step that lowers the fingertips less than this has stalled on contact, m. */
export const STALL_DISTANCE = 0.002;
/** Steps spent closing before terminating (fingers need about maxAperture / fingerSpeed). */
const CLOSE_STEPS = 1;

/** Where and how to grasp one object. */
export interface GraspPlan {
  /** Index of the object in the snapshot, and of the convex part the fingers close on. */
  objectIndex: number;
  partIndex: number;
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
  /** Horizontal distance of the grasp from the object's origin, m (off-centre grasps tilt when lifted). */
  offCenter: number;
  /** Parts the open fingers would hit on the way down (0 = clear). */
  obstruction: number;
}

/** A convex part in the world: its horizontal outline (2-D hull, counter-clockwise) and height range. */
interface PartOutline {
  object: number;
  part: number;
  hull: Array<[number, number]>;
  minZ: number;
  maxZ: number;
}

/** Every part of every object, posed in the world. */
function partOutlines(priv: PrivilegedState): PartOutline[] {
  const out: PartOutline[] = [];
  priv.objects.forEach((spec, object) => {
    const [qx, qy, qz, qw] = priv.snapshot.objects[object].quaternion;
    const [px, py, pz] = priv.snapshot.objects[object].position;
    spec.parts.forEach((p, part) => {
      const v = p.vertices;
      const pts: Array<[number, number]> = [];
      let minZ = Infinity;
      let maxZ = -Infinity;
      for (let i = 0; i < v.length; i += 3) {
        // v' = q v q* (three.js Vector3.applyQuaternion)
        const tx = 2 * (qy * v[i + 2] - qz * v[i + 1]);
        const ty = 2 * (qz * v[i] - qx * v[i + 2]);
        const tz = 2 * (qx * v[i + 1] - qy * v[i]);
        pts.push([px + v[i] + qw * tx + qy * tz - qz * ty, py + v[i + 1] + qw * ty + qz * tx - qx * tz]);
        const z = pz + v[i + 2] + qw * tz + qx * ty - qy * tx;
        if (z < minZ) minZ = z;
        if (z > maxZ) maxZ = z;
      }
      out.push({ object, part, hull: convexHull2d(pts), minZ, maxZ });
    });
  });
  return out;
}

/** Hull points in the rectangle's frame, [along, across] pairs, reused by every overlapsRect call (thousands per planning step). */
let localScratch = new Float64Array(64);

/** Whether a convex polygon overlaps the rectangle along ∈ [a0, a1], across ∈ [c0, c1] of the frame (origin, axis u). */
function overlapsRect(hull: Array<[number, number]>, ox: number, oy: number, ux: number, uy: number, a0: number, a1: number, c0: number, c1: number): boolean {
  // Separating axis theorem: rectangle axes first, then the polygon's edge normals.
  const n = hull.length;
  if (localScratch.length < 2 * n) localScratch = new Float64Array(4 * n);
  const local = localScratch; // [n, 2]
  for (let i = 0; i < n; i++) {
    const [x, y] = hull[i];
    local[2 * i] = (x - ox) * ux + (y - oy) * uy;
    local[2 * i + 1] = -(x - ox) * uy + (y - oy) * ux;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, local[2 * i]);
    hi = Math.max(hi, local[2 * i]);
  }
  if (hi < a0 || lo > a1) return false;
  lo = Infinity;
  hi = -Infinity;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, local[2 * i + 1]);
    hi = Math.max(hi, local[2 * i + 1]);
  }
  if (hi < c0 || lo > c1) return false;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const nx = local[2 * j + 1] - local[2 * i + 1];
    const ny = local[2 * i] - local[2 * j];
    let pMin = Infinity;
    let pMax = -Infinity;
    for (let k = 0; k < n; k++) {
      const d = local[2 * k] * nx + local[2 * k + 1] * ny;
      pMin = Math.min(pMin, d);
      pMax = Math.max(pMax, d);
    }
    // The rectangle's corners in order (a0, c0), (a1, c0), (a1, c1), (a0, c1).
    const d0 = a0 * nx + c0 * ny;
    const d1 = a1 * nx + c0 * ny;
    const d2 = a1 * nx + c1 * ny;
    const d3 = a0 * nx + c1 * ny;
    const rMin = Math.min(d0, d1, d2, d3);
    const rMax = Math.max(d0, d1, d2, d3);
    if (rMax < pMin || rMin > pMax) return false;
  }
  return true;
}

/**
 * Things the open fingers would hit on the way down: bin walls (a finger corner
 * outside the bin), and parts (of other objects, or other parts of the same
 * object) reaching above the grasp height and overlapping either finger's path,
 * from the grasped part's side out past the open finger.
 */
function countObstruction(plan: Omit<GraspPlan, 'obstruction'>, outlines: PartOutline[], scene: SceneConfig): number {
  const g = scene.gripper;
  const ux = Math.cos(plan.yaw);
  const uy = Math.sin(plan.yaw);
  const inner = plan.width / 2 + SIDE_CLEARANCE / 2;
  const outer = g.maxAperture / 2 + g.fingerThickness + SIDE_CLEARANCE;
  const half = g.fingerWidth / 2 + SIDE_CLEARANCE;
  // The open fingers must stay inside the bin's walls.
  const wx = scene.bin.size[0] / 2 - SIDE_CLEARANCE / 2;
  const wy = scene.bin.size[1] / 2 - SIDE_CLEARANCE / 2;
  let count = 0;
  for (const s of [-1, 1]) {
    for (const c of [-half, half]) {
      const px = plan.x + s * outer * ux - c * uy;
      const py = plan.y + s * outer * uy + c * ux;
      if (Math.abs(px) > wx || Math.abs(py) > wy) count++;
    }
  }
  // The palm spans both open fingers, fingerLength above the fingertips.
  const palmBottom = plan.z + g.fingerLength - SIDE_CLEARANCE / 2;
  for (const o of outlines) {
    if (o.object === plan.objectIndex && o.part === plan.partIndex) continue;
    if (o.maxZ < plan.z) continue;
    if (
      overlapsRect(o.hull, plan.x, plan.y, ux, uy, inner, outer, -half, half) ||
      overlapsRect(o.hull, plan.x, plan.y, ux, uy, -outer, -inner, -half, half) ||
      (o.maxZ > palmBottom && overlapsRect(o.hull, plan.x, plan.y, ux, uy, -outer, outer, -half, half))
    ) {
      count++;
    }
  }
  return count;
}

/** Closing directions tried per part, evenly spaced over a half turn, starting across its narrowest side. */
const YAW_CANDIDATES = 6;
/** Grip positions tried along the fingers' width: offsets from the point nearest the centre of mass, m (clamped to the part). */
const ALONG_OFFSETS = [0, -0.02, 0.02, -0.04, 0.04];

/**
 * Grasp plans for object `index`: per convex part (the fingers close across a
 * solid part, never across the empty inside of an L, a U or a compound), one per
 * closing direction in YAW_CANDIDATES steps from across the part's narrow side,
 * skipping directions where the part is wider than the open fingers or the grasp is
 * out of reach. Along the fingers' width the grip goes as close to the object's
 * centre of mass (its origin) as the part allows, so the object does not twist out
 * when lifted, and a few steps away from it for when a neighbour is in the way there.
 * With `onlyPart`, plans for that part alone.
 */
export function plansForObject(index: number, priv: PrivilegedState, scene: SceneConfig, outlines = partOutlines(priv), onlyPart?: number): GraspPlan[] {
  const pose = priv.snapshot.objects[index];
  const ws = gripperWorkspace(scene);
  const g = scene.gripper;
  const own = outlines.filter((o) => o.object === index);
  const objectBottom = Math.min(...own.map((o) => o.minZ));
  const [cx, cy] = pose.position;
  const plans: GraspPlan[] = [];
  for (const outline of own) {
    if (onlyPart !== undefined && outline.part !== onlyPart) continue;
    const fp = objectFootprint({ ...priv.objects[index], parts: [priv.objects[index].parts[outline.part]] }, pose.quaternion);
    const bottom = Math.max(objectBottom, outline.minZ);
    const top = outline.maxZ;
    const z = Math.max(scene.action.minHeight, bottom + GRASP_HEIGHT_FRACTION * (top - bottom), top - g.fingerLength + PALM_CLEARANCE);
    for (let k = 0; k < YAW_CANDIDATES; k++) {
      let yaw = fp.yaw + (Math.PI * k) / YAW_CANDIDATES;
      if (yaw > Math.PI / 2) yaw -= Math.PI;
      // u: the closing direction; v: along the fingers' width.
      const ux = Math.cos(yaw);
      const uy = Math.sin(yaw);
      let [a0, a1, b0, b1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (const [px, py] of outline.hull) {
        const a = px * ux + py * uy;
        const b = -px * uy + py * ux;
        a0 = Math.min(a0, a);
        a1 = Math.max(a1, a);
        b0 = Math.min(b0, b);
        b1 = Math.max(b1, b);
      }
      const width = a1 - a0;
      if (width > g.maxAperture - 2 * SIDE_CLEARANCE) continue;
      const across = (a0 + a1) / 2;
      const half = Math.min(g.fingerWidth / 2, (b1 - b0) / 2);
      const comAlong = -cx * uy + cy * ux;
      const tried: number[] = [];
      for (const offset of ALONG_OFFSETS) {
        const along = Math.min(b1 - half, Math.max(b0 + half, comAlong + offset));
        if (tried.some((t) => Math.abs(t - along) < 0.002)) continue;
        tried.push(along);
        const x = across * ux - along * uy;
        const y = across * uy + along * ux;
        if (x < ws.min[0] || x > ws.max[0] || y < ws.min[1] || y > ws.max[1]) continue;
        const base = { objectIndex: index, partIndex: outline.part, x, y, z, yaw, width, top, offCenter: Math.hypot(x - cx, y - cy) };
        plans.push({ ...base, obstruction: countObstruction(base, outlines, scene) });
      }
    }
  }
  return plans;
}

/** Better of two plans: unobstructed first, then high, narrow and close to the object's centre of mass. */
function better(a: GraspPlan, b: GraspPlan): boolean {
  if (a.obstruction !== b.obstruction) return a.obstruction < b.obstruction;
  const score = (p: GraspPlan): number => p.top - p.offCenter - p.width / 2;
  return score(a) > score(b);
}

/** The best plan among `plans`, or null. */
function bestOf(plans: GraspPlan[]): GraspPlan | null {
  let best: GraspPlan | null = null;
  for (const p of plans) if (!best || better(p, best)) best = p;
  return best;
}

/** The best plan for object `index`, or null if no part of it fits the fingers. */
export function planForObject(index: number, priv: PrivilegedState, scene: SceneConfig): GraspPlan | null {
  return bestOf(plansForObject(index, priv, scene));
}

/** The best grasp in the bin, or null if nothing fits the fingers. */
export function planGrasp(priv: PrivilegedState, scene: SceneConfig): GraspPlan | null {
  const outlines = partOutlines(priv);
  return bestOf(priv.objects.flatMap((_, i) => plansForObject(i, priv, scene, outlines)));
}

/** The yaw equivalent to `yaw` under a half turn that is closest to `current`. */
export function nearestEquivalentYaw(yaw: number, current: number): number {
  let y = yaw;
  while (y - current > Math.PI / 2) y -= Math.PI;
  while (y - current < -Math.PI / 2) y += Math.PI;
  return y;
}

type Phase = 'approach' | 'descend' | 'close' | 'done';

/** An action component clipped to [-1, 1]. */
export const clampUnit = (v: number): number => (v < -1 ? -1 : v > 1 ? 1 : v);

export class ScriptedPolicy implements Policy {
  readonly name = 'scripted';
  private phase: Phase = 'approach';
  private objectIndex = -1;
  private partIndex = -1;
  private yaw = 0;
  private closeSteps = 0;
  /** Fingertip height at the previous step, m (to notice a stalled descent). */
  private lastZ = Infinity;

  constructor(private readonly scene: SceneConfig) {}

  /** The locked part's best plan at the yaw closest to the locked one (the object may have been pushed), or null once it is out of reach. */
  private replan(priv: PrivilegedState): GraspPlan | null {
    let best: GraspPlan | null = null;
    let bestTurn = Infinity;
    for (const p of plansForObject(this.objectIndex, priv, this.scene, partOutlines(priv), this.partIndex)) {
      const turn = Math.abs(nearestEquivalentYaw(p.yaw, this.yaw) - this.yaw);
      if (turn < bestTurn - 1e-9 || (turn < bestTurn + 1e-9 && best !== null && better(p, best))) {
        best = p;
        bestTurn = Math.min(turn, bestTurn);
      }
    }
    return best;
  }

  reset(_rng: Rng): void {
    this.phase = 'approach';
    this.objectIndex = -1;
    this.partIndex = -1;
    this.closeSteps = 0;
    this.lastZ = Infinity;
  }

  act(_obs: Observation, info: StepInfo): Float32Array {
    const priv = info.privileged;
    const g = priv.snapshot.gripper;
    const a = this.scene.action;
    const action = new Float32Array(ACTION_DIM);
    action[4] = -1;
    action[5] = -1;

    // Lock onto one part of one object; re-plan its grasp each step, since neighbours may push it.
    let plan = this.objectIndex >= 0 ? this.replan(priv) : null;
    if (!plan && this.phase === 'approach') {
      plan = planGrasp(priv, this.scene);
      if (plan) {
        this.objectIndex = plan.objectIndex;
        this.partIndex = plan.partIndex;
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
        // The sim's guarded move stops the palm on contact: a stalled descent grasps where it is.
        const stalled = this.lastZ - g.position[2] < STALL_DISTANCE && ez < -Z_TOLERANCE;
        if ((Math.abs(ez) < Z_TOLERANCE && aligned) || stalled) this.phase = 'close';
        this.lastZ = g.position[2];
      }
      // Leave enough steps to close and terminate before the episode is truncated.
      if (this.scene.episode.maxSteps - info.step <= CLOSE_STEPS + 1) this.phase = 'close';
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
