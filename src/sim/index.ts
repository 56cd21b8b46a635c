/**
 * Physics for pincer: a Rapier world with a table, a bin, dropped objects and
 * a 4-DOF gripper (x, y, z, yaw; two force-limited parallel fingers).
 *
 * Usage (what `env` does each episode):
 * ```ts
 * const world = await createGraspWorld(scene);      // once; awaits RAPIER.init()
 * world.reset(objects, seed);                       // fresh world, objects dropped and settled, gripper open at start pose
 * world.setGripperTarget([x, y, z], yaw);           // clamped into world.workspace
 * world.setFingersClosed(true);
 * world.advance(scene.action.stepDuration);         // fixed substeps; the palm moves at <= gripper.maxSpeed
 * const snap = world.snapshot();                    // poses for render / privileged policies
 * world.aperture();                                 // pad-to-pad distance, m (> 0 when blocked by an object)
 * world.groundTruth();                              // validation only
 * world.dispose();
 * ```
 *
 * Conventions (shared with `render` through geometry.ts):
 * - World frame: metres, z up, bin floor top at z = 0, bin centred on the origin.
 * - Gripper pose: position x, y = palm centre; z = fingertip height above the
 *   floor; `yaw` about world z; fingers close along the palm's local x axis;
 *   `aperture` = distance between the finger pads (inner faces). Boxes: see
 *   `gripperGeometry(scene.gripper)` (palm above the fingers, spanning both open
 *   fingers; fingers `fingerLength` long, `fingerThickness` along x,
 *   `fingerWidth` along y).
 * - Motion: targets are reached at bounded speed (`gripper.maxSpeed` m/s,
 *   `gripper.maxYawSpeed` rad/s) over the substeps of `advance`; a target
 *   further away than one `advance` allows is approached, not jumped to. Yaw
 *   is not wrapped: the palm turns through the literal difference.
 * - Workspace (`world.workspace`, `gripperWorkspace(scene)`): x, y within
 *   `gripper.workspace` of the bin's inner half-size (the open fingers reach
 *   maxAperture/2 + fingerThickness further, so near a wall they can land on
 *   its top); z from `MIN_TIP_HEIGHT` (just above the floor) to 5 cm above
 *   the higher of start and lift height.
 * - Guarded descent: the palm is kinematic, but it stops descending when any
 *   gripper box would meet an upward-facing surface (an object top, a wall top,
 *   the floor), as a robot with a force sensor would; sideways it pushes
 *   objects. So the fingertip height can stay above the commanded z.
 * - Fingers: force-limited (`gripper.fingerForce`) velocity motors at
 *   `gripper.fingerSpeed` per finger. Closed on an object, `aperture()` is its
 *   width minus the pads' sink into it: ~0.3 mm per pad at 0.2–0.5 kg, ~1.2 mm
 *   at 0.02 kg (contact stiffness: `physics.contactFrequency`); closed on
 *   nothing, 0. A held object
 *   hangs by friction only (pad friction `gripper.fingerFriction`, averaged
 *   with the object's).
 * - Reset: a fresh Rapier world; objects placed by `dropPoses(...)` (seeded):
 *   each on one of its statically stable faces (its centre of mass inside the
 *   contact polygon; broad faces only; library objects' are precomputed in
 *   resting-table.ts, others searched on first use), random yaw, 0.5 mm above
 *   the floor, apart from the others unless the bin is crowded (then above them). Then stepped
 *   until all have been at rest for 3 checks 4 steps apart (median ~16 steps; a
 *   random drop needed ~120) or
 *   `physics.settleTime` runs out; then the gripper is added, open, at
 *   (0, 0, `gripper.startHeight`), yaw 0. `stepsSinceReset` counts the
 *   physics steps (settling included), for profiling.
 * - Objects: `snapshot().objects[i]` is the pose of `objects[i]` given to
 *   `reset` (any count; `scene.objects.count` is what env samples). Privileged
 *   policies combine these poses with the specs they passed in (e.g.
 *   `lowestPoint(spec, pose)`, `objectRadius(spec)`).
 * - Determinism: the same scene, objects and seed give bit-identical
 *   snapshots (a fresh Rapier world is built on every reset).
 * - Object colliders (colliders.ts): Rapier's cuboid, capsule and ball for
 *   primitive parts; cylinders are the exact rounded cylinder toward the
 *   fingers and their 32-sided hull toward everything else (a Rapier cylinder
 *   lying on its side rolls off by itself), plus the square prism inscribed
 *   in that hull, so a standing cap is supported across its width (Rapier
 *   takes at most 4 vertices of a hull face as contact); other parts are
 *   convex hulls. Resting poses count as support what these colliders give.
 * - `advance` accumulates time: a duration that is not a multiple of the
 *   timestep carries its remainder to the next call.
 */
export { GraspWorld, createGraspWorld } from './world.js';
export { partColliders, type PartCollider, type PartContact } from './colliders.js';
export {
  MIN_TIP_HEIGHT,
  clampToWorkspace,
  dropPoses,
  fingerCenterX,
  gripperGeometry,
  gripperWorkspace,
  lowestPoint,
  objectRadius,
  searchRestingPoses,
  stepToward,
  yawQuaternion,
  type GripperGeometry,
  type RestingPose,
  type Workspace,
} from './geometry.js';
export { encodeRestingDowns, restingDownsOf } from './resting-table.js';
export type { BodyPose, GraspWorldApi, GripperPose, GroundTruth, Quat, SceneSnapshot, Vec3 } from './types.js';
