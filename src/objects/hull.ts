/**
 * Convex hulls as `ConvexPart`s, plus the geometry every object needs from
 * them (volume, centroid, bounds). three.js's quickhull does the work; this
 * file refuses degenerate input up front, because quickhull silently returns
 * garbage or nothing for it, and Rapier would then fail far from the cause.
 */
import { Vector3 } from 'three';
import { ConvexHull } from 'three/examples/jsm/math/ConvexHull.js';
import { transformPart, translation } from './transform.js';
import type { ConvexPart } from './types.js';

/** A point set whose convex hull has no volume (too few points, all collinear or coplanar). */
export class HullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HullError';
  }
}

/**
 * Relative flatness below which a point set counts as coplanar: the farthest
 * point off the best initial triangle's plane must be at least this fraction
 * of the set's largest extent. 1e-4 of a 10 cm object is 10 µm, far below any
 * real part thickness but far above float32 rounding.
 */
const FLATNESS = 1e-4;

/**
 * The convex hull of `points` (flat xyz, metres), as a ConvexPart whose
 * triangles wind counter-clockwise seen from outside. Only vertices on the
 * hull are kept. Throws HullError for fewer than 4 points or a flat set;
 * `label` names the input in the message.
 */
export function convexHull(points: ArrayLike<number>, label = 'points'): ConvexPart {
  const n = Math.floor(points.length / 3);
  if (points.length % 3 !== 0) throw new HullError(`${label}: point array length ${points.length} is not a multiple of 3`);
  if (n < 4) throw new HullError(`${label}: a convex hull needs at least 4 points, got ${n}`);
  for (let i = 0; i < points.length; i++) {
    if (!Number.isFinite(points[i])) throw new HullError(`${label}: coordinate ${i} is not a finite number`);
  }
  assertSolid(points, n, label);

  const vectors: Vector3[] = new Array(n);
  for (let i = 0; i < n; i++) vectors[i] = new Vector3(points[3 * i], points[3 * i + 1], points[3 * i + 2]);
  const hull = new ConvexHull().setFromPoints(vectors);

  // Keep only hull vertices, in first-use order, so indices are compact.
  const remap = new Map<Vector3, number>();
  const vertices: number[] = [];
  const indices: number[] = [];
  const index = (p: Vector3): number => {
    let i = remap.get(p);
    if (i === undefined) {
      i = remap.size;
      remap.set(p, i);
      vertices.push(p.x, p.y, p.z);
    }
    return i;
  };
  for (const face of hull.faces) {
    // three's quickhull faces are triangles, but fan out in case a face is a polygon.
    const ring: number[] = [];
    let edge = face.edge;
    do {
      ring.push(index(edge.head().point));
      edge = edge.next;
    } while (edge !== face.edge);
    for (let k = 1; k + 1 < ring.length; k++) indices.push(ring[0], ring[k], ring[k + 1]);
  }
  if (indices.length < 12) throw new HullError(`${label}: convex hull has no volume`);
  return { vertices: Float32Array.from(vertices), indices: Uint32Array.from(indices) };
}

/** Throw unless the points span a solid: not all on one point, line or plane (relative to their size). */
function assertSolid(p: ArrayLike<number>, n: number, label: string): void {
  // Same seeding as quickhull: the widest axis pair, the farthest point from
  // their line, the farthest point from that triangle's plane.
  let a = 0;
  let b = 0;
  let extent = 0;
  for (let axis = 0; axis < 3; axis++) {
    let lo = 0;
    let hi = 0;
    for (let i = 1; i < n; i++) {
      if (p[3 * i + axis] < p[3 * lo + axis]) lo = i;
      if (p[3 * i + axis] > p[3 * hi + axis]) hi = i;
    }
    const d = p[3 * hi + axis] - p[3 * lo + axis];
    if (d > extent) {
      extent = d;
      a = lo;
      b = hi;
    }
  }
  if (extent === 0) throw new HullError(`${label}: all ${n} points coincide`);
  const abx = p[3 * b] - p[3 * a];
  const aby = p[3 * b + 1] - p[3 * a + 1];
  const abz = p[3 * b + 2] - p[3 * a + 2];
  // Farthest from line ab: largest |ab x ap|.
  let c = -1;
  let best = 0;
  let nx = 0;
  let ny = 0;
  let nz = 0;
  for (let i = 0; i < n; i++) {
    const apx = p[3 * i] - p[3 * a];
    const apy = p[3 * i + 1] - p[3 * a + 1];
    const apz = p[3 * i + 2] - p[3 * a + 2];
    const cx = aby * apz - abz * apy;
    const cy = abz * apx - abx * apz;
    const cz = abx * apy - aby * apx;
    const m = cx * cx + cy * cy + cz * cz;
    if (m > best) {
      best = m;
      c = i;
      nx = cx;
      ny = cy;
      nz = cz;
    }
  }
  const abLen = Math.hypot(abx, aby, abz);
  if (c < 0 || Math.sqrt(best) / abLen < FLATNESS * extent) throw new HullError(`${label}: all ${n} points are collinear`);
  const nLen = Math.hypot(nx, ny, nz);
  let height = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs((p[3 * i] - p[3 * a]) * nx + (p[3 * i + 1] - p[3 * a + 1]) * ny + (p[3 * i + 2] - p[3 * a + 2]) * nz) / nLen;
    if (d > height) height = d;
  }
  if (height < FLATNESS * extent) throw new HullError(`${label}: all ${n} points are coplanar (flat, no volume)`);
}

/** Volume of a closed, outward-wound triangle mesh (divergence theorem), m³. */
export function partVolume(part: ConvexPart): number {
  return volumeAndCentroid(part).volume;
}

/** Volume (m³) and volume centroid (m) of a closed, outward-wound triangle mesh. */
export function volumeAndCentroid(part: ConvexPart): { volume: number; centroid: [number, number, number] } {
  const v = part.vertices;
  const t = part.indices;
  let volume = 0;
  let cx = 0;
  let cy = 0;
  let cz = 0;
  for (let f = 0; f < t.length; f += 3) {
    const a = 3 * t[f];
    const b = 3 * t[f + 1];
    const c = 3 * t[f + 2];
    // Signed volume of the tetrahedron (origin, a, b, c), times 6.
    const d =
      v[a] * (v[b + 1] * v[c + 2] - v[b + 2] * v[c + 1]) -
      v[a + 1] * (v[b] * v[c + 2] - v[b + 2] * v[c]) +
      v[a + 2] * (v[b] * v[c + 1] - v[b + 1] * v[c]);
    volume += d;
    cx += d * (v[a] + v[b] + v[c]);
    cy += d * (v[a + 1] + v[b + 1] + v[c + 1]);
    cz += d * (v[a + 2] + v[b + 2] + v[c + 2]);
  }
  // Each tetrahedron's centroid is (a + b + c + 0) / 4, weighted by its volume d/6.
  const centroid: [number, number, number] = volume === 0 ? [0, 0, 0] : [cx / (4 * volume), cy / (4 * volume), cz / (4 * volume)];
  return { volume: volume / 6, centroid };
}

/**
 * `parts` moved so that their combined volume centroid (the centre of mass at
 * uniform density) is the origin, and their total volume, m³. Overlapping
 * parts count twice; the library's parts only touch.
 */
export function centerOnCentroid(parts: readonly ConvexPart[]): { parts: ConvexPart[]; volume: number } {
  let volume = 0;
  const c = [0, 0, 0];
  for (const part of parts) {
    const vc = volumeAndCentroid(part);
    volume += vc.volume;
    for (let k = 0; k < 3; k++) c[k] += vc.volume * vc.centroid[k];
  }
  const shift = translation([-c[0] / volume, -c[1] / volume, -c[2] / volume]);
  return { parts: parts.map((part) => transformPart(part, shift)), volume };
}
