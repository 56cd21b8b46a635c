/**
 * Sizes of an object that grasping code needs: its axis-aligned extents, and
 * its footprint on the table (how wide it is across its narrowest horizontal
 * direction, which is where a parallel gripper should close).
 */
import type { ObjectSpec } from './types.js';

export interface Extents {
  /** Smallest x, y, z of any part vertex, object frame, m. */
  min: [number, number, number];
  /** Largest x, y, z, m. */
  max: [number, number, number];
  /** max - min, m. */
  size: [number, number, number];
}

/** Axis-aligned bounds of all parts, in the object frame. */
export function objectExtents(spec: ObjectSpec): Extents {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (const part of spec.parts) {
    const v = part.vertices;
    for (let i = 0; i < v.length; i++) {
      const k = i % 3;
      if (v[i] < min[k]) min[k] = v[i];
      if (v[i] > max[k]) max[k] = v[i];
    }
  }
  return { min, max, size: [max[0] - min[0], max[1] - min[1], max[2] - min[2]] };
}

/**
 * The object's shadow on the horizontal plane, summarized by its minimum-width
 * enclosing rectangle. A parallel gripper with yaw `yaw` closes along
 * `narrowAxis` and needs an aperture above `narrowWidth`.
 */
export interface Footprint {
  /** Unit horizontal direction across which the object is narrowest, [x, y] in the rotated frame. */
  narrowAxis: [number, number];
  /** Width across `narrowAxis`, m (the exact minimum width of the shadow). */
  narrowWidth: number;
  /** Unit horizontal direction perpendicular to `narrowAxis`. */
  wideAxis: [number, number];
  /** Width along `wideAxis`, m. */
  wideWidth: number;
  /** Centre of the rectangle relative to the object origin, [x, y], m. */
  center: [number, number];
  /** Gripper yaw that closes the fingers (palm local x) along `narrowAxis`: atan2 of it, in (-π/2, π/2], rad. */
  yaw: number;
  /** Lowest and highest z of the object relative to its origin, m. */
  minZ: number;
  maxZ: number;
}

/**
 * The footprint of `spec` resting with orientation `quaternion` ([x, y, z, w],
 * the sim snapshot's order; identity by default). Rotating calipers over the
 * 2-D hull of the projected vertices give the minimum width exactly, which
 * matters for elongated and L-shaped objects where principal axes (PCA) pick
 * a worse direction.
 */
export function objectFootprint(spec: ObjectSpec, quaternion: readonly [number, number, number, number] = [0, 0, 0, 1]): Footprint {
  const [qx, qy, qz, qw] = quaternion;
  const xy: number[] = [];
  let minZ = Infinity;
  let maxZ = -Infinity;
  for (const part of spec.parts) {
    const v = part.vertices;
    for (let i = 0; i < v.length; i += 3) {
      // v' = q v q*, expanded (three.js Vector3.applyQuaternion).
      const x = v[i];
      const y = v[i + 1];
      const z = v[i + 2];
      const tx = 2 * (qy * z - qz * y);
      const ty = 2 * (qz * x - qx * z);
      const tz = 2 * (qx * y - qy * x);
      xy.push(x + qw * tx + qy * tz - qz * ty, y + qw * ty + qz * tx - qx * tz);
      const rz = z + qw * tz + qx * ty - qy * tx;
      if (rz < minZ) minZ = rz;
      if (rz > maxZ) maxZ = rz;
    }
  }
  const hull = hull2d(xy);
  let best: Omit<Footprint, 'yaw' | 'minZ' | 'maxZ'> | null = null;
  for (let i = 0; i < hull.length; i++) {
    const [ax, ay] = hull[i];
    const [bx, by] = hull[(i + 1) % hull.length];
    const len = Math.hypot(bx - ax, by - ay);
    if (len === 0) continue;
    const ex = (bx - ax) / len;
    const ey = (by - ay) / len;
    // Hull is counter-clockwise, so the inward normal is the edge turned left.
    const nx = -ey;
    const ny = ex;
    let width = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const [px, py] of hull) {
      const d = (px - ax) * nx + (py - ay) * ny;
      if (d > width) width = d;
      const s = px * ex + py * ey;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    if (!best || width < best.narrowWidth) {
      const mid = (ax * nx + ay * ny) + width / 2;
      const along = (lo + hi) / 2;
      best = {
        narrowAxis: [nx, ny],
        narrowWidth: width,
        wideAxis: [ex, ey],
        wideWidth: hi - lo,
        center: [nx * mid + ex * along, ny * mid + ey * along],
      };
    }
  }
  if (!best) throw new Error(`objectFootprint: object ${spec.id} has no horizontal extent`);
  // A gripper is symmetric under a half turn, so fold the axis into (-π/2, π/2].
  let yaw = Math.atan2(best.narrowAxis[1], best.narrowAxis[0]);
  if (yaw > Math.PI / 2) yaw -= Math.PI;
  else if (yaw <= -Math.PI / 2) yaw += Math.PI;
  return { ...best, yaw, minZ, maxZ };
}

/**
 * Counter-clockwise convex hull of 2-D points (Andrew's monotone chain), without
 * collinear points; fewer than 3 points come back sorted. The one 2-D hull of
 * pincer: footprints, resting-pose stability and grasp obstruction all use it.
 */
export function convexHull2d(points: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const pts = points.map((p): [number, number] => [p[0], p[1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const chain = (list: Array<[number, number]>): Array<[number, number]> => {
    const out: Array<[number, number]> = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    return out.slice(0, -1);
  };
  return chain(pts).concat(chain(pts.slice().reverse()));
}

/** The hull of flat [x, y, …] coordinates. */
function hull2d(flat: readonly number[]): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) pts.push([flat[i], flat[i + 1]]);
  return convexHull2d(pts);
}
