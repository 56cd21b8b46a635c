/**
 * Rapier collider shapes for object parts. A part that is a primitive solid
 * gets Rapier's own shape for it (cuboid, capsule, ball, and a rounded
 * cylinder); any other part gets the convex hull of its vertices.
 *
 * Why native shapes: a finger pad closing on the large flat cap of a 16- to
 * 32-sided cylinder hull sometimes got no contact from face-face clipping and
 * passed through it.
 *
 * Cylinders get three colliders. The fingers touch the exact cylinder (rounded
 * by a millimetre: a smaller inner cylinder dilated by `CYLINDER_BORDER`, same
 * outer size, for smooth contact normals at the rim). The floor, the walls and
 * other objects touch the part's 32-sided hull, because Rapier 0.21's cylinder
 * drives itself when it lies on its side: from rest on a flat floor it reaches
 * 4 cm/s within 2 s at every yaw tried, with angular damping up to 5 (capsules
 * and hulls stay at rest). The hull carries the mass; the two differ by under
 * 0.5 % of the radius. A third, massless collider toward the environment, the
 * square prism inscribed in the hull, supports a standing cap (see
 * `capSquareDesc`).
 */
import RAPIER from '@dimforge/rapier3d-compat';
import type { ConvexPart, Primitive } from '../objects/index.js';
import { capSquareHalfSide, multiplyQuat } from './geometry.js';
import type { Quat } from './types.js';

/** Border radius of rounded cylinders, m (at most a quarter of the radius or half the half-height). */
const CYLINDER_BORDER = 0.001;

/** Rapier's round shapes have their axis along y; ours along z. A quarter turn about x takes y to z. */
const Y_TO_Z: Quat = [Math.SQRT1_2, 0, 0, Math.SQRT1_2];

/** What a collider of an object part touches: everything, only the gripper, or everything but the gripper. */
export type PartContact = 'all' | 'gripper' | 'environment';

export interface PartCollider {
  desc: RAPIER.ColliderDesc;
  contact: PartContact;
  /** Whether this collider carries the part's mass (exactly one per part does). */
  massive: boolean;
}

/** The colliders of one object part, placed in the object (body) frame. Throws for a degenerate hull. */
export function partColliders(part: ConvexPart, label: string): PartCollider[] {
  const primitive = part.primitive;
  if (!primitive) return [{ desc: hullDesc(part, label), contact: 'all', massive: true }];
  if (primitive.shape.kind === 'cylinder') {
    return [
      { desc: hullDesc(part, label), contact: 'environment', massive: true },
      { desc: capSquareDesc(part, primitive), contact: 'environment', massive: false },
      { desc: primitiveDesc(primitive), contact: 'gripper', massive: false },
    ];
  }
  return [{ desc: primitiveDesc(primitive), contact: 'all', massive: true }];
}

function hullDesc(part: ConvexPart, label: string): RAPIER.ColliderDesc {
  const desc = RAPIER.ColliderDesc.convexHull(part.vertices);
  if (!desc) throw new Error(`${label} has no convex hull (degenerate vertices)`);
  return desc;
}

/**
 * The square prism inscribed in a cylinder part's polygonal section, as tall
 * as the cylinder: its faces share the caps' planes, its edges stay inside the
 * side facets. Why: Rapier (parry 0.17) takes at most the first 4 vertices of
 * a hull face as its contact feature, so a 32-gon cap on the floor touched it
 * only along a sliver of its rim, with the centre of mass outside it: standing
 * cylinders rocked from rim to rim and never came to rest. The box's four
 * corners on the cap plane give the cap its full support; lying down, the box
 * cannot reach below the facets.
 */
function capSquareDesc(part: ConvexPart, { shape, pose }: Primitive): RAPIER.ColliderDesc {
  if (shape.kind !== 'cylinder') throw new Error('capSquareDesc takes a cylinder');
  const half = capSquareHalfSide(part);
  const [x, y, z, w] = rotationOf(pose);
  return RAPIER.ColliderDesc.cuboid(half, half, shape.halfHeight).setTranslation(pose[3], pose[7], pose[11]).setRotation({ x, y, z, w });
}

function primitiveDesc({ shape, pose }: Primitive): RAPIER.ColliderDesc {
  let desc: RAPIER.ColliderDesc;
  let alongY = true;
  switch (shape.kind) {
    case 'box':
      desc = RAPIER.ColliderDesc.cuboid(shape.halfExtents[0], shape.halfExtents[1], shape.halfExtents[2]);
      alongY = false;
      break;
    case 'cylinder': {
      const b = Math.min(CYLINDER_BORDER, shape.radius / 4, shape.halfHeight / 2);
      desc = RAPIER.ColliderDesc.roundCylinder(shape.halfHeight - b, shape.radius - b, b);
      break;
    }
    case 'capsule':
      desc = RAPIER.ColliderDesc.capsule(shape.halfLength, shape.radius);
      break;
    case 'sphere':
      desc = RAPIER.ColliderDesc.ball(shape.radius);
      alongY = false;
      break;
  }
  const q = rotationOf(pose);
  const [x, y, z, w] = alongY ? multiplyQuat(q, Y_TO_Z) : q;
  desc.setTranslation(pose[3], pose[7], pose[11]);
  desc.setRotation({ x, y, z, w });
  return desc;
}

/** The unit quaternion [x, y, z, w] of the rotation part of a row-major 3x4 rigid transform (Shepperd's method). */
function rotationOf(m: readonly number[]): Quat {
  const [r00, r01, r02, , r10, r11, r12, , r20, r21, r22] = m;
  const trace = r00 + r11 + r22;
  let q: { x: number; y: number; z: number; w: number };
  if (trace > 0) {
    const s = 2 * Math.sqrt(1 + trace);
    q = { w: s / 4, x: (r21 - r12) / s, y: (r02 - r20) / s, z: (r10 - r01) / s };
  } else if (r00 > r11 && r00 > r22) {
    const s = 2 * Math.sqrt(1 + r00 - r11 - r22);
    q = { w: (r21 - r12) / s, x: s / 4, y: (r01 + r10) / s, z: (r02 + r20) / s };
  } else if (r11 > r22) {
    const s = 2 * Math.sqrt(1 + r11 - r00 - r22);
    q = { w: (r02 - r20) / s, x: (r01 + r10) / s, y: s / 4, z: (r12 + r21) / s };
  } else {
    const s = 2 * Math.sqrt(1 + r22 - r00 - r11);
    q = { w: (r10 - r01) / s, x: (r02 + r20) / s, y: (r12 + r21) / s, z: s / 4 };
  }
  const len = Math.hypot(q.x, q.y, q.z, q.w);
  return [q.x / len, q.y / len, q.z / len, q.w / len];
}
