/**
 * Hand-made ObjectSpecs for the sim tests, so they don't depend on the
 * procedural library: a box and a cylinder (native primitive colliders, as the
 * library's are), and a lying rod.
 */
import { boxPart, cylinderPart, Z_TO_X } from '../src/objects/primitives.js';
import { transformPart } from '../src/objects/transform.js';
import type { ObjectSpec } from '../src/objects/types.js';

/** A box with full sizes sx, sy, sz (m), centred on its origin. */
export function boxSpec(sx: number, sy: number, sz: number, mass = 0.1, friction = 0.8, id = 'test-box'): ObjectSpec {
  return { id, kind: 'box', split: 'train', mass, friction, color: [0.9, 0.2, 0.1], parts: [boxPart([-sx / 2, -sy / 2, -sz / 2], [sx, sy, sz])] };
}

/** A cylinder of radius r and height h (m), centred, its axis along z (upright) or x (`lying`). */
export function cylinderSpec(r: number, h: number, mass = 0.1, friction = 0.8, id = 'test-cylinder', lying = false): ObjectSpec {
  const part = cylinderPart(r, h);
  return { id, kind: 'cylinder', split: 'train', mass, friction, color: [0.1, 0.5, 0.9], parts: [lying ? transformPart(part, Z_TO_X) : part] };
}
