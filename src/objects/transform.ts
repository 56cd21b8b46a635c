/** Rigid placements of parts in the object frame (URDF origins, joint chains). */
import type { ConvexPart } from './types.js';

/** An affine transform as a row-major 3x4 matrix [r00 r01 r02 tx, r10 r11 r12 ty, r20 r21 r22 tz]. */
export type Affine = readonly number[];

export const IDENTITY: Affine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];

/**
 * URDF `<origin xyz rpy>`: rotate by roll about x, then pitch about y, then
 * yaw about z (fixed axes, R = Rz·Ry·Rx), then translate by xyz (m, rad).
 */
export function fromXyzRpy(xyz: readonly number[], rpy: readonly number[]): Affine {
  const [cr, sr] = [Math.cos(rpy[0]), Math.sin(rpy[0])];
  const [cp, sp] = [Math.cos(rpy[1]), Math.sin(rpy[1])];
  const [cy, sy] = [Math.cos(rpy[2]), Math.sin(rpy[2])];
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, xyz[0],
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, xyz[1],
    -sp, cp * sr, cp * cr, xyz[2],
  ];
}

/** a ∘ b: apply b, then a. */
export function compose(a: Affine, b: Affine): Affine {
  const out: number[] = new Array(12);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      out[4 * r + c] = a[4 * r] * b[c] + a[4 * r + 1] * b[4 + c] + a[4 * r + 2] * b[8 + c] + (c === 3 ? a[4 * r + 3] : 0);
    }
  }
  return out;
}

/** Scale flat xyz `points` per axis, then apply `transform`. */
export function transformPoints(points: ArrayLike<number>, transform: Affine, scale: readonly number[] = [1, 1, 1]): number[] {
  const out: number[] = new Array(points.length);
  const t = transform;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i] * scale[0];
    const y = points[i + 1] * scale[1];
    const z = points[i + 2] * scale[2];
    out[i] = t[0] * x + t[1] * y + t[2] * z + t[3];
    out[i + 1] = t[4] * x + t[5] * y + t[6] * z + t[7];
    out[i + 2] = t[8] * x + t[9] * y + t[10] * z + t[11];
  }
  return out;
}

/** `part` moved by a rigid `transform` (a rotation keeps the triangles' winding; a primitive's pose moves with it). */
export function transformPart(part: ConvexPart, transform: Affine): ConvexPart {
  const moved: ConvexPart = { vertices: Float32Array.from(transformPoints(part.vertices, transform)), indices: part.indices.slice() };
  if (part.primitive) moved.primitive = { shape: part.primitive.shape, pose: [...compose(transform, part.primitive.pose)] };
  return moved;
}

/** A pure translation. */
export function translation(offset: readonly number[]): Affine {
  return [1, 0, 0, offset[0], 0, 1, 0, offset[1], 0, 0, 1, offset[2]];
}
