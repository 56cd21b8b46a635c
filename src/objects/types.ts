/**
 * What the rest of pincer knows about a graspable object. Shapes are unions of
 * convex parts, because Rapier collides convex hulls and three.js draws their
 * triangles; a concave object (an L, a U, an imported mug) is several parts.
 */

/**
 * A solid the physics engine collides exactly (Rapier's cuboid, cylinder,
 * capsule and ball) instead of through a hull of its mesh: a many-sided hull's
 * large flat faces lose contacts, and round shapes roll as they should.
 * Sizes in metres; round shapes have their axis along the part frame's z.
 */
export type PrimitiveShape =
  | { kind: 'box'; halfExtents: [number, number, number] }
  | { kind: 'cylinder'; radius: number; halfHeight: number }
  | { kind: 'capsule'; radius: number; /** Half the length of the straight section between the hemispheres. */ halfLength: number }
  | { kind: 'sphere'; radius: number };

/** A primitive solid and where it sits: `pose` maps the part frame to the object frame (rigid, row-major 3x4, see transform.ts). */
export interface Primitive {
  shape: PrimitiveShape;
  pose: number[];
}

/** One convex piece of an object, in the object frame (metres). */
export interface ConvexPart {
  /** Hull vertices, object frame, m. [V*3] */
  vertices: Float32Array;
  /** Hull triangles over `vertices`, counter-clockwise seen from outside. [F*3] */
  indices: Uint32Array;
  /**
   * Present when the part is exactly a primitive solid: the sim collides that
   * shape natively, while the mesh above (fine enough to match its silhouette
   * within a fraction of a millimetre) is what gets drawn and measured.
   */
  primitive?: Primitive;
}

/** Where an object comes from and which side of the library's train/validation/test split it is on. */
export type ObjectSplit = 'train' | 'validation' | 'test' | 'external';

export interface ObjectSpec {
  /** Stable id: `proc-0042` for the procedural library, `ext:<name>` for imports. */
  id: string;
  /** Shape family: box, cylinder, capsule, blob, L, T, U, compound, mesh. */
  kind: string;
  split: ObjectSplit;
  /** Convex parts; their union is the object. Object frame origin is near the centre. */
  parts: ConvexPart[];
  /** Total mass, kg. */
  mass: number;
  /** Coulomb friction coefficient. */
  friction: number;
  /** Base colour, linear RGB in [0, 1]. */
  color: [number, number, number];
  /** External objects only: the .urdf or .obj file it was imported from. */
  source?: string;
}
