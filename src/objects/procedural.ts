/**
 * The procedural object library: `proc-0000` … `proc-0999`, each generated
 * from its index alone, so an id means the same object forever.
 *
 * Families (object frame: metres, z up, origin at the volume centroid):
 *
 * | kind     | share | shape                                                   |
 * |----------|-------|---------------------------------------------------------|
 * | box      | 20 %  | sides 2.5–10 cm                                         |
 * | cylinder | 15 %  | diameter 2.4–9 cm, height 2–11 cm, 16-gon               |
 * | capsule  | 12 %  | diameter 2.4–7 cm, length up to 12 cm                   |
 * | blob     | 20 %  | hull of 16–40 jittered points on an ellipsoid, 2.4–11 cm |
 * | L, T, U  | 11 % each | 2–3 touching bars, 2–3.5 cm thick, 6–12 cm across   |
 *
 * One in eight boxes, cylinders and capsules is elongated: 15–20 cm long but
 * only 2–5 cm across, so it fits the 14 cm gripper only across its narrow side.
 * Everything else fits between the open fingers along its narrow horizontal
 * side in any resting pose.
 *
 * Randomizations per object: family, dimensions, mass (volume × a density of
 * 350–1200 kg/m³, the range of woods and plastics, clamped to 0.02–0.5 kg),
 * friction (0.4–1.2), colour (random hue, mid saturation and value).
 */
import { deriveSeed, Rng } from '../random/index.js';
import { centerOnCentroid, convexHull } from './hull.js';
import { boxPart, capsulePart, cylinderPart, Z_TO_X, type Vec3 } from './primitives.js';
import { transformPart } from './transform.js';
import type { ConvexPart, ObjectSpec } from './types.js';

/** Number of objects in the procedural library. */
export const PROCEDURAL_COUNT = 1000;

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

type Family = 'box' | 'cylinder' | 'capsule' | 'blob' | 'L' | 'T' | 'U';

/** Cumulative family shares (see the table above). */
const FAMILIES: ReadonlyArray<readonly [Family, number]> = [
  ['box', 0.2],
  ['cylinder', 0.35],
  ['capsule', 0.47],
  ['blob', 0.67],
  ['L', 0.78],
  ['T', 0.89],
  ['U', 1],
];

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
      return compoundParts(family, rng);
  }
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
function compoundParts(family: 'L' | 'T' | 'U', rng: Rng): ConvexPart[] {
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
