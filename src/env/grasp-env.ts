/**
 * GraspEnv: QT-Opt's bin-grasping task behind Gymnasium's reset/step contract.
 * Owns the physics world and the renderer (resources), and the one seeded Rng
 * every random choice of an episode comes from.
 */
import type { ObjectSpec, ObjectSplit } from '../objects/types.js';
import { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import type { GraspWorldApi, GroundTruth, SceneSnapshot } from '../sim/index.js';
import { actionSpace, decodeAction, nextTarget, type BoxSpace, type GripperTarget } from './action.js';
import { changedPixels, detectorVerdict, dilate, dropTest, type DetectorVerdict } from './detector.js';
import type { Observation } from './types.js';

/** What the env needs from a renderer (src/render's Renderer satisfies it). */
export interface FrameRenderer {
  /** New episode's objects; with `rng`, also this episode's camera/lighting/colour jitter. */
  setObjects(objects: readonly ObjectSpec[], rng?: Rng): void;
  /** Draw off-screen, no readback. */
  draw(snapshot: SceneSnapshot): void;
  /** Read the last drawing into `out`, RGB uint8 H×W×3, top row first. */
  read(out: Uint8Array): Uint8Array;
  dispose(): void;
}

/** Draws the objects for one episode (a split of the procedural library, or an imported directory). */
export type ObjectSource = (count: number, rng: Rng) => ObjectSpec[];

/** Simulator state, for privileged policies (the scripted grasper) and validation. Never part of an observation. */
export interface PrivilegedState {
  snapshot: SceneSnapshot;
  objects: readonly ObjectSpec[];
}

/** Named booleans of the end-of-episode grasp evaluation (ManiSkill's `evaluate`). */
export interface Evaluation {
  /** Fingers stopped on something after lifting (aperture check). */
  isGrasped: boolean;
  /** The drop test saw something fall from the opened fingers. */
  dropDetected: boolean;
  /** Detected success: isGrasped and dropDetected. What the reward uses. */
  success: boolean;
  /** Ground truth, validation only: an object was above success.liftedHeight before the drop. */
  groundTruthSuccess: boolean;
  /** Ground truth, diagnosis only: objects touching both pads once the fingers had closed, before the lift. */
  heldAtClose: number[];
  /** Ground truth, diagnosis only: what held the gripper above its commanded height when the fingers were last told to close (see GroundTruth). */
  descentBlockedBy: number | 'wall' | null;
  /**
   * Ground truth, diagnosis only: the object the grasp was made on: the lifted one, else
   * the one held at close, else the one whose centre was nearest the fingers; null with no objects.
   */
  graspedObject: number | null;
  /** Ground truth, diagnosis only: the palm's x, y and each object's centre x, y once the fingers had closed, m. */
  atClose: { palm: [number, number]; objects: [number, number][] };
}

export interface StepInfo {
  /** Steps taken in this episode. */
  step: number;
  objectIds: string[];
  privileged: PrivilegedState;
  /** Present on the step that ends the episode. */
  evaluation?: Evaluation;
  detector?: DetectorVerdict;
  groundTruth?: GroundTruth;
}

export interface ResetResult {
  obs: Observation;
  info: StepInfo;
}

export interface StepResult {
  obs: Observation;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: StepInfo;
}

/** Wall-clock time in one phase of the episode, ms; for `pincer bench env`. */
export interface PhaseTiming {
  /** Everything in the phase. */
  totalMs: number;
  /** Rapier stepping, and the simulated time it covered, s. For reset: building the world, placing and settling the objects (settling time not counted in physicsSeconds). */
  physicsMs: number;
  physicsSeconds: number;
  /** Scene update and draw call submission. */
  renderMs: number;
  /** Pixel readback (waits for the GPU to finish the frame). */
  readbackMs: number;
  frames: number;
  /** Times the phase ran (episodes for reset and end, env steps for step). */
  count: number;
}

/** Timing by phase: reset (drop and settle objects), step (the agent's steps), end (close, lift, drop test). */
export type EnvTiming = Record<'reset' | 'step' | 'end', PhaseTiming>;

const emptyPhase = (): PhaseTiming => ({ totalMs: 0, physicsMs: 0, physicsSeconds: 0, renderMs: 0, readbackMs: 0, frames: 0, count: 0 });

export interface GraspEnvOptions {
  scene: SceneConfig;
  split: ObjectSplit;
  objectSource: ObjectSource;
  world: GraspWorldApi;
  renderer: FrameRenderer;
}

/** Where bodies go to be left out of a picture (far outside any camera frustum). */
const AWAY: [number, number, number] = [1e4, 1e4, 1e4];
/** Extra simulated time after a motion's nominal duration, for the controllers to settle, s. */
const SETTLE_MARGIN = 0.2;
/** Pixels grown around the gripper's image region, for anti-aliased edges. */
const GRIPPER_MASK_RADIUS = 1;

const now = (): number => performance.now();

/** Index of the object whose centre is horizontally nearest the gripper, or null with no objects. */
function nearestObject(snapshot: SceneSnapshot): number | null {
  const [gx, gy] = snapshot.gripper.position;
  let best: number | null = null;
  let bestDistance = Infinity;
  snapshot.objects.forEach((o, i) => {
    const d = Math.hypot(o.position[0] - gx, o.position[1] - gy);
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return best;
}

/**
 * ## Action Space
 * `Box(-1, 1, (6,))`: `[dx, dy, dz, dyaw, close, terminate]`. The first four move the
 * gripper target by up to scene.action.{maxTranslationXY, maxTranslationXY,
 * maxTranslationZ, maxYaw} per step (m, m, m, rad), clamped to the workspace
 * (scene.gripper.workspace of the bin's half size; fingertips between
 * scene.action.minHeight and scene.gripper.liftHeight). `close > 0` drives the
 * fingers closed, `<= 0` open. `terminate > 0` ends the episode. Each step runs
 * scene.action.stepDuration of simulated time. With scene.episode.heightHack the
 * agent's dz, close and terminate are ignored: z descends linearly to minHeight at
 * the last step, and the episode always runs its budget and grasps there.
 *
 * ## Observation Space
 * | field       | type                  | units / range                         |
 * |-------------|-----------------------|---------------------------------------|
 * | image       | uint8 [H*W*3]         | RGB 0-255, over-the-shoulder camera   |
 * | aperture    | number                | finger-pad distance, m, [0, maxAperture] |
 * | closed      | boolean               | fingers commanded closed              |
 * | height      | number                | fingertip height above bin floor, m   |
 * | x, y        | number                | palm centre, bin frame, m             |
 * | yaw         | number                | palm rotation about z, rad, [-π, π]   |
 *
 * ## Reward
 * Sparse: 1 at the final step if the detector calls the grasp a success, else 0;
 * every non-final step adds scene.episode.stepPenalty (<= 0).
 *
 * ## Randomizations
 * From the env's Rng (seeded by `reset({seed})`): which scene.objects.count objects
 * come from the split, their drop poses (the sim's seed), and the renderer's
 * camera/lighting/colour jitter (scene.randomize).
 *
 * ## Success
 * After the episode ends the gripper closes (if open) and lifts to
 * scene.gripper.liftHeight. Detected success (QT-Opt): the aperture is above
 * scene.success.emptyAperture AND a drop test (image holding, open, settle,
 * image again; pixels the gripper covers are ignored) changes at least
 * scene.success.dropPixelFraction of the pixels. Ground truth (an object's lowest
 * point above scene.success.liftedHeight before the drop) is reported beside it
 * in `info.evaluation.groundTruthSuccess` and never read by the detector.
 *
 * ## Episode End
 * The episode ends when the agent's terminate > 0 or after scene.episode.maxSteps
 * steps, and either way with the final grasp (close, lift, drop test) and the sparse
 * reward. That grasp is terminal (QT-Opt's convention: nothing follows it to
 * bootstrap from), so the last step reports `terminated: true` whichever ended it,
 * and `truncated` is always false: this env never cuts an episode short of its
 * grasp. The step budget ran out when `info.step === scene.episode.maxSteps` and
 * the action's terminate was <= 0. The final step's `info` carries `evaluation`,
 * `detector` and `groundTruth`, and its observation shows the scene after the drop
 * test (gripper lifted and open).
 */
export class GraspEnv {
  readonly scene: SceneConfig;
  readonly split: ObjectSplit;
  readonly actionSpace: BoxSpace = actionSpace;
  readonly timing: EnvTiming = { reset: emptyPhase(), step: emptyPhase(), end: emptyPhase() };
  /** The phase that time is being charged to. */
  private phase: PhaseTiming = this.timing.step;

  private readonly world: GraspWorldApi;
  private readonly renderer: FrameRenderer;
  private readonly objectSource: ObjectSource;
  private rng: Rng | null = null;
  private objects: ObjectSpec[] = [];
  private target: GripperTarget = { x: 0, y: 0, z: 0, yaw: 0 };
  private closed = false;
  /** GroundTruth.descentBlockedBy when the fingers were last commanded closed. */
  private blockedAtClose: number | 'wall' | null = null;
  private stepIndex = 0;
  private done = true;
  private snapshot: SceneSnapshot | null = null;
  /** Readback buffer, reused by every frame. [H*W*3] */
  private readonly frame: Uint8Array;

  constructor(opts: GraspEnvOptions) {
    this.scene = opts.scene;
    this.split = opts.split;
    this.objectSource = opts.objectSource;
    this.world = opts.world;
    this.renderer = opts.renderer;
    this.frame = new Uint8Array(opts.scene.camera.width * opts.scene.camera.height * 3);
  }

  // ---- Gymnasium contract -------------------------------------------------------------

  /** Start an episode. A seed re-seeds the env's Rng; without one the stream continues. */
  reset(args: { seed?: number; options?: Record<string, unknown> } = {}): ResetResult {
    if (args.seed !== undefined) this.rng = new Rng(args.seed);
    if (this.rng === null) throw new Error('GraspEnv.reset: the first reset needs a seed');
    const t0 = now();
    this.phase = this.timing.reset;
    this.initializeEpisode(this.rng);
    const result = { obs: this.observe(), info: this.info() };
    this.phase.totalMs += now() - t0;
    this.phase.count++;
    return result;
  }

  step(action: ArrayLike<number>): StepResult {
    if (this.done) throw new Error('GraspEnv.step: the episode is over; call reset() first');
    const t0 = now();
    this.phase = this.timing.step;
    const act = decodeAction(action, this.scene);
    this.target = nextTarget(this.target, act, this.scene, this.stepIndex);
    if (act.close && !this.closed) this.blockedAtClose = this.world.descentBlockedBy();
    this.closed = act.close;
    this.world.setFingersClosed(act.close);
    this.world.setGripperTarget([this.target.x, this.target.y, this.target.z], this.target.yaw);
    this.advance(this.scene.action.stepDuration);
    this.stepIndex++;

    // The budget's last step grasps like a terminate action does: terminal, not a time-limit cut.
    const terminated = act.terminate || this.stepIndex >= this.scene.episode.maxSteps;
    const truncated = false;
    this.done = terminated;
    let result: StepResult;
    if (this.done) {
      this.phase.totalMs += now() - t0;
      this.phase.count++;
      const t1 = now();
      this.phase = this.timing.end;
      const { evaluation, detector, groundTruth } = this.evaluate();
      const obs = this.observe();
      result = { obs, reward: this.reward(evaluation, true), terminated, truncated, info: { ...this.info(), evaluation, detector, groundTruth } };
      this.phase.totalMs += now() - t1;
    } else {
      result = { obs: this.observe(), reward: this.reward(null, false), terminated, truncated, info: this.info() };
      this.phase.totalMs += now() - t0;
    }
    this.phase.count++;
    return result;
  }

  /** Free the physics world and the renderer. */
  close(): void {
    this.world.dispose();
    this.renderer.dispose();
  }

  resetTiming(): void {
    for (const k of ['reset', 'step', 'end'] as const) Object.assign(this.timing[k], emptyPhase());
  }

  // ---- Task hooks, in lifecycle order ----------------------------------------------------
  // loadScene happens once, in createGraspEnv: the world and the renderer are built for the scene.

  /** Draw objects, drop them (sim seed from the Rng), randomize the look, gripper to its start pose. */
  private initializeEpisode(rng: Rng): void {
    this.objects = this.objectSource(this.scene.objects.count, rng);
    const simSeed = rng.int(0, 0x7fffffff);
    const t0 = now();
    this.world.reset(this.objects, simSeed);
    this.phase.physicsMs += now() - t0;
    this.renderer.setObjects(this.objects, rng);
    const g = this.world.snapshot().gripper;
    this.target = { x: g.position[0], y: g.position[1], z: g.position[2], yaw: g.yaw };
    this.closed = false;
    this.blockedAtClose = null;
    this.stepIndex = 0;
    this.done = false;
    this.snapshot = null;
  }

  private observe(): Observation {
    const snapshot = this.currentSnapshot();
    const image = this.renderFrame(snapshot).slice();
    return {
      image,
      imageWidth: this.scene.camera.width,
      imageHeight: this.scene.camera.height,
      aperture: snapshot.gripper.aperture,
      closed: this.closed,
      height: snapshot.gripper.position[2],
      x: snapshot.gripper.position[0],
      y: snapshot.gripper.position[1],
      yaw: snapshot.gripper.yaw,
    };
  }

  /**
   * The final grasp and its verdict: close if open, lift, then the detector
   * (aperture, then drop test). Ground truth is read before the drop, for `info` only.
   */
  private evaluate(): { evaluation: Evaluation; detector: DetectorVerdict; groundTruth: GroundTruth } {
    const { gripper, success } = this.scene;
    if (!this.closed) {
      this.blockedAtClose = this.world.descentBlockedBy();
      this.closed = true;
      this.world.setFingersClosed(true);
      // Each finger travels half the aperture.
      this.advance(gripper.maxAperture / 2 / gripper.fingerSpeed + SETTLE_MARGIN);
    }
    const atClose = this.world.groundTruth();
    const closedAt = this.currentSnapshot();
    const liftFrom = closedAt.gripper.position[2];
    this.target = { ...this.target, z: gripper.liftHeight };
    this.world.setGripperTarget([this.target.x, this.target.y, this.target.z], this.target.yaw);
    this.advance(Math.max(0, gripper.liftHeight - liftFrom) / gripper.maxSpeed + SETTLE_MARGIN);

    const groundTruth = this.world.groundTruth();
    const aperture = this.world.aperture();
    let drop = null;
    if (aperture > success.emptyAperture) {
      const holdingPose = this.currentSnapshot();
      const holding = this.renderFrame(holdingPose).slice();
      this.closed = false;
      this.world.setFingersClosed(false);
      this.advance(success.dropSettleTime);
      const releasedPose = this.currentSnapshot();
      const released = this.renderFrame(releasedPose).slice();
      drop = dropTest({
        holding,
        released,
        gripperMask: this.gripperMask([holdingPose, releasedPose]),
        pixelThreshold: success.dropPixelThreshold,
        pixelFraction: success.dropPixelFraction,
      });
    }
    const detector = detectorVerdict(aperture, success.emptyAperture, drop);
    const evaluation: Evaluation = {
      isGrasped: detector.fingersBlocked,
      dropDetected: drop?.dropped ?? false,
      success: detector.success,
      groundTruthSuccess: groundTruth.liftedObjects.length > 0,
      heldAtClose: atClose.objectsBetweenFingers,
      descentBlockedBy: this.blockedAtClose,
      graspedObject: groundTruth.liftedObjects[0] ?? atClose.objectsBetweenFingers[0] ?? nearestObject(closedAt),
      atClose: { palm: [closedAt.gripper.position[0], closedAt.gripper.position[1]], objects: closedAt.objects.map((o) => [o.position[0], o.position[1]]) },
    };
    return { evaluation, detector, groundTruth };
  }

  private reward(evaluation: Evaluation | null, final: boolean): number {
    if (final) return evaluation?.success ? 1 : 0;
    return this.scene.episode.stepPenalty;
  }

  // ---- plumbing ----------------------------------------------------------------------

  private info(): StepInfo {
    return {
      step: this.stepIndex,
      objectIds: this.objects.map((o) => o.id),
      privileged: { snapshot: this.currentSnapshot(), objects: this.objects },
    };
  }

  private advance(seconds: number): void {
    const t0 = now();
    this.world.advance(seconds);
    this.phase.physicsMs += now() - t0;
    this.phase.physicsSeconds += seconds;
    this.snapshot = null;
  }

  private currentSnapshot(): SceneSnapshot {
    this.snapshot ??= this.world.snapshot();
    return this.snapshot;
  }

  private renderFrame(snapshot: SceneSnapshot): Uint8Array {
    const t0 = now();
    this.renderer.draw(snapshot);
    const t1 = now();
    this.renderer.read(this.frame);
    this.phase.renderMs += t1 - t0;
    this.phase.readbackMs += now() - t1;
    this.phase.frames++;
    return this.frame;
  }

  /**
   * Pixels the gripper covers (with its shadow) in any of `poses`: the gripper
   * drawn alone against the empty bin, compared with the empty bin. Uses only the
   * gripper's own pose and the camera, what a robot knows about itself.
   */
  private gripperMask(poses: SceneSnapshot[]): Uint8Array {
    const hidden = (s: SceneSnapshot, hideGripper: boolean): SceneSnapshot => ({
      objects: s.objects.map((o) => ({ position: AWAY, quaternion: o.quaternion })),
      gripper: hideGripper ? { ...s.gripper, position: AWAY } : s.gripper,
    });
    const empty = this.renderFrame(hidden(poses[0], true)).slice();
    const pixels = this.scene.camera.width * this.scene.camera.height;
    const union = new Uint8Array(pixels);
    const scratch = new Uint8Array(pixels);
    for (const pose of poses) {
      changedPixels(empty, this.renderFrame(hidden(pose, false)), 0, scratch);
      for (let p = 0; p < pixels; p++) union[p] |= scratch[p];
    }
    return dilate(union, this.scene.camera.width, this.scene.camera.height, GRIPPER_MASK_RADIUS);
  }
}
