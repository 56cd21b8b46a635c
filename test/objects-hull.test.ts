import { describe, expect, it } from 'vitest';
import { convexHull, HullError, objectFootprint, partVolume, volumeAndCentroid, type ConvexPart, type ObjectSpec } from '../src/objects/index.js';
import { boxPart, capsulePart, cylinderPart, lathePart, spherePart, Z_TO_X } from '../src/objects/primitives.js';
import { compose, fromXyzRpy, transformPart } from '../src/objects/transform.js';
import { Rng } from '../src/random/index.js';
import { expectValidHull, hullProblems, maxOutside } from './fixtures/objects/hull-check.js';

function cloud(rng: Rng, n: number, scale: [number, number, number]): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.range(-1, 1) * scale[0], rng.range(-1, 1) * scale[1], rng.range(-1, 1) * scale[2]);
  return out;
}

function spec(parts: ConvexPart[]): ObjectSpec {
  return { id: 'test', kind: 'box', split: 'external', parts, mass: 0.1, friction: 0.8, color: [1, 1, 1] };
}

describe('convexHull', () => {
  it('is convex, outward-wound, and contains every input point', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 50; trial++) {
      const points = cloud(rng, rng.int(4, 200), [rng.range(0.01, 0.1), rng.range(0.01, 0.1), rng.range(0.01, 0.1)]);
      const part = convexHull(points);
      expectValidHull(part, `trial ${trial}`);
      expect(maxOutside(part, points)).toBeLessThanOrEqual(1e-6);
      // Hull vertices are a subset of the input points.
      expect(part.vertices.length).toBeLessThanOrEqual(points.length);
    }
  });

  it('keeps only the corners of a cube with interior points, and gets its volume and centroid', () => {
    const points = boxPart([0.01, 0.02, 0.03], [0.02, 0.04, 0.06]).vertices;
    const inner = cloud(new Rng(1), 30, [0.005, 0.01, 0.02]).map((v, i) => v + [0.02, 0.04, 0.06][i % 3]);
    const part = convexHull([...points, ...inner]);
    expect(part.vertices.length).toBe(24);
    const { volume, centroid } = volumeAndCentroid(part);
    // float32 vertices: relative, not absolute, precision.
    expect(volume / (0.02 * 0.04 * 0.06)).toBeCloseTo(1, 6);
    expect(centroid[0]).toBeCloseTo(0.02, 7);
    expect(centroid[1]).toBeCloseTo(0.04, 7);
    expect(centroid[2]).toBeCloseTo(0.06, 7);
  });

  it('refuses degenerate input with a clear message', () => {
    expect(() => convexHull([0, 0, 0, 1, 0, 0, 0, 1, 0], 'tri')).toThrow(/^tri: a convex hull needs at least 4 points, got 3$/);
    expect(() => convexHull([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0.5, 0.5, 0])).toThrow(/coplanar/);
    expect(() => convexHull([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])).toThrow(/collinear/);
    expect(() => convexHull([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])).toThrow(/coincide/);
    expect(() => convexHull([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, NaN])).toThrow(/not a finite number/);
    // Flat to within float noise is still flat.
    expect(() => convexHull([0, 0, 0, 0.1, 0, 0, 0, 0.1, 0, 0.1, 0.1, 1e-9])).toThrow(HullError);
  });
});

describe('primitive parts', () => {
  it('are valid hulls with the expected volumes', () => {
    const n = 16;
    // A regular n-gon of circumradius r has area n r² sin(2π/n) / 2.
    const polygon = (r: number) => (n * r * r * Math.sin((2 * Math.PI) / n)) / 2;
    const cases: Array<[string, ConvexPart, number]> = [
      ['box', boxPart([-0.01, 0, 0.02], [0.02, 0.03, 0.04]), 0.02 * 0.03 * 0.04],
      ['cylinder', cylinderPart(0.02, 0.05), polygon(0.02) * 0.05],
      ['rod', transformPart(cylinderPart(0.02, 0.05), Z_TO_X), polygon(0.02) * 0.05],
      ['capsule', capsulePart(0.02, 0.04), polygon(0.02) * 0.04 + (4 / 3) * Math.PI * 0.02 ** 3],
      ['sphere', spherePart(0.03), (4 / 3) * Math.PI * 0.03 ** 3],
      ['cone', lathePart([[0, 0.02], [0.03, 0]]), (polygon(0.02) * 0.03) / 3],
    ];
    for (const [name, part, volume] of cases) {
      expectValidHull(part, name);
      // Faceted round shapes lose a little volume to their flats.
      expect(partVolume(part) / volume, name).toBeGreaterThan(name === 'capsule' || name === 'sphere' ? 0.9 : 0.999);
      expect(partVolume(part) / volume, name).toBeLessThan(1.001);
    }
  });

  it('keep their winding under rotation', () => {
    const t = compose(fromXyzRpy([0.1, -0.2, 0.3], [0.3, -1.1, 2.5]), fromXyzRpy([0, 0, 0], [1, 0.5, 0]));
    expectValidHull(transformPart(capsulePart(0.01, 0.03), t), 'rotated capsule');
  });
});

describe('hull checker', () => {
  // The checks above are only worth something if the checker rejects bad hulls.
  it('rejects a flipped face, a missing face and a dent', () => {
    const good = boxPart([0, 0, 0], [1, 1, 1]);
    expect(hullProblems(good)).toEqual([]);
    const flipped = { vertices: good.vertices, indices: good.indices.slice() };
    [flipped.indices[1], flipped.indices[2]] = [flipped.indices[2], flipped.indices[1]];
    expect(hullProblems(flipped).join()).toMatch(/wound inward|twin/);
    const open = { vertices: good.vertices, indices: good.indices.slice(3) };
    expect(hullProblems(open).join()).toMatch(/no twin/);
    const dented = { vertices: good.vertices.slice(), indices: good.indices };
    dented.vertices[21] = 0.5; // corner 7 pushed in along x
    expect(hullProblems(dented).join()).toMatch(/not convex/);
  });
});

describe('objectFootprint', () => {
  it('finds the narrow side of a rotated box and the yaw to grasp it', () => {
    const yaw = 0.5;
    const box = spec([transformPart(boxPart([-0.1, -0.02, -0.01], [0.2, 0.04, 0.02]), fromXyzRpy([0, 0, 0], [0, 0, yaw]))]);
    const f = objectFootprint(box);
    expect(f.narrowWidth).toBeCloseTo(0.04, 6);
    expect(f.wideWidth).toBeCloseTo(0.2, 6);
    // The narrow axis is the box's local y turned by the yaw: yaw + π/2, folded into (-π/2, π/2].
    expect(f.yaw).toBeCloseTo(yaw - Math.PI / 2, 6);
    expect(f.center[0]).toBeCloseTo(0, 6);
    expect(f.center[1]).toBeCloseTo(0, 6);
    expect(f.minZ).toBeCloseTo(-0.01, 6);
    expect(f.maxZ).toBeCloseTo(0.01, 6);
  });

  it('applies the resting orientation', () => {
    // Tip a 2 x 4 x 10 cm box onto its side (90° about x): its 10 cm height becomes horizontal along y.
    const box = spec([boxPart([-0.01, -0.02, -0.05], [0.02, 0.04, 0.1])]);
    const s = Math.SQRT1_2;
    const f = objectFootprint(box, [s, 0, 0, s]);
    expect(f.narrowWidth).toBeCloseTo(0.02, 6);
    expect(f.wideWidth).toBeCloseTo(0.1, 6);
    expect(f.maxZ - f.minZ).toBeCloseTo(0.04, 6);
    expect(Math.abs(f.narrowAxis[0])).toBeCloseTo(1, 6);
  });

  it('uses the true minimum width, which is not an edge-aligned axis for an L', () => {
    const l = spec([boxPart([0, 0, 0], [0.1, 0.02, 0.02]), boxPart([0, 0.02, 0], [0.02, 0.08, 0.02])]);
    const f = objectFootprint(l);
    // Across the diagonal: from the corner (0, 0) to the hull edge on the line x + y = 0.12.
    expect(f.narrowWidth).toBeCloseTo(0.12 / Math.SQRT2, 6);
    expect(Math.abs(f.yaw)).toBeCloseTo(Math.PI / 4, 6);
  });
});
