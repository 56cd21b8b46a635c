/**
 * The scene file format: everything about the simulated world and the episode
 * that is not a learning hyperparameter. `scenes/*.json` files are validated
 * against this schema; every field has a default, so `{}` is a valid scene.
 *
 * World frame: metres, kilograms, seconds, radians. z is up; the bin floor's
 * top surface is z = 0 and the bin is centred on the origin. The camera looks
 * along +y into the bin from behind (negative y) and above.
 */
import { z } from 'zod';

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const unit = z.number().min(0).max(1);

export const PhysicsSchema = z.strictObject({
  /** Fixed physics timestep, s (120 Hz). */
  timestep: z.number().positive().max(0.05).default(1 / 120),
  /** Gravity along z, m/s². */
  gravity: z.number().max(0).min(-50).default(-9.81),
  /** Solver iterations per step (Rapier numSolverIterations). */
  solverIterations: z.number().int().min(1).max(32).default(4),
  /** Contact stiffness as a natural frequency, Hz (Rapier's default is 30; stiffer contacts keep force-limited fingers from sinking into light objects). */
  contactFrequency: z.number().min(10).max(1000).default(200),
  /** Typical object size for Rapier's tolerances, m (allowed penetration 1 mm × this; at 1, many-sided hulls resting on a face jitter and sink mm-deep). */
  lengthUnit: z.number().min(0.01).max(1).default(0.1),
  /** Angular damping of objects, 1/s: a stand-in for rolling resistance, which Rapier lacks (without it a cylinder on its side rolls for seconds). */
  angularDamping: z.number().min(0).max(10).default(0.5),
  /** Longest simulated time to let dropped objects settle at reset, s (settling ends early once every object is at rest). */
  settleTime: z.number().min(0).max(5).default(2),
});

export const BinSchema = z.strictObject({
  /** Inner width along x and depth along y, m. */
  size: z.tuple([z.number().min(0.2).max(2), z.number().min(0.2).max(2)]).default([0.5, 0.5]),
  /** Wall height above the floor, m. */
  wallHeight: z.number().min(0.02).max(0.5).default(0.12),
  /** Wall and floor thickness, m. */
  wallThickness: z.number().min(0.005).max(0.1).default(0.02),
  /** Coulomb friction of floor and walls. */
  friction: z.number().min(0).max(2).default(0.8),
  /** Floor colour, linear RGB. */
  floorColor: vec3.default([0.55, 0.5, 0.42]),
  /** Wall colour, linear RGB. */
  wallColor: vec3.default([0.35, 0.38, 0.45]),
});

export const ObjectsSchema = z.strictObject({
  /** Objects dropped into the bin per episode. */
  count: z.number().int().min(1).max(30).default(5),
  /** Fraction of the bin's inner size (centred) where objects are placed (on the floor, at rest on a stable face). */
  dropArea: z.number().min(0.1).max(1).default(0.6),
});

export const GripperSchema = z.strictObject({
  /** Maximum distance between the finger pads when open, m (>= 0.12 to grasp the widest objects). */
  maxAperture: z.number().min(0.05).max(0.3).default(0.14),
  /** Finger length below the palm, m. */
  fingerLength: z.number().min(0.02).max(0.2).default(0.06),
  /** Finger pad width along the closing direction's normal, m. */
  fingerWidth: z.number().min(0.005).max(0.1).default(0.02),
  /** Finger thickness along the closing direction, m. */
  fingerThickness: z.number().min(0.002).max(0.05).default(0.01),
  /** Height of the palm box above the fingers, m (the palm spans both open fingers along x and the pad width along y). */
  palmHeight: z.number().min(0.005).max(0.1).default(0.03),
  /** Maximum force of each finger motor, N. */
  fingerForce: z.number().min(1).max(500).default(40),
  /** Finger closing speed, m/s. */
  fingerSpeed: z.number().min(0.01).max(2).default(0.3),
  /** Finger pad friction. */
  fingerFriction: z.number().min(0).max(3).default(1.2),
  /** Maximum palm speed when tracking its target, m/s. */
  maxSpeed: z.number().min(0.05).max(5).default(0.5),
  /** Maximum palm yaw rate when tracking its target, rad/s. */
  maxYawSpeed: z.number().min(0.1).max(20).default(3),
  /** Start height of the fingertips above the floor at reset, m. */
  startHeight: z.number().min(0.05).max(0.6).default(0.25),
  /** Height to which the gripper lifts at the end of an episode, m (fingertips above floor). */
  liftHeight: z.number().min(0.05).max(0.8).default(0.3),
  /** Workspace: fraction of the bin's inner half-size that the gripper centre may reach. */
  workspace: z.number().min(0.1).max(1).default(0.9),
  /** Palm colour, linear RGB. */
  color: vec3.default([0.15, 0.15, 0.17]),
});

export const ActionSchema = z.strictObject({
  /** Largest translation per step along x and y, m, for an action of ±1. */
  maxTranslationXY: z.number().positive().max(0.5).default(0.05),
  /** Largest translation per step along z, m. */
  maxTranslationZ: z.number().positive().max(0.5).default(0.05),
  /** Largest yaw change per step, rad. */
  maxYaw: z.number().positive().max(Math.PI).default(Math.PI / 8),
  /** Simulated time per env step, s (the gripper moves and settles within it: a full 5 cm move takes 0.1 s at gripper.maxSpeed, a full yaw step 0.13 s, closing the fingers 0.12 s). */
  stepDuration: z.number().min(0.02).max(2).default(0.15),
  /** Lowest fingertip target above the floor, m (also where the height hack ends). */
  minHeight: z.number().min(0).max(0.1).default(0.005),
});

export const CameraSchema = z.strictObject({
  /** Image width, px. */
  width: z.number().int().min(16).max(1024).default(64),
  /** Image height, px. */
  height: z.number().int().min(16).max(1024).default(64),
  /** Vertical field of view, degrees. */
  fov: z.number().min(10).max(120).default(50),
  /** Camera position, m (over the shoulder: behind the bin along -y and above). */
  position: vec3.default([0, -0.55, 0.6]),
  /** Point the camera looks at, m. */
  target: vec3.default([0, 0.02, 0]),
});

export const RandomizeSchema = z.strictObject({
  /** Std of camera position jitter per episode, m (0 = fixed camera). */
  cameraPosition: z.number().min(0).max(0.2).default(0),
  /** Std of camera target jitter per episode, m. */
  cameraTarget: z.number().min(0).max(0.2).default(0),
  /** Light jitter per episode: intensities × U(1 ± lighting/2), key light azimuth ± lighting·90°, elevation ± lighting·20° (0 = fixed). */
  lighting: unit.default(0),
  /** Colour jitter per episode: each RGB channel of objects, bin and table + N(0, (0.25·colors)²), clamped to [0, 1] (0 = fixed). */
  colors: unit.default(0),
});

export const EpisodeSchema = z.strictObject({
  /** Steps after which the episode ends with the final grasp (terminal, as when the agent terminates). */
  maxSteps: z.number().int().min(1).max(100).default(20),
  /** Reward added at every step that does not end the episode (QT-Opt used -0.05). */
  stepPenalty: z.number().min(-1).max(0).default(0),
  /** pybullet KukaDiverseObjectEnv's height hack: z descends automatically, grasp at the bottom (the agent's dz, close and terminate are ignored, as that env has no gripper action). */
  heightHack: z.boolean().default(false),
});

export const SuccessSchema = z.strictObject({
  /** Ground truth: an object counts as lifted when its lowest point is this far above the floor, m. */
  liftedHeight: z.number().min(0.01).max(0.5).default(0.1),
  /** Detector: the fingers count as closed on nothing below this aperture, m. */
  emptyAperture: z.number().min(0).max(0.05).default(0.004),
  /** Detector: fraction of the pixels outside the gripper that must change in the drop test (0.0008 ≈ 3 px at 64x64: a 2 cm object landing in the bin). */
  dropPixelFraction: z.number().min(0).max(1).default(0.0008),
  /** Detector: per-channel change (0-255) for a pixel to count as changed in the drop test (renders are noise-free; 8 still separates floor-coloured objects). */
  dropPixelThreshold: z.number().int().min(1).max(255).default(8),
  /** Detector: simulated time for a released object to fall and settle before the second image, s. */
  dropSettleTime: z.number().min(0.05).max(3).default(0.6),
});

export const SceneSchema = z.strictObject({
  /** Free-form description shown by `pincer render --help` examples and reports. */
  description: z.string().default(''),
  physics: PhysicsSchema.default(() => PhysicsSchema.parse({})),
  bin: BinSchema.default(() => BinSchema.parse({})),
  objects: ObjectsSchema.default(() => ObjectsSchema.parse({})),
  gripper: GripperSchema.default(() => GripperSchema.parse({})),
  action: ActionSchema.default(() => ActionSchema.parse({})),
  camera: CameraSchema.default(() => CameraSchema.parse({})),
  randomize: RandomizeSchema.default(() => RandomizeSchema.parse({})),
  episode: EpisodeSchema.default(() => EpisodeSchema.parse({})),
  success: SuccessSchema.default(() => SuccessSchema.parse({})),
});

/** A fully resolved scene: every field present. */
export type SceneConfig = z.infer<typeof SceneSchema>;
/** A scene as written in a file: every field optional. */
export type SceneInput = z.input<typeof SceneSchema>;
