import { describe, expect, it } from 'vitest';
import { convexHull, HullError, objectFootprint, partVolume, volumeAndCentroid, type ConvexPart, type ObjectSpec } from '../src/objects/index.js';
import { boxPart, capsulePart, cylinderPart, lathePart, ROUND_SEGMENTS, spherePart, Z_TO_X } from '../src/objects/primitives.js';
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
    const n = ROUND_SEGMENTS;
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

  it('describe their exact solid, and the mesh hugs it however the part is moved', () => {
    const t = compose(fromXyzRpy([0.1, -0.2, 0.3], [0.3, -1.1, 2.5]), fromXyzRpy([0, 0, 0], [1, 0.5, 0]));
    const parts: ConvexPart[] = [
      transformPart(boxPart([-0.01, 0, 0.02], [0.02, 0.03, 0.04]), t),
      transformPart(cylinderPart(0.02, 0.05), t),
      transformPart(transformPart(cylinderPart(0.03, 0.02), Z_TO_X), t),
      transformPart(capsulePart(0.015, 0.04), t),
      transformPart(spherePart(0.03), t),
    ];
    const rng = new Rng(3);
    for (const part of parts) {
      const primitive = part.primitive!;
      const p = primitive.pose;
      // Part-frame coordinates of an object-frame point: the pose's rotation is orthonormal, so its inverse is its transpose.
      const local = (x: number, y: number, z: number): [number, number, number] => {
        const d = [x - p[3], y - p[7], z - p[11]];
        return [p[0] * d[0] + p[4] * d[1] + p[8] * d[2], p[1] * d[0] + p[5] * d[1] + p[9] * d[2], p[2] * d[0] + p[6] * d[1] + p[10] * d[2]];
      };
      // Exact support of the solid along a part-frame unit direction.
      const shape = primitive.shape;
      const support = (u: [number, number, number]): number => {
        switch (shape.kind) {
          case 'box':
            return shape.halfExtents.reduce((sum, h, k) => sum + h * Math.abs(u[k]), 0);
          case 'cylinder':
            return shape.radius * Math.hypot(u[0], u[1]) + shape.halfHeight * Math.abs(u[2]);
          case 'capsule':
            return shape.radius + shape.halfLength * Math.abs(u[2]);
          case 'sphere':
            return shape.radius;
        }
      };
      const v = part.vertices;
      for (let k = 0; k < 200; k++) {
        const d = [rng.normal(), rng.normal(), rng.normal()];
        const len = Math.hypot(d[0], d[1], d[2]);
        const u: [number, number, number] = [d[0] / len, d[1] / len, d[2] / len];
        let meshSupport = -Infinity;
        for (let i = 0; i < v.length; i += 3) {
          const q = local(v[i], v[i + 1], v[i + 2]);
          meshSupport = Math.max(meshSupport, q[0] * u[0] + q[1] * u[1] + q[2] * u[2]);
        }
        const exact = support(u);
        // Mesh vertices lie on the solid's surface: inside it, and within the round facets' sagitta of its extent.
        expect(meshSupport, shape.kind).toBeLessThan(exact + 1e-6);
        expect(meshSupport, shape.kind).toBeGreaterThan(exact * Math.cos(Math.PI / ROUND_SEGMENTS) ** 2 - 1e-6);
      }
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
