/**
 * `GraspWorld`: the Rapier world of one grasping episode. It owns the table,
 * the bin, the dropped objects and the 4-DOF gripper, and implements
 * `GraspWorldApi` (see types.ts for the contract, index.ts for the guide).
 *
 * Bodies, in creation order (the order matters for bit-identical replays):
 * - table and bin: fixed cuboids; the floor's top face is z = 0;
 * - objects: dynamic, one collider per part (Rapier's own cuboid, cylinder,
 *   capsule or ball for primitive parts, else a convex hull; colliders.ts), CCD on;
 * - palm: kinematic position-based, moved toward its target at bounded speed
 *   every substep (never teleported);
 * - two fingers: dynamic boxes on prismatic joints to the palm along its
 *   local x, driven by force-limited velocity motors.
 * Objects are held by contact and friction only.
 */
import RAPIER from '@dimforge/rapier3d-compat';
import type { ObjectSpec } from '../objects/types.js';
import { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import {
  clampToWorkspace,
  dropPoses,
  fingerCenterX,
  gripperGeometry,
  gripperWorkspace,
  lowestPoint,
  objectRadius,
  stepScalarToward,
  stepToward,
  yawQuaternion,
  type GripperGeometry,
  type Workspace,
} from './geometry.js';
import { partColliders, type PartContact } from './colliders.js';
import type { BodyPose, GraspWorldApi, GroundTruth, SceneSnapshot, Vec3 } from './types.js';

// Collision groups: 16-bit membership << 16 | 16-bit filter.
const STATIC = 0x1;
const OBJECT = 0x2;
const GRIPPER = 0x4;
const groups = (member: number, filter: number): number => ((member << 16) | filter) >>> 0;
const STATIC_GROUPS = groups(STATIC, OBJECT | GRIPPER);
/** Object colliders by what they touch (a cylinder part has one for the fingers and one for the rest; colliders.ts). */
const OBJECT_CONTACT_GROUPS: Record<PartContact, number> = {
  all: groups(OBJECT, STATIC | OBJECT | GRIPPER),
  gripper: groups(OBJECT, GRIPPER),
  environment: groups(OBJECT, STATIC | OBJECT),
};
// Fingers and palm never collide with each other: the fingers may close to aperture 0.
const GRIPPER_GROUPS = groups(GRIPPER, STATIC | OBJECT);

/** Mass of each finger, kg: heavy enough that a held 0.5 kg object barely drags on the joint. */
const FINGER_MASS = 0.2;
/** Finger motor damping, N·s/m: high, so the motor delivers its full force limit until it reaches the commanded speed. */
const FINGER_MOTOR_DAMPING = 2000;
/** Table slab under the bin: thickness and margin beyond the bin's outer walls, m. */
const TABLE_THICKNESS = 0.05;
const TABLE_MARGIN = 0.3;
/** A contact closer than this counts as touching, m. */
const TOUCH_DISTANCE = 1e-3;
/** Settling stops once every object moves slower than this, m/s and rad/s. */
const REST_SPEED = 0.005;
const REST_SPIN = 0.1;
/** Physics steps between at-rest checks while settling, and how many checks in a row must pass. */
const SETTLE_CHECK_STEPS = 4;
const SETTLE_REST_CHECKS = 3;
/** The palm stops descending this far above an upward-facing surface under any gripper box, m. */
const GUARD_GAP = 5e-4;
/** A surface whose normal has at least this z component blocks the descent (a floor or an object top, not a side). */
const GUARD_MIN_NORMAL_Z = 0.5;

let rapierReady: Promise<void> | null = null;

/** Initialise Rapier's wasm once per process. */
function initRapier(): Promise<void> {
  rapierReady ??= RAPIER.init();
  return rapierReady;
}

interface Finger {
  body: RAPIER.RigidBody;
  collider: RAPIER.Collider;
  joint: RAPIER.PrismaticImpulseJoint;
  /** +1 for the finger on the palm's +x side, -1 for the -x side. */
  side: 1 | -1;
}

/** A gripper box checked by the guarded descent: its shape and its centre's height above its body origin. */
interface GuardedBox {
  body: RAPIER.RigidBody;
  shape: RAPIER.Cuboid;
  offsetZ: number;
}

interface WorldObject {
  spec: ObjectSpec;
  /** Bounding-sphere radius about the body origin, m. */
  radius: number;
  body: RAPIER.RigidBody;
  colliders: RAPIER.Collider[];
}

// Scratch values handed to Rapier, so the substep loop allocates nothing.
const _v = { x: 0, y: 0, z: 0 };
const _q = { x: 0, y: 0, z: 0, w: 1 };
const _p = { x: 0, y: 0, z: 0 };
const DOWN = { x: 0, y: 0, z: -1 };

export class GraspWorld implements GraspWorldApi {
  readonly scene: SceneConfig;
  /** Gripper box dimensions (shared with the renderer through geometry.ts). */
  readonly geometry: GripperGeometry;
  /** Where the palm can be driven; targets are clamped into it. */
  readonly workspace: Workspace;

  private world: RAPIER.World | null = null;
  private objects: WorldObject[] = [];
  private palm!: RAPIER.RigidBody;
  private fingers: Finger[] = [];
  private guarded: GuardedBox[] = [];
  /** Current palm pose as driven (fingertip-height convention) and its target. */
  private readonly palmPosition: Vec3 = [0, 0, 0];
  private palmYaw = 0;
  private readonly target: Vec3 = [0, 0, 0];
  private targetYaw = 0;
  private closed = false;
  /** What stopped the last guarded descent short of its target (see GroundTruth.descentBlockedBy). */
  private blockedBy: number | 'wall' | null = null;
  /** Collider handle -> object index, and the floor's handle, to name what stopped a descent. */
  private readonly objectOfCollider = new Map<number, number>();
  private floorHandle = -1;
  /** Simulated time not yet stepped, s (advance() may ask for a fraction of a timestep). */
  private pendingTime = 0;
  /** Physics steps taken since the last reset, settling included. */
  stepsSinceReset = 0;

  constructor(scene: SceneConfig) {
    this.scene = scene;
    this.geometry = gripperGeometry(scene.gripper);
    this.workspace = gripperWorkspace(scene);
  }

  reset(objects: readonly ObjectSpec[], seed: number): void {
    // A fresh world per episode: Rapier is deterministic only for identical
    // histories, and this makes an episode depend on (objects, seed) alone.
    this.world?.free();
    const { physics } = this.scene;
    const world = new RAPIER.World({ x: 0, y: 0, z: physics.gravity });
    world.timestep = physics.timestep;
    world.numSolverIterations = physics.solverIterations;
    world.integrationParameters.contact_natural_frequency = physics.contactFrequency;
    world.lengthUnit = physics.lengthUnit;
    this.world = world;
    this.stepsSinceReset = 0;
    this.pendingTime = 0;
    this.blockedBy = null;
    this.objectOfCollider.clear();

    this.buildBin(world);
    const poses = dropPoses(objects, this.scene, new Rng(seed));
    this.objects = objects.map((spec, i) => this.addObject(world, spec, poses[i]));
    this.objects.forEach((o, i) => o.colliders.forEach((c) => this.objectOfCollider.set(c.handle, i)));
    this.settle();

    // The gripper arrives after settling, so falling objects never land on it.
    const g = this.scene.gripper;
    this.palmPosition[0] = 0;
    this.palmPosition[1] = 0;
    this.palmPosition[2] = Math.min(g.startHeight, this.workspace.max[2]);
    this.palmYaw = 0;
    this.target[0] = this.palmPosition[0];
    this.target[1] = this.palmPosition[1];
    this.target[2] = this.palmPosition[2];
    this.targetYaw = 0;
    this.buildGripper(world);
    this.setFingersClosed(false);
  }

  setGripperTarget(position: Vec3, yaw: number): void {
    const p = clampToWorkspace(position, this.workspace);
    this.target[0] = p[0];
    this.target[1] = p[1];
    this.target[2] = p[2];
    this.targetYaw = yaw;
  }

  setFingersClosed(closed: boolean): void {
    this.closed = closed;
    const speed = this.scene.gripper.fingerSpeed;
    for (const f of this.fingers) {
      // Joint coordinate = finger centre x in the palm frame; closing moves each finger toward 0.
      f.joint.configureMotorVelocity(closed ? -f.side * speed : f.side * speed, FINGER_MOTOR_DAMPING);
    }
    this.fingers[0]?.body.wakeUp();
    this.fingers[1]?.body.wakeUp();
  }

  /** Whether the fingers are commanded closed. */
  fingersClosed(): boolean {
    return this.closed;
  }

  advance(seconds: number): void {
    const dt = this.scene.physics.timestep;
    this.pendingTime += seconds;
    // Half a timestep of tolerance keeps e.g. 0.25 s at 120 Hz at exactly 30 steps.
    while (this.pendingTime > dt / 2) {
      this.pendingTime -= dt;
      this.drivePalm(dt);
      this.stepOnce();
    }
  }

  snapshot(): SceneSnapshot {
    return {
      objects: this.objects.map((o) => bodyPose(o.body)),
      gripper: {
        position: [this.palmPosition[0], this.palmPosition[1], this.palmPosition[2]],
        yaw: this.palmYaw,
        aperture: this.aperture(),
      },
    };
  }

  aperture(): number {
    const [a, b] = this.fingers;
    if (!a || !b) return 0;
    const pa = a.body.translation();
    const pb = b.body.translation();
    const c = Math.cos(this.palmYaw);
    const s = Math.sin(this.palmYaw);
    // Distance between the finger centres along the palm's x axis, minus one thickness = pad-to-pad gap.
    const centres = Math.abs((pb.x - pa.x) * c + (pb.y - pa.y) * s);
    return Math.max(0, centres - this.scene.gripper.fingerThickness);
  }

  groundTruth(): GroundTruth {
    const objectHeights = this.objects.map((o) => lowestPoint(o.spec, bodyPose(o.body)));
    const liftedObjects: number[] = [];
    objectHeights.forEach((h, i) => {
      if (h > this.scene.success.liftedHeight) liftedObjects.push(i);
    });
    const objectsBetweenFingers: number[] = [];
    this.objects.forEach((o, i) => {
      if (this.fingers.length === 2 && this.fingers.every((f) => this.touches(f.collider, o.colliders))) objectsBetweenFingers.push(i);
    });
    return { objectHeights, liftedObjects, objectsBetweenFingers, descentBlockedBy: this.blockedBy };
  }

  descentBlockedBy(): number | 'wall' | null {
    return this.blockedBy;
  }

  dispose(): void {
    this.world?.free();
    this.world = null;
    this.objects = [];
    this.fingers = [];
    this.guarded = [];
  }

  /**
   * Step until every object has been at rest for `SETTLE_REST_CHECKS`
   * consecutive checks, `SETTLE_CHECK_STEPS` apart (one check alone also
   * passes at the top of a wobble), or until `physics.settleTime` has passed.
   * Stacks and rolling objects need over a second; most episodes far less.
   */
  private settle(): void {
    const maxSteps = Math.round(this.scene.physics.settleTime / this.scene.physics.timestep);
    let restChecks = 0;
    for (let i = 1; i <= maxSteps; i++) {
      this.stepOnce();
      if (i % SETTLE_CHECK_STEPS !== 0) continue;
      restChecks = this.objects.every((o) => atRest(o.body)) ? restChecks + 1 : 0;
      if (restChecks === SETTLE_REST_CHECKS) return;
    }
  }

  private stepOnce(): void {
    stepPhysics(this.world!);
    this.stepsSinceReset++;
  }

  private drivePalm(dt: number): void {
    const g = this.scene.gripper;
    const [x0, y0, z0] = this.palmPosition;
    stepToward(this.palmPosition, this.target, g.maxSpeed * dt);
    const drop = z0 - this.palmPosition[2];
    if (drop > 0) this.palmPosition[2] = z0 - this.clearanceBelow(z0, drop, this.palmPosition[0] - x0, this.palmPosition[1] - y0);
    else if (this.palmPosition[2] >= this.target[2]) this.blockedBy = null;
    this.palmYaw = stepScalarToward(this.palmYaw, this.targetYaw, g.maxYawSpeed * dt);
    _v.x = this.palmPosition[0];
    _v.y = this.palmPosition[1];
    _v.z = this.palmPosition[2];
    this.palm.setNextKinematicTranslation(_v);
    _q.z = Math.sin(this.palmYaw / 2);
    _q.w = Math.cos(this.palmYaw / 2);
    this.palm.setNextKinematicRotation(_q);
  }

  /**
   * How far (at most `drop`) the gripper, fingertips at `tipZ`, may descend after shifting by (dx, dy)
   * before one of its boxes meets an upward-facing surface: a guarded move, as
   * a robot with a force sensor stops on contact. Without it the kinematic palm
   * would press objects through the floor.
   */
  private clearanceBelow(tipZ: number, drop: number, dx: number, dy: number): number {
    // Shape casts are the costliest part of a substep: skip them while the
    // fingertips stay above the wall tops and every object's bounding sphere.
    let top = this.scene.bin.wallHeight;
    for (const o of this.objects) top = Math.max(top, o.body.translation().z + o.radius);
    this.blockedBy = null;
    if (tipZ - drop > top + GUARD_GAP) return drop;
    let allowed = drop;
    for (const box of this.guarded) {
      const t = box.body.translation();
      _p.x = t.x + dx;
      _p.y = t.y + dy;
      _p.z = t.z + box.offsetZ;
      const hit = this.world!.castShape(_p, box.body.rotation(), DOWN, box.shape, GUARD_GAP, allowed, false, undefined, GRIPPER_GROUPS);
      if (hit && hit.normal1.z >= GUARD_MIN_NORMAL_Z && hit.time_of_impact < allowed) {
        allowed = hit.time_of_impact;
        const handle = hit.collider.handle;
        this.blockedBy = handle === this.floorHandle ? null : (this.objectOfCollider.get(handle) ?? 'wall');
      }
    }
    return allowed;
  }

  private touches(finger: RAPIER.Collider, colliders: RAPIER.Collider[]): boolean {
    // An exact distance query: the narrow phase's cached manifold distances can be stale.
    return colliders.some((c) => finger.contactCollider(c, TOUCH_DISTANCE) !== null);
  }

  private buildBin(world: RAPIER.World): void {
    const { size, wallHeight, wallThickness: t, friction } = this.scene.bin;
    const hx = size[0] / 2;
    const hy = size[1] / 2;
    const fixed = (half: Vec3, centre: Vec3): RAPIER.Collider => {
      const desc = RAPIER.ColliderDesc.cuboid(half[0], half[1], half[2])
        .setTranslation(centre[0], centre[1], centre[2])
        .setFriction(friction)
        .setCollisionGroups(STATIC_GROUPS);
      return world.createCollider(desc);
    };
    // Table slab under the floor, then the floor (top face at z = 0), then four walls around the inner area.
    fixed([hx + t + TABLE_MARGIN, hy + t + TABLE_MARGIN, TABLE_THICKNESS / 2], [0, 0, -t - TABLE_THICKNESS / 2]);
    this.floorHandle = fixed([hx + t, hy + t, t / 2], [0, 0, -t / 2]).handle;
    fixed([t / 2, hy + t, wallHeight / 2], [-hx - t / 2, 0, wallHeight / 2]);
    fixed([t / 2, hy + t, wallHeight / 2], [hx + t / 2, 0, wallHeight / 2]);
    fixed([hx, t / 2, wallHeight / 2], [0, -hy - t / 2, wallHeight / 2]);
    fixed([hx, t / 2, wallHeight / 2], [0, hy + t / 2, wallHeight / 2]);
  }

  private addObject(world: RAPIER.World, spec: ObjectSpec, pose: BodyPose): WorldObject {
    const [x, y, z] = pose.position;
    const [qx, qy, qz, qw] = pose.quaternion;
    const body = world.createRigidBody(
      RAPIER.RigidBodyDesc.dynamic().setTranslation(x, y, z).setRotation({ x: qx, y: qy, z: qz, w: qw }).setCcdEnabled(true).setAngularDamping(this.scene.physics.angularDamping),
    );
    const colliders: RAPIER.Collider[] = [];
    const massive: RAPIER.Collider[] = [];
    spec.parts.forEach((part, k) => {
      for (const { desc, contact, massive: carriesMass } of partColliders(part, `object ${spec.id}: part ${k}`)) {
        desc.setDensity(0).setFriction(spec.friction).setCollisionGroups(OBJECT_CONTACT_GROUPS[contact]);
        const collider = world.createCollider(desc, body);
        colliders.push(collider);
        if (carriesMass) massive.push(collider);
      }
    });
    // One shared density over the mass-carrying colliders gives the total mass.
    const volume = massive.reduce((sum, c) => sum + c.volume(), 0);
    for (const c of massive) c.setDensity(spec.mass / volume);
    return { spec, radius: objectRadius(spec), body, colliders };
  }

  private buildGripper(world: RAPIER.World): void {
    const g = this.scene.gripper;
    const geo = this.geometry;
    const [px, py, pz] = this.palmPosition;
    const palmRotation = quat(yawQuaternion(this.palmYaw));
    this.palm = world.createRigidBody(
      RAPIER.RigidBodyDesc.kinematicPositionBased().setTranslation(px, py, pz).setRotation(palmRotation),
    );
    const [phx, phy, phz] = geo.palmHalfExtents;
    world.createCollider(
      RAPIER.ColliderDesc.cuboid(phx, phy, phz)
        .setTranslation(0, 0, geo.palmCenterZ)
        .setFriction(g.fingerFriction)
        .setCollisionGroups(GRIPPER_GROUPS),
      this.palm,
    );

    const [fhx, fhy, fhz] = geo.fingerHalfExtents;
    const fingerVolume = 8 * fhx * fhy * fhz;
    const open = fingerCenterX(g, g.maxAperture);
    const closedX = fingerCenterX(g, 0);
    const c = Math.cos(this.palmYaw);
    const s = Math.sin(this.palmYaw);
    this.fingers = ([-1, 1] as const).map((side) => {
      const localX = side < 0 ? open[0] : open[1];
      const body = world.createRigidBody(
        RAPIER.RigidBodyDesc.dynamic()
          .setTranslation(px + c * localX, py + s * localX, pz + geo.fingerCenterZ)
          .setRotation(palmRotation)
          .setCcdEnabled(true)
          .setCanSleep(false),
      );
      const collider = world.createCollider(
        RAPIER.ColliderDesc.cuboid(fhx, fhy, fhz)
          .setDensity(FINGER_MASS / fingerVolume)
          .setFriction(g.fingerFriction)
          .setCollisionGroups(GRIPPER_GROUPS),
        body,
      );
      const params = RAPIER.JointData.prismatic({ x: 0, y: 0, z: geo.fingerCenterZ }, { x: 0, y: 0, z: 0 }, { x: 1, y: 0, z: 0 });
      params.limitsEnabled = true;
      params.limits = side < 0 ? [open[0], closedX[0]] : [closedX[1], open[1]];
      const joint = world.createImpulseJoint(params, this.palm, body, true) as RAPIER.PrismaticImpulseJoint;
      joint.setContactsEnabled(false);
      joint.configureMotorModel(RAPIER.MotorModel.ForceBased);
      joint.setMotorMaxForce(g.fingerForce);
      return { body, collider, joint, side };
    });
    this.guarded = [
      { body: this.palm, shape: new RAPIER.Cuboid(phx, phy, phz), offsetZ: geo.palmCenterZ },
      ...this.fingers.map((f) => ({ body: f.body, shape: new RAPIER.Cuboid(fhx, fhy, fhz), offsetZ: 0 })),
    ];
  }
}

/**
 * One physics step: what `World.step()` does minus its bookkeeping for soft
 * bodies. After every step, `World.step()` also wraps the bodies and colliders
 * that soft-body tearing created and drops those it removed, by walking every
 * body and collider through a wasm call each (`mapNewSoftBodies`): about a
 * tenth of a step here, growing with the collider count, for soft bodies this
 * world never has. The pipeline step is the whole of the physics.
 */
export function stepPhysics(world: RAPIER.World): void {
  world.physicsPipeline.step(
    world.gravity,
    world.integrationParameters,
    world.islands,
    world.broadPhase,
    world.narrowPhase,
    world.bodies,
    world.colliders,
    world.softBodies,
    world.impulseJoints,
    world.multibodyJoints,
    world.ccdSolver,
  );
}

function atRest(body: RAPIER.RigidBody): boolean {
  if (body.isSleeping()) return true;
  const v = body.linvel();
  const w = body.angvel();
  return v.x * v.x + v.y * v.y + v.z * v.z < REST_SPEED * REST_SPEED && w.x * w.x + w.y * w.y + w.z * w.z < REST_SPIN * REST_SPIN;
}

function quat(q: readonly [number, number, number, number]): RAPIER.Rotation {
  return { x: q[0], y: q[1], z: q[2], w: q[3] };
}

function bodyPose(body: RAPIER.RigidBody): BodyPose {
  const t = body.translation();
  const r = body.rotation();
  return { position: [t.x, t.y, t.z], quaternion: [r.x, r.y, r.z, r.w] };
}

/** A `GraspWorld` for `scene`, with Rapier initialised. Call `reset` before anything else. */
export async function createGraspWorld(scene: SceneConfig): Promise<GraspWorld> {
  await initRapier();
  return new GraspWorld(scene);
}
