/**
 * Convex parts built directly, without a hull algorithm: boxes and surfaces of
 * revolution (cylinders, capsules, spheres). Most library parts are these, and
 * building them by hand is what keeps generating the 1000-object library well
 * under a second (quickhull allocates enough to keep the GC busy).
 *
 * Boxes, cylinders, capsules and spheres carry their `primitive`, so the sim
 * collides the exact solid; their mesh is what the renderer draws.
 */
import { translation, type Affine } from './transform.js';
import type { ConvexPart, PrimitiveShape } from './types.js';

export type Vec3 = [number, number, number];

/**
 * Sides used for round cross-sections. 32 keeps the drawn polygon within
 * 1 - cos(π/32) = 0.5 % of the exact round collider (0.2 mm at a 4.5 cm radius),
 * below the 0.5 mm gap objects are dropped with.
 */
export const ROUND_SEGMENTS = 32;

const withPrimitive = (part: ConvexPart, shape: PrimitiveShape, pose: Affine = translation([0, 0, 0])): ConvexPart => ({
  ...part,
  primitive: { shape, pose: [...pose] },
});

/**
 * Corner order: index bit 0 = +x, bit 1 = +y, bit 2 = +z. Two triangles per
 * face, counter-clockwise seen from outside.
 */
const BOX_TRIANGLES = Uint32Array.of(
  0, 2, 3, 0, 3, 1, // -z
  4, 5, 7, 4, 7, 6, // +z
  0, 1, 5, 0, 5, 4, // -y
  2, 6, 7, 2, 7, 3, // +y
  0, 4, 6, 0, 6, 2, // -x
  1, 3, 7, 1, 7, 5, // +x
);

/** An axis-aligned box with its minimum corner at `min` and sides `size`, m. */
export function boxPart(min: Readonly<Vec3>, size: Readonly<Vec3>): ConvexPart {
  const vertices = new Float32Array(24);
  for (let i = 0; i < 8; i++) {
    vertices[3 * i] = min[0] + (i & 1 ? size[0] : 0);
    vertices[3 * i + 1] = min[1] + (i & 2 ? size[1] : 0);
    vertices[3 * i + 2] = min[2] + (i & 4 ? size[2] : 0);
  }
  const half: Vec3 = [size[0] / 2, size[1] / 2, size[2] / 2];
  return withPrimitive({ vertices, indices: BOX_TRIANGLES.slice() }, { kind: 'box', halfExtents: half }, translation([min[0] + half[0], min[1] + half[1], min[2] + half[2]]));
}

/**
 * A convex surface of revolution about z. `profile` lists [z, radius] pairs
 * with z increasing and radius a concave function of z (so the solid is
 * convex); a zero radius at either end is an apex, a positive one a flat cap.
 */
export function lathePart(profile: ReadonlyArray<readonly [number, number]>, segments = ROUND_SEGMENTS): ConvexPart {
  const vertices: number[] = [];
  const indices: number[] = [];
  // First vertex index of each ring; an apex ring has one vertex.
  const rings: number[] = [];
  for (const [z, r] of profile) {
    rings.push(vertices.length / 3);
    if (r === 0) {
      vertices.push(0, 0, z);
    } else {
      for (let j = 0; j < segments; j++) {
        const a = (2 * Math.PI * j) / segments;
        vertices.push(r * Math.cos(a), r * Math.sin(a), z);
      }
    }
  }
  const at = (k: number, j: number) => (profile[k][1] === 0 ? rings[k] : rings[k] + (j % segments));
  for (let k = 0; k + 1 < profile.length; k++) {
    for (let j = 0; j < segments; j++) {
      const a = at(k, j);
      const b = at(k, j + 1);
      const c = at(k + 1, j + 1);
      const d = at(k + 1, j);
      // Quad a b c d is counter-clockwise seen from outside; an apex collapses one edge.
      if (a !== b) indices.push(a, b, c);
      if (c !== d) indices.push(a, c, d);
    }
  }
  const last = profile.length - 1;
  if (profile[0][1] > 0) for (let j = 1; j + 1 < segments; j++) indices.push(rings[0], rings[0] + j + 1, rings[0] + j);
  if (profile[last][1] > 0) for (let j = 1; j + 1 < segments; j++) indices.push(rings[last], rings[last] + j, rings[last] + j + 1);
  return { vertices: Float32Array.from(vertices), indices: Uint32Array.from(indices) };
}

/** A cylinder of `radius` and `height` along z, centred on the origin. */
export function cylinderPart(radius: number, height: number, segments = ROUND_SEGMENTS): ConvexPart {
  return withPrimitive(lathePart([[-height / 2, radius], [height / 2, radius]], segments), { kind: 'cylinder', radius, halfHeight: height / 2 });
}

/** A capsule along z: a cylinder of `length` between two hemispheres of `radius`, centred. */
export function capsulePart(radius: number, length: number, rings = 8, segments = ROUND_SEGMENTS): ConvexPart {
  const profile: Array<[number, number]> = [];
  for (let k = 0; k <= rings; k++) {
    const a = (Math.PI / 2) * (k / rings);
    profile.push([-length / 2 - radius * Math.cos(a), k === 0 ? 0 : radius * Math.sin(a)]);
  }
  for (let k = rings; k >= 0; k--) {
    const a = (Math.PI / 2) * (k / rings);
    profile.push([length / 2 + radius * Math.cos(a), k === 0 ? 0 : radius * Math.sin(a)]);
  }
  return withPrimitive(lathePart(profile, segments), { kind: 'capsule', radius, halfLength: length / 2 });
}

/** A sphere of `radius` (a capsule of length 0, without the duplicate equator ring). */
export function spherePart(radius: number, rings = 8, segments = ROUND_SEGMENTS): ConvexPart {
  const profile: Array<[number, number]> = [];
  for (let k = -rings; k <= rings; k++) {
    const a = (Math.PI / 2) * (k / rings);
    profile.push([radius * Math.sin(a), Math.abs(k) === rings ? 0 : radius * Math.cos(a)]);
  }
  return withPrimitive(lathePart(profile, segments), { kind: 'sphere', radius });
}

/** A quarter turn about +y, taking a part's z axis to x: (x, y, z) -> (z, y, -x). */
export const Z_TO_X: Affine = [0, 0, 1, 0, 0, 1, 0, 0, -1, 0, 0, 0];

/** A quarter turn about -x, taking a part's z axis to y: (x, y, z) -> (x, z, -y). */
export const Z_TO_Y: Affine = [1, 0, 0, 0, 0, 0, 1, 0, 0, -1, 0, 0];
