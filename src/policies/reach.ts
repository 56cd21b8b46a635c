/**
 * The reach baseline: at each episode's start it draws a point of the bin floor
 * and a yaw uniformly, goes there in a straight line at full speed while descending, and grasps
 * where it arrives (or where the descent stalls on something). It reads the
 * gripper's own pose from info.privileged, never the objects.
 *
 * As bootstrap data it shows what the scripted grasper's data cannot: from the
 * same first image, moves in every direction, each followed the same way to the
 * end, so the outcome of a first move depends only on what lies where it leads.
 * The scripted grasper always heads for an object (its misses come from noise),
 * and the random policy's wandering fails whatever its first move was.
 *
 * Aimed (`aim`, a spread in m): the point is a random object's centre at the
 * first step plus Gaussian noise of that spread per axis, so most episodes end
 * near an object and some on it. Like the scripted grasper it reads the objects'
 * poses, once; unlike it, it never corrects, so success and failure come from one
 * policy whose moves differ only in where they lead.
 *
 * Aligned (`alignedYaw`, a probability): in that share of the aimed episodes the
 * yaw is the one the scripted grasper would close at on the aimed object (across
 * its narrow side) instead of a random one, so the data holds grasps at the same
 * offsets both square to the object and skewed, the contrast a slip depends on.
 */
import type { Observation, Policy, StepInfo } from '../env/index.js';
import { ACTION, ACTION_DIM } from '../env/index.js';
import type { Rng } from '../random/index.js';
import type { SceneConfig } from '../scene/index.js';
import { gripperWorkspace } from '../sim/index.js';
import { STALL_DISTANCE, clampUnit, nearestEquivalentYaw, planForObject } from './scripted.js';

/** The aimed reach's `--policy` spec, which is also its name: `reach+aim:S`, with `+yaw:P` when it squares a share P of its yaws. */
export function aimedReachSpec(aim: number, alignedYaw = 0): string {
  return `reach+aim:${aim}${alignedYaw > 0 ? `+yaw:${alignedYaw}` : ''}`;
}

/** Position error under which the gripper counts as arrived, m. */
const XY_TOLERANCE = 0.006;

export class ReachPolicy implements Policy {
  readonly name: string;
  /** Where the gripper centre may go: the points are drawn, and aimed points clamped, inside it. */
  private readonly workspace: ReturnType<typeof gripperWorkspace>;
  private target = { x: 0, y: 0, yaw: 0 };
  /** Aimed: the object (a fraction of the object count), the offset from its centre, m, and whether to square the yaw to it, applied at the first step. */
  private aimAt: { object: number; dx: number; dy: number; aligned: boolean } | null = null;
  private closing = false;
  /** Fingertip height at the previous step, m (to notice a stalled descent). */
  private lastZ = Infinity;

  constructor(
    private readonly scene: SceneConfig,
    private readonly aim: number | null = null,
    private readonly alignedYaw = 0,
  ) {
    if (alignedYaw > 0 && aim === null) throw new Error('the reach aligns its yaw only when aimed');
    this.name = aim === null ? 'reach' : aimedReachSpec(aim, alignedYaw);
    this.workspace = gripperWorkspace(scene);
  }

  reset(rng: Rng): void {
    const ws = this.workspace;
    this.target = { x: rng.range(ws.min[0], ws.max[0]), y: rng.range(ws.min[1], ws.max[1]), yaw: rng.range(-Math.PI / 2, Math.PI / 2) };
    // The alignment draw comes last and only when asked for, so unaligned aimed episodes keep their seeds' draws.
    this.aimAt =
      this.aim === null ? null : { object: rng.uniform(), dx: this.aim * rng.normal(), dy: this.aim * rng.normal(), aligned: this.alignedYaw > 0 && rng.uniform() < this.alignedYaw };
    this.closing = false;
    this.lastZ = Infinity;
  }

  act(_obs: Observation, info: StepInfo): Float32Array {
    if (this.aimAt) {
      const objects = info.privileged.snapshot.objects;
      const index = Math.floor(this.aimAt.object * objects.length);
      const [ox, oy] = objects[index]!.position;
      const ws = this.workspace;
      this.target.x = Math.min(ws.max[0], Math.max(ws.min[0], ox + this.aimAt.dx));
      this.target.y = Math.min(ws.max[1], Math.max(ws.min[1], oy + this.aimAt.dy));
      // An object no part of which fits the fingers keeps the random yaw.
      const plan = this.aimAt.aligned ? planForObject(index, info.privileged, this.scene) : null;
      if (plan) this.target.yaw = nearestEquivalentYaw(plan.yaw, info.privileged.snapshot.gripper.yaw);
      this.aimAt = null;
    }
    const g = info.privileged.snapshot.gripper;
    const a = this.scene.action;
    const action = new Float32Array(ACTION_DIM);
    action[ACTION.close] = -1;
    action[ACTION.terminate] = -1;
    if (this.closing) {
      // The fingers closed last step; terminating now lets the env lift.
      action[ACTION.close] = 1;
      action[ACTION.terminate] = 1;
      return action;
    }
    const ex = this.target.x - g.position[0];
    const ey = this.target.y - g.position[1];
    // Scaled together, so every move points at the target (the path is a straight line).
    const scale = Math.max(a.maxTranslationXY, Math.abs(ex), Math.abs(ey));
    action[ACTION.dx] = ex / scale;
    action[ACTION.dy] = ey / scale;
    action[ACTION.dyaw] = clampUnit((this.target.yaw - g.yaw) / a.maxYaw);
    // Under the height hack the env descends and grasps by itself.
    if (this.scene.episode.heightHack) return action;
    action[ACTION.dz] = -1;
    const arrived = Math.hypot(ex, ey) < XY_TOLERANCE;
    const down = g.position[2] <= a.minHeight + STALL_DISTANCE;
    const stalled = this.lastZ - g.position[2] < STALL_DISTANCE;
    this.lastZ = g.position[2];
    // Leave a step to terminate before the episode's budget ends (the env grasps then anyway).
    if ((arrived && (down || stalled)) || info.step >= this.scene.episode.maxSteps - 2) {
      action.fill(0, 0, 4);
      action[ACTION.close] = 1;
      this.closing = true;
    }
    return action;
  }
}
