/**
 * The procedural object library: `proc-0000` … `proc-0999`, each generated
 * from its index alone, so an id means the same object forever.
 *
 * Families (object frame: metres, z up, origin at the volume centroid):
 *
 * | kind     | share | shape                                                   |
 * |----------|-------|---------------------------------------------------------|
 * | box      | 15 %  | sides 2.5–10 cm                                         |
 * | cylinder | 12 %  | diameter 2.4–9 cm, height 2–11 cm                       |
 * | capsule  | 9 %   | diameter 2.4–7 cm, length up to 12 cm                   |
 * | blob     | 15 %  | hull of 16–40 jittered points on an ellipsoid, 2.4–11 cm |
 * | L, T, U  | 8 % each | 2–3 touching bars, 2–3.5 cm thick, 6–12 cm across    |
 * | compound | 25 %  | 3–7 boxes and cylinders (1.5–5 cm) joined face to face at random, 4–14 cm across |
 *
 * One in eight boxes, cylinders and capsules is elongated: 15–20 cm long but
 * only 2–5 cm across, so it fits the 14 cm gripper only across its narrow side.
 * Everything else except compounds fits between the open fingers along its
 * narrow horizontal side in any resting pose. A compound's centre of mass is
 * wherever its parts put it, and many are graspable only on some part, at some
 * yaw, where the open fingers clear the other parts.
 *
 * Boxes, cylinders and capsules, and every part of L, T, U and compounds, are
 * primitive solids the sim collides natively (see `Primitive` in types.ts).
 *
 * Randomizations per object: family, dimensions, mass (volume × a density of
 * 350–1200 kg/m³, the range of woods and plastics, clamped to 0.02–0.5 kg),
 * friction (0.4–1.2), colour (random hue, mid saturation and value).
 */
import { deriveSeed, Rng } from '../random/index.js';
import { centerOnCentroid, convexHull } from './hull.js';
import { boxPart, capsulePart, cylinderPart, Z_TO_X, Z_TO_Y, type Vec3 } from './primitives.js';
import { compose, IDENTITY, transformPart, translation } from './transform.js';
import type { ConvexPart, ObjectSpec } from './types.js';

/** Number of objects in the procedural library. */
export const PROCEDURAL_COUNT = 1000;

/**
 * Which library made an object: datasets and checkpoints record it, because the
 * same id means a different object under another version.
 * - procedural-1: boxes, cylinders, capsules, blobs, L/T/U; 16-sided hulls; 900/100 split.
 * - procedural-2: native primitive colliders, 32-sided round meshes, the compound
 *   family, and 50 of the 900 training ids held out as a validation split.
 */
export const LIBRARY_VERSION = 'procedural-2';

/** Library seed; changing it would change every object, so it never changes. */
const LIBRARY_SEED = 0x0b1ec75;

/** Mass bounds, kg. */
const MIN_MASS = 0.02;
const MAX_MASS = 0.5;
/** Density range of woods and plastics, kg/m³. */
const MIN_DENSITY = 350;
const MAX_DENSITY = 1200;
/** Coulomb friction range. */
const MIN_FRICTION = 0.4;
const MAX_FRICTION = 1.2;
/** Probability that a box, cylinder or capsule is an elongated bar. */
const ELONGATED_P = 1 / 8;
/** Length range of elongated objects, m: longer than the 0.14 m gripper aperture. */
const LONG_MIN = 0.15;
const LONG_MAX = 0.2;

/** `proc-0042` for index 42. */
export function proceduralId(index: number): string {
  return `proc-${String(index).padStart(4, '0')}`;
}

/** The library index of a `proc-NNNN` id, or -1 if `id` is not a procedural id in range. */
export function proceduralIndex(id: string): number {
  const m = /^proc-(\d{4})$/.exec(id);
  if (!m) return -1;
  const i = Number(m[1]);
  return i < PROCEDURAL_COUNT ? i : -1;
}

type Family = 'box' | 'cylinder' | 'capsule' | 'blob' | 'L' | 'T' | 'U' | 'compound';

/** Cumulative family shares (see the table above). */
const FAMILIES: ReadonlyArray<readonly [Family, number]> = [
  ['box', 0.15],
  ['cylinder', 0.27],
  ['capsule', 0.36],
  ['blob', 0.51],
  ['L', 0.59],
  ['T', 0.67],
  ['U', 0.75],
  ['compound', 1],
];

/** The library's shape families, in table order (ObjectSpec.kind of library objects). */
export const LIBRARY_FAMILIES: readonly string[] = Object.freeze(FAMILIES.map(([f]) => f));

/** Compound family: part count, part sizes (m) and overall size (m). */
const COMPOUND_MIN_PARTS = 3;
const COMPOUND_MAX_PARTS = 7;
const COMPOUND_BOX_SIDE: readonly [number, number] = [0.015, 0.05];
const COMPOUND_CYLINDER_RADIUS: readonly [number, number] = [0.0075, 0.025];
const COMPOUND_CYLINDER_HEIGHT: readonly [number, number] = [0.015, 0.05];
const COMPOUND_MIN_SPAN = 0.04;
const COMPOUND_MAX_SPAN = 0.14;
/** Smallest extent of a whole compound, m (the library's thinnest objects are 2 cm). */
const COMPOUND_MIN_THICKNESS = 0.02;
/** Placement tries per part before the part count is taken as reached. */
const COMPOUND_TRIES = 40;

/**
 * Object `index` of the library, split field left to the caller (the split is
 * a property of the id, decided in library.ts). Pure: same index, same object.
 */
export function generateProcedural(index: number): Omit<ObjectSpec, 'split'> {
  if (!Number.isInteger(index) || index < 0 || index >= PROCEDURAL_COUNT) {
    throw new RangeError(`procedural object index must be an integer in [0, ${PROCEDURAL_COUNT - 1}], got ${index}`);
  }
  const id = proceduralId(index);
  const rng = new Rng(deriveSeed(LIBRARY_SEED, index));
  const u = rng.uniform();
  const family = FAMILIES.find(([, cum]) => u < cum)![0];
  // Origin at the volume centroid: the centre of mass, and what the sim rotates about.
  const { parts, volume } = centerOnCentroid(shapeParts(id, family, rng));

  const density = rng.range(MIN_DENSITY, MAX_DENSITY);
  const mass = Math.min(MAX_MASS, Math.max(MIN_MASS, volume * density));
  const friction = rng.range(MIN_FRICTION, MAX_FRICTION);
  const color = hsvToLinear(rng.uniform(), rng.range(0.35, 0.9), rng.range(0.35, 0.95));
  return { id, kind: family, parts, mass, friction, color };
}

/** The convex parts of one object of `family`, before recentring (m). */
function shapeParts(id: string, family: Family, rng: Rng): ConvexPart[] {
  const elongated = (family === 'box' || family === 'cylinder' || family === 'capsule') && rng.bernoulli(ELONGATED_P);
  switch (family) {
    case 'box': {
      const size: Vec3 = elongated
        ? [rng.range(LONG_MIN, LONG_MAX), rng.range(0.02, 0.05), rng.range(0.02, 0.05)]
        : [rng.range(0.025, 0.1), rng.range(0.025, 0.1), rng.range(0.025, 0.1)];
      return [boxPart([0, 0, 0], size)];
    }
    case 'cylinder': {
      // Elongated cylinders lie along x (a rod); others stand along z.
      if (elongated) return [transformPart(cylinderPart(rng.range(0.01, 0.025), rng.range(LONG_MIN, LONG_MAX)), Z_TO_X)];
      return [cylinderPart(rng.range(0.012, 0.045), rng.range(0.02, 0.11))];
    }
    case 'capsule': {
      const r = elongated ? rng.range(0.01, 0.025) : rng.range(0.012, 0.035);
      const total = elongated ? rng.range(LONG_MIN, LONG_MAX) : rng.range(2 * r + 0.01, 0.12);
      return [transformPart(capsulePart(r, total - 2 * r), Z_TO_X)];
    }
    case 'blob':
      return [convexHull(blobPoints(rng), id)];
    case 'L':
    case 'T':
    case 'U':
      return barParts(family, rng);
    case 'compound':
      return randomCompound(rng);
  }
}

/** One part of a random compound while it is being built: a box or a cylinder along an axis, and its bounds. */
interface CompoundPiece {
  kind: 'box' | 'cylinder';
  /** Cylinder axis (0 = x, 1 = y, 2 = z); unused for boxes. */
  axis: number;
  center: Vec3;
  half: Vec3;
}

/**
 * 3–7 boxes and cylinders of random sizes, each joined to a random face of one
 * placed before it, never overlapping another (bounds apart or touching), the
 * whole 4–14 cm across. A cylinder's curved side offers a face only along its
 * axis line, so what joins it touches it.
 */
function randomCompound(rng: Rng): ConvexPart[] {
  for (;;) {
    const target = rng.int(COMPOUND_MIN_PARTS, COMPOUND_MAX_PARTS);
    const pieces: CompoundPiece[] = [compoundPiece(rng, [0, 0, 0])];
    for (let tries = 0; pieces.length < target && tries < COMPOUND_TRIES * target; tries++) {
      const parent = pieces[rng.int(0, pieces.length - 1)];
      const piece = compoundPiece(rng, [0, 0, 0]);
      const face = rng.int(0, 2);
      const side = rng.bernoulli(0.5) ? 1 : -1;
      for (let k = 0; k < 3; k++) {
        if (k === face) {
          piece.center[k] = parent.center[k] + side * (parent.half[k] + piece.half[k]);
        } else {
          // Across a cylinder's round section only its axis line is a face; elsewhere anywhere on the face.
          const flat = parent.kind === 'box' || k === parent.axis;
          piece.center[k] = parent.center[k] + (flat ? rng.range(-1, 1) * parent.half[k] : 0);
        }
      }
      if (pieces.some((p) => overlaps(p, piece))) continue;
      const span = compoundBounds([...pieces, piece]);
      if (Math.max(...span) > COMPOUND_MAX_SPAN) continue;
      pieces.push(piece);
    }
    const span = compoundBounds(pieces);
    if (pieces.length < COMPOUND_MIN_PARTS || Math.max(...span) < COMPOUND_MIN_SPAN || Math.min(...span) < COMPOUND_MIN_THICKNESS) continue;
    return pieces.map((p) => {
      if (p.kind === 'box') return boxPart([p.center[0] - p.half[0], p.center[1] - p.half[1], p.center[2] - p.half[2]], [2 * p.half[0], 2 * p.half[1], 2 * p.half[2]]);
      const radius = p.half[(p.axis + 1) % 3];
      const turn = p.axis === 0 ? Z_TO_X : p.axis === 1 ? Z_TO_Y : IDENTITY;
      return transformPart(cylinderPart(radius, 2 * p.half[p.axis]), compose(translation(p.center), turn));
    });
  }
}

/** A random box or cylinder (random axis) centred at `center`. */
function compoundPiece(rng: Rng, center: Vec3): CompoundPiece {
  if (rng.bernoulli(0.5)) {
    const side = (): number => rng.range(COMPOUND_BOX_SIDE[0], COMPOUND_BOX_SIDE[1]) / 2;
    return { kind: 'box', axis: 2, center, half: [side(), side(), side()] };
  }
  const axis = rng.int(0, 2);
  const r = rng.range(COMPOUND_CYLINDER_RADIUS[0], COMPOUND_CYLINDER_RADIUS[1]);
  const half: Vec3 = [r, r, r];
  half[axis] = rng.range(COMPOUND_CYLINDER_HEIGHT[0], COMPOUND_CYLINDER_HEIGHT[1]) / 2;
  return { kind: 'cylinder', axis, center, half };
}

/** Whether two pieces' bounds overlap by more than rounding (touching is allowed). */
function overlaps(a: CompoundPiece, b: CompoundPiece): boolean {
  for (let k = 0; k < 3; k++) if (Math.abs(a.center[k] - b.center[k]) >= a.half[k] + b.half[k] - 1e-9) return false;
  return true;
}

/** Size of the bounds of all pieces, m. */
function compoundBounds(pieces: readonly CompoundPiece[]): Vec3 {
  const size: Vec3 = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    const lo = Math.min(...pieces.map((p) => p.center[k] - p.half[k]));
    const hi = Math.max(...pieces.map((p) => p.center[k] + p.half[k]));
    size[k] = hi - lo;
  }
  return size;
}

/** Jittered points on a random ellipsoid; their hull is a lumpy convex pebble. */
function blobPoints(rng: Rng): number[] {
  const axes = [rng.range(0.012, 0.055), rng.range(0.012, 0.055), rng.range(0.012, 0.045)];
  const n = rng.int(16, 40);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    // Uniform direction from a normalized Gaussian, pushed in by up to 30 %.
    let x = rng.normal();
    let y = rng.normal();
    let z = rng.normal();
    const len = Math.hypot(x, y, z) || 1;
    const s = rng.range(0.7, 1) / len;
    x *= s * axes[0];
    y *= s * axes[1];
    z *= s * axes[2];
    out.push(x, y, z);
  }
  // The six poles keep the blob from collapsing when few points land near an axis end.
  for (let k = 0; k < 3; k++) {
    for (const sign of [-1, 1]) {
      const p = [0, 0, 0];
      p[k] = sign * axes[k] * rng.range(0.85, 1);
      out.push(...p);
    }
  }
  return out;
}

/** Touching, non-overlapping bars in the xy plane forming an L, T or U of thickness t and height h. */
function barParts(family: 'L' | 'T' | 'U', rng: Rng): ConvexPart[] {
  const t = rng.range(0.02, 0.035);
  const h = rng.range(0.02, 0.05);
  switch (family) {
    case 'L': {
      const a = rng.range(0.06, 0.12);
      const b = rng.range(0.06, 0.12);
      // Foot along x, leg up y starting where the foot ends.
      return [boxPart([0, 0, 0], [a, t, h]), boxPart([0, t, 0], [t, b - t, h])];
    }
    case 'T': {
      const a = rng.range(0.07, 0.12);
      const b = rng.range(0.05, 0.1);
      // Cross bar along x, stem below its middle.
      return [boxPart([-a / 2, 0, 0], [a, t, h]), boxPart([-t / 2, -(b - t), 0], [t, b - t, h])];
    }
    case 'U': {
      const a = rng.range(0.07, 0.12);
      const b = rng.range(0.05, 0.1);
      // Base along x, two arms up y at its ends.
      return [boxPart([0, 0, 0], [a, t, h]), boxPart([0, t, 0], [t, b - t, h]), boxPart([a - t, t, 0], [t, b - t, h])];
    }
  }
}

/** HSV (sRGB-encoded value) to linear RGB, each in [0, 1]. */
function hsvToLinear(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const rgb = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][i];
  return [srgbToLinear(rgb[0]), srgbToLinear(rgb[1]), srgbToLinear(rgb[2])];
}

/** The sRGB transfer function, inverted. */
export function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}
