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
