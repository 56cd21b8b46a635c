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
import { convexHull, convexHull2d, isLibraryObject, LIBRARY_VERSION, proceduralIndex, volumeAndCentroid, type ConvexPart, type ObjectSpec } from '../objects/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import { restingDownsOf } from './resting-table.js';
import type { BodyPose, Quat, Vec3 } from './types.js';

/** Lowest fingertip height the palm may be driven to, m: just clear of the floor so closing fingers don't drag on it. */
export const MIN_TIP_HEIGHT = 0.004;
/** Head room above the higher of the start and lift heights, m. */
const WORKSPACE_TOP_MARGIN = 0.05;

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

/** Gap left under an object placed on the floor (or above the objects under it), m: it lands within a few substeps. */
const DROP_CLEARANCE = 0.0005;
/** Random xy positions tried per object before it is stacked on the others instead. */
const PLACEMENT_TRIES = 30;
/** Resting poses whose centre of mass is within this factor of the lowest one's height are drawn among (a near-cube lies on any face, a flat box only on its broad face). */
const STABLE_HEIGHT_FACTOR = 1.2;
/** Vertices this close to the supporting plane touch the floor, m. */
const CONTACT_TOLERANCE = 1e-4;
/** The centre of mass must project this far inside the contact polygon for a pose to count as stable, m. */
const STABILITY_MARGIN = 1e-3;

/** A way for an object to lie on the floor: which object-frame direction points down, and its extents that way. */
export interface RestingPose {
  /** Unit vector, object frame, that points straight down. */
  down: Vec3;
  /** Height of the object origin above the floor, m. */
  originHeight: number;
  /** Height of the centre of mass above the floor, m (lower is more stable). */
  comHeight: number;
  /** Largest horizontal distance of a vertex from the origin's vertical, m. */
  footprint: number;
}

const restingCache = new WeakMap<ObjectSpec, RestingPose[]>();

/** Centre of mass of the union of parts at uniform density (part volumes may overlap slightly; close enough for stability). */
function centreOfMass(spec: ObjectSpec): Vec3 {
  let volume = 0;
  const c: Vec3 = [0, 0, 0];
  for (const part of spec.parts) {
    const p = volumeAndCentroid(part);
    volume += p.volume;
    for (let k = 0; k < 3; k++) c[k] += p.volume * p.centroid[k];
  }
  return volume > 0 ? [c[0] / volume, c[1] / volume, c[2] / volume] : [0, 0, 0];
}

/** Whether the origin of the plane lies inside the convex hull of `points` ([u, w] pairs) by at least `margin`. */
function insideHull2d(points: [number, number][], margin: number): boolean {
  const hull = convexHull2d(points);
  if (hull.length < 3) return false;
  const cross = (o: [number, number], a: [number, number], b: [number, number]): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    // Signed distance of the origin to the left of edge a→b.
    if (cross(a, b, [0, 0]) / len < margin) return false;
  }
  return true;
}

/**
 * Half the side of the square inscribed in a cylinder part's polygonal
 * section (the part's own frame, axis z), m: the widest angle between
 * neighbouring rim vertices sets the facet closest to the axis. The sim gives
 * each cylinder this square prism toward the environment (colliders.ts),
 * because Rapier supports a hull face on at most 4 of its vertices.
 */
export function capSquareHalfSide(part: ConvexPart): number {
  const primitive = part.primitive;
  if (primitive?.shape.kind !== 'cylinder') throw new Error('capSquareHalfSide takes a cylinder part');
  const { shape, pose } = primitive;
  const v = part.vertices;
  const angles: number[] = [];
  for (let i = 0; i < v.length; i += 3) {
    const x = v[i] - pose[3];
    const y = v[i + 1] - pose[7];
    const z = v[i + 2] - pose[11];
    // Part-frame x and y: the first two rows of the transposed rotation.
    angles.push(Math.atan2(pose[1] * x + pose[5] * y + pose[9] * z, pose[0] * x + pose[4] * y + pose[8] * z));
  }
  angles.sort((a, b) => a - b);
  let gap = angles[0] + 2 * Math.PI - angles[angles.length - 1];
  for (let i = 1; i < angles.length; i++) gap = Math.max(gap, angles[i] - angles[i - 1]);
  return (shape.radius * Math.cos(gap / 2)) / Math.SQRT2;
}

/**
 * What of `part` can touch a floor below it along `down` (object frame): its
 * vertices, except for a cylinder, which Rapier supports on at most 4 vertices
 * of a hull face. Standing on a cap, it rests on the corners of its inscribed
 * square prism only (see `capSquareHalfSide`); tilted onto its rim, on one
 * point (the cap's first 4 vertices are the face feature, not the ones
 * touching); lying on its side, on the facet's own 4 vertices.
 */
function supportPoints(part: ConvexPart, down: Vec3): ArrayLike<number> {
  const primitive = part.primitive;
  if (primitive?.shape.kind !== 'cylinder') return part.vertices;
  const p = primitive.pose;
  const along = Math.abs(down[0] * p[2] + down[1] * p[6] + down[2] * p[10]);
  const v = part.vertices;
  if (along < 1e-3) return v;
  if (along < 1 - 1e-3) {
    let best = 0;
    for (let i = 3; i < v.length; i += 3) {
      if (v[i] * down[0] + v[i + 1] * down[1] + v[i + 2] * down[2] > v[best] * down[0] + v[best + 1] * down[1] + v[best + 2] * down[2]) best = i;
    }
    return [v[best], v[best + 1], v[best + 2]];
  }
  const a = capSquareHalfSide(part);
  const h = primitive.shape.halfHeight;
  const out: number[] = [];
  for (const [x, y, z] of [[a, a], [-a, a], [-a, -a], [a, -a]].flatMap(([x, y]) => [[x, y, h], [x, y, -h]])) {
    out.push(p[0] * x + p[1] * y + p[2] * z + p[3], p[4] * x + p[5] * y + p[6] * z + p[7], p[8] * x + p[9] * y + p[10] * z + p[11]);
  }
  return out;
}

/**
 * The statically stable ways `spec` can lie on a flat floor, cached per spec.
 * A library object's are read from the precomputed table (resting-table.ts:
 * the same poses, bit for bit, that `searchRestingPoses` finds, without the
 * search, which was most of a new object's first placement); any other object
 * is searched.
 */
function restingPoses(spec: ObjectSpec): RestingPose[] {
  let poses = restingCache.get(spec);
  if (!poses) {
    const downs = tabulatedRestingDowns(spec);
    if (downs === undefined) poses = searchRestingPoses(spec);
    else if (downs === null) poses = [fallbackRestingPose(spec)];
    else {
      const com = centreOfMass(spec);
      poses = downs.map((n) => restingPoseAlong(spec, com, n, supportAlong(spec, n)));
    }
    restingCache.set(spec, poses);
  }
  return poses;
}

/**
 * The down directions of a library object's resting poses from the table, in
 * the search's order; null when the search found none (the fallback pose);
 * undefined when `spec` is not the library's own object of this library
 * version (a copy or a look-alike could differ from what the table was made from).
 */
function tabulatedRestingDowns(spec: ObjectSpec): Vec3[] | null | undefined {
  if (!isLibraryObject(spec)) return undefined;
  return restingDownsOf(LIBRARY_VERSION, proceduralIndex(spec.id));
}

/**
 * Search for the statically stable ways `spec` can lie on a flat floor.
 * Candidate down directions are the object axes and every hull face normal;
 * a candidate is stable when the centre of mass projects inside the polygon
 * of the vertices touching the supporting plane. Exported for the table's
 * generator and its test; everything else asks `restingPoses`.
 */
export function searchRestingPoses(spec: ObjectSpec): RestingPose[] {
  const com = centreOfMass(spec);
  const candidates = new Map<string, Vec3>();
  const add = (n: Vec3): void => {
    const len = Math.hypot(n[0], n[1], n[2]);
    if (len < 1e-12) return;
    const u: Vec3 = [n[0] / len, n[1] / len, n[2] / len];
    candidates.set(`${Math.round(u[0] * 1e3)},${Math.round(u[1] * 1e3)},${Math.round(u[2] * 1e3)}`, u);
  };
  for (const axis of [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]] as Vec3[]) add(axis);
  for (const part of spec.parts) {
    const v = part.vertices;
    const t = part.indices;
    // A round primitive lies on its caps or its straight side, never on a facet of its curved ends:
    // keep only faces square to its axis or along it (the curved facets are most of a capsule's mesh).
    const shape = part.primitive?.shape.kind;
    const round = shape === 'cylinder' || shape === 'capsule' || shape === 'sphere';
    const p = part.primitive?.pose;
    for (let f = 0; f < t.length; f += 3) {
      const n = faceNormal(v, t, f);
      if (round) {
        if (shape === 'sphere') continue;
        const along = Math.abs(n[0] * p![2] + n[1] * p![6] + n[2] * p![10]) / Math.hypot(n[0], n[1], n[2]);
        if (along > 1e-3 && along < 1 - 1e-3) continue;
      }
      add(n);
    }
  }
  // A compound also rests on faces of its whole hull that span several parts (a box's edge and a
  // cylinder's rim, say): no part's own face points that way, and without these a compound could find
  // no stable candidate at all and fall back to lying on -z, toppling from there.
  if (spec.parts.length > 1) {
    const whole = convexHull(spec.parts.flatMap((part) => Array.from(part.vertices)), `object ${spec.id}`);
    for (let f = 0; f < whole.indices.length; f += 3) add(faceNormal(whole.vertices, whole.indices, f));
  }
  // Support height along every candidate first; the stability test (the costly part) runs in order of
  // centre-of-mass height and stops once the remaining candidates are too tall to be drawn.
  const ranked = [...candidates.values()].map((n) => {
    const support = supportAlong(spec, n);
    return { n, support, comHeight: comHeightAlong(com, n, support) };
  });
  ranked.sort((a, b) => a.comHeight - b.comHeight);
  const broad: RestingPose[] = [];
  for (const { n, support, comHeight } of ranked) {
    if (broad.length > 0 && comHeight > broad[0].comHeight * STABLE_HEIGHT_FACTOR) break;
    // Plane basis (u, w) perpendicular to n.
    const helper: Vec3 = Math.abs(n[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const u = normalize(crossVec(n, helper));
    const w = crossVec(n, u);
    const contacts: [number, number][] = [];
    for (const part of spec.parts) {
      const s = supportPoints(part, n);
      for (let i = 0; i < s.length; i += 3) {
        if (s[i] * n[0] + s[i + 1] * n[1] + s[i + 2] * n[2] < support - CONTACT_TOLERANCE) continue;
        const x = s[i] - com[0];
        const y = s[i + 1] - com[1];
        const z = s[i + 2] - com[2];
        contacts.push([x * u[0] + y * u[1] + z * u[2], x * w[0] + y * w[1] + z * w[2]]);
      }
    }
    if (!insideHull2d(contacts, STABILITY_MARGIN)) continue;
    broad.push(restingPoseAlong(spec, com, n, support));
  }
  // No stable face found (degenerate input): lie on -z and let physics settle it.
  if (broad.length === 0) broad.push(fallbackRestingPose(spec));
  return broad;
}

/** Height of the supporting plane along unit `n` (object frame): the largest v·n over every vertex, m. */
function supportAlong(spec: ObjectSpec, n: Vec3): number {
  let support = -Infinity;
  for (const part of spec.parts) {
    const v = part.vertices;
    for (let i = 0; i < v.length; i += 3) support = Math.max(support, v[i] * n[0] + v[i + 1] * n[1] + v[i + 2] * n[2]);
  }
  return support;
}

function comHeightAlong(com: Vec3, n: Vec3, support: number): number {
  return support - (com[0] * n[0] + com[1] * n[1] + com[2] * n[2]);
}

/** The resting pose with unit `n` (object frame) pointing down, its supporting plane at `support` along `n`. */
function restingPoseAlong(spec: ObjectSpec, com: Vec3, n: Vec3, support: number): RestingPose {
  // Footprint: the largest distance of a vertex from the vertical through the origin, squared.
  let f2 = 0;
  for (const part of spec.parts) {
    const v = part.vertices;
    for (let i = 0; i < v.length; i += 3) {
      const d = v[i] * n[0] + v[i + 1] * n[1] + v[i + 2] * n[2];
      f2 = Math.max(f2, v[i] * v[i] + v[i + 1] * v[i + 1] + v[i + 2] * v[i + 2] - d * d);
    }
  }
  return { down: n, originHeight: support, comHeight: comHeightAlong(com, n, support), footprint: Math.sqrt(Math.max(0, f2)) };
}

/** Lying on -z, for an object with no stable face (degenerate input); physics settles it. */
function fallbackRestingPose(spec: ObjectSpec): RestingPose {
  return { down: [0, 0, -1], originHeight: -lowestPoint(spec, { position: [0, 0, 0], quaternion: [0, 0, 0, 1] }), comHeight: 0, footprint: objectRadius(spec) };
}

/** Outward (unnormalised) normal of triangle `f` (index of its first corner in `t`): down when the face is on the floor. */
function faceNormal(v: ArrayLike<number>, t: ArrayLike<number>, f: number): Vec3 {
  const a = 3 * t[f];
  const b = 3 * t[f + 1];
  const c = 3 * t[f + 2];
  // Counter-clockwise from outside, so e1 × e2 points outward.
  return crossVec([v[b] - v[a], v[b + 1] - v[a + 1], v[b + 2] - v[a + 2]], [v[c] - v[a], v[c + 1] - v[a + 1], v[c + 2] - v[a + 2]]);
}

function crossVec(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalize(a: Vec3): Vec3 {
  const len = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / len, a[1] / len, a[2] / len];
}

/** Shortest rotation taking unit vector `from` to straight down (0, 0, -1). */
function downQuaternion(from: Vec3): Quat {
  // q = [from × d, 1 + from·d] normalised, d = (0, 0, -1).
  const dot = -from[2];
  if (dot < -1 + 1e-9) return [1, 0, 0, 0];
  const x = -from[1];
  const y = from[0];
  const w = 1 + dot;
  const len = Math.hypot(x, y, w);
  return [x / len, y / len, 0, w / len];
}

/** Hamilton product a·b (rotate by b, then by a). */
export function multiplyQuat(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz];
}

/**
 * Drop poses for `specs`, in order, chosen so that objects start at rest and
 * settling takes a few dozen substeps instead of a second of falling and
 * tumbling. Orientation: one of the object's statically stable resting poses
 * (see `restingPoses`; broad faces only, never balanced on a thin end), then a
 * uniform yaw. Position: x, y uniform in the centred drop area, redrawn until
 * the footprint circle clears every earlier object's; z puts the lowest point
 * `DROP_CLEARANCE` above the floor. When the bin is too crowded for that, the
 * object goes above the earlier ones whose footprint it overlaps (bounding
 * spheres apart) and falls onto them.
 */
export function dropPoses(specs: readonly ObjectSpec[], scene: SceneConfig, rng: Rng): BodyPose[] {
  const ax = (scene.bin.size[0] / 2) * scene.objects.dropArea;
  const ay = (scene.bin.size[1] / 2) * scene.objects.dropArea;
  const poses: BodyPose[] = [];
  const footprints: number[] = [];
  const radii: number[] = [];
  for (const spec of specs) {
    const options = restingPoses(spec);
    const rest = options[rng.int(0, options.length - 1)];
    const quaternion = multiplyQuat(yawQuaternion(rng.uniform() * 2 * Math.PI), downQuaternion(rest.down));
    const r = objectRadius(spec);

    let x = 0;
    let y = 0;
    let clear = false;
    for (let t = 0; t < PLACEMENT_TRIES && !clear; t++) {
      x = rng.range(-ax, ax);
      y = rng.range(-ay, ay);
      clear = poses.every((p, j) => (p.position[0] - x) ** 2 + (p.position[1] - y) ** 2 >= (rest.footprint + footprints[j] + DROP_CLEARANCE) ** 2);
    }
    let z = rest.originHeight + DROP_CLEARANCE;
    if (!clear) {
      for (let j = 0; j < poses.length; j++) {
        const [px, py, pz] = poses[j].position;
        const reach = r + radii[j] + DROP_CLEARANCE;
        if ((px - x) ** 2 + (py - y) ** 2 < reach * reach) z = Math.max(z, pz + reach);
      }
    }
    poses.push({ position: [x, y, z], quaternion });
    footprints.push(rest.footprint);
    radii.push(r);
  }
  return poses;
}
