/**
 * Hand-made ObjectSpecs for the sim tests, so they don't depend on the
 * procedural library: an axis-aligned box and a faceted cylinder.
 */
import type { ObjectSpec } from '../src/objects/types.js';

/** A box with full sizes sx, sy, sz (m), centred on its origin. */
export function boxSpec(sx: number, sy: number, sz: number, mass = 0.1, friction = 0.8, id = 'test-box'): ObjectSpec {
  const v: number[] = [];
  for (const x of [-sx / 2, sx / 2]) for (const y of [-sy / 2, sy / 2]) for (const z of [-sz / 2, sz / 2]) v.push(x, y, z);
  // Vertex index = 4*ix + 2*iy + iz; two outward CCW triangles per face.
  const faces = [
    [0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3],
  ];
  const idx = faces.flatMap(([a, b, c, d]) => [a, b, c, a, c, d]);
  return {
    id, kind: 'box', split: 'train', mass, friction, color: [0.9, 0.2, 0.1],
    parts: [{ vertices: new Float32Array(v), indices: new Uint32Array(idx) }],
  };
}

/** An upright cylinder of radius r and height h (m) with `n` facets. */
export function cylinderSpec(r: number, h: number, n = 16, mass = 0.1, friction = 0.8, id = 'test-cylinder'): ObjectSpec {
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = (2 * Math.PI * i) / n;
    v.push(r * Math.cos(a), r * Math.sin(a), -h / 2, r * Math.cos(a), r * Math.sin(a), h / 2);
  }
  const idx: number[] = [];
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    idx.push(2 * i, 2 * j, 2 * j + 1, 2 * i, 2 * j + 1, 2 * i + 1);
  }
  for (let i = 1; i < n - 1; i++) idx.push(0, 2 * (i + 1), 2 * i, 1, 2 * i + 1, 2 * (i + 1) + 1);
  return {
    id, kind: 'cylinder', split: 'train', mass, friction, color: [0.1, 0.5, 0.9],
    parts: [{ vertices: new Float32Array(v), indices: new Uint32Array(idx) }],
  };
}
