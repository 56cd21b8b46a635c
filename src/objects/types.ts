/**
 * What the rest of pincer knows about a graspable object. Shapes are unions of
 * convex parts, because Rapier collides convex hulls and three.js draws their
 * triangles; a concave object (an L, a U, an imported mug) is several parts.
 */

/** One convex piece of an object, in the object frame (metres). */
export interface ConvexPart {
  /** Hull vertices, object frame, m. [V*3] */
  vertices: Float32Array;
  /** Hull triangles over `vertices`, counter-clockwise seen from outside. [F*3] */
  indices: Uint32Array;
}

/** Where an object comes from and which side of the train/test split it is on. */
export type ObjectSplit = 'train' | 'test' | 'external';

export interface ObjectSpec {
  /** Stable id: `proc-0042` for the procedural library, `ext:<name>` for imports. */
  id: string;
  /** Shape family: box, cylinder, capsule, blob, L, T, U, mesh. */
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
