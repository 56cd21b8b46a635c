/**
 * The contract between `sim` (which steps physics) and its readers (`render`,
 * `env`): a snapshot of every moving body's pose. `render` only ever reads
 * these; it never steps physics.
 */

export type Vec3 = [number, number, number];
/** Unit quaternion, [x, y, z, w] (three.js and Rapier order). */
export type Quat = [number, number, number, number];

export interface BodyPose {
  position: Vec3;
  quaternion: Quat;
}

export interface GripperPose {
  /** Palm centre: x, y in the world frame; z is the fingertip height above the bin floor, m. */
  position: Vec3;
  /** Rotation about world z, rad. Fingers close along the palm's local x axis. */
  yaw: number;
  /** Current distance between the finger pads, m (0 = fully closed). */
  aperture: number;
}

/** Everything a renderer needs to draw one frame. */
export interface SceneSnapshot {
  /** One pose per object, in the order the objects were given to the sim. */
  objects: BodyPose[];
  gripper: GripperPose;
}

/** Simulator ground truth, for validation only: the success detector never reads it. */
export interface GroundTruth {
  /** Lowest point of each object above the bin floor, m, in object order. */
  objectHeights: number[];
  /** Indices of objects whose lowest point is above `success.liftedHeight`. */
  liftedObjects: number[];
  /** Indices of objects touching both finger pads. */
  objectsBetweenFingers: number[];
  /**
   * What holds the gripper above its commanded height (the guarded descent
   * stopped on it): an object index, 'wall' (a wall top or the table), or null
   * when nothing does (the target was reached, or only the floor is below).
   */
  descentBlockedBy: number | 'wall' | null;
}

/**
 * The physics world as `env` drives it (implemented by `GraspWorld` in this
 * folder). The palm is moved kinematically toward a target, never teleported
 * into objects; fingers are force-limited motors; objects are held only by
 * contact and friction.
 */
export interface GraspWorldApi {
  /** Remove old objects, drop `objects` at poses drawn from `seed`, let them settle; gripper to its start pose, open. */
  reset(objects: readonly import('../objects/types.js').ObjectSpec[], seed: number): void;
  /** Where the palm should go: x, y (m, world), fingertip height above the floor z (m), yaw (rad). Clamped to the workspace. */
  setGripperTarget(position: Vec3, yaw: number): void;
  /** Drive the fingers closed (true) or open (false), force-limited. */
  setFingersClosed(closed: boolean): void;
  /** Step physics for `seconds` of simulated time at the fixed timestep. */
  advance(seconds: number): void;
  /** Poses of every moving body. */
  snapshot(): SceneSnapshot;
  /** Finger-pad distance, m. */
  aperture(): number;
  groundTruth(): GroundTruth;
  /** `groundTruth().descentBlockedBy` alone, without measuring every object (env reads it at every close). */
  descentBlockedBy(): number | 'wall' | null;
  /** Free the Rapier world. */
  dispose(): void;
}
