/**
 * `pincer bench sim`: where physics time goes. Per episode: reset (fresh Rapier
 * world, bin, convex-hull objects, settling, gripper), then `--steps` env steps
 * of random gripper motion (targets a few cm away, random yaw, fingers toggled),
 * each `scene.action.stepDuration` of simulated time. A peer measured in the
 * same run, a world with the gripper and no objects, shows the machine's load.
 *
 * Times are wall clock (performance.now) and process CPU (user + system),
 * since the project machine is shared and wall time alone is noisy.
 */
import type { Command } from 'commander';
import { sampleObjects } from '../../objects/index.js';
import { Rng } from '../../random/index.js';
import type { SceneConfig } from '../../scene/index.js';
import { createGraspWorld, type GraspWorld } from '../../sim/index.js';
import { emit, log, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';
import { resolveScene } from '../scene-env.js';
import { clock, round, since, trackLoad, type Clock } from '../bench-measure.js';

interface BenchSimOptions extends OutputOptions {
  scene?: string;
  episodes: number;
  steps: number;
  seed: number;
}

/** Milliseconds since `start`, wall and CPU, added into `acc`. */
function addSince(acc: Clock, start: Clock): void {
  const d = since(start);
  acc.wall += d.wall;
  acc.cpu += d.cpu;
}

const per = (c: Clock, n: number) => ({ wall: round(c.wall / n, 4), cpu: round(c.cpu / n, 4) });

/** Random gripper motion for `steps` env steps; returns the physics steps taken. */
function randomMotion(world: GraspWorld, scene: SceneConfig, steps: number, rng: Rng): number {
  const before = world.stepsSinceReset;
  for (let s = 0; s < steps; s++) {
    const p = world.snapshot().gripper.position;
    world.setGripperTarget([p[0] + rng.range(-0.05, 0.05), p[1] + rng.range(-0.05, 0.05), p[2] + rng.range(-0.06, 0.03)], rng.range(-1, 1));
    world.setFingersClosed(rng.bernoulli(0.3));
    world.advance(scene.action.stepDuration);
  }
  return world.stepsSinceReset - before;
}

async function benchSim(opts: BenchSimOptions): Promise<void> {
  const load = trackLoad();
  const { scene, source } = resolveScene(opts.scene);
  const world = await createGraspWorld(scene);
  // settleTime 0: the same reset without settling, i.e. world creation and body building only.
  const builder = await createGraspWorld({ ...scene, physics: { ...scene.physics, settleTime: 0 } });
  const peer = await createGraspWorld(scene);
  const rng = new Rng(opts.seed);
  const build: Clock = { wall: 0, cpu: 0 };
  const reset: Clock = { wall: 0, cpu: 0 };
  const motion: Clock = { wall: 0, cpu: 0 };
  const peerMotion: Clock = { wall: 0, cpu: 0 };
  let settleSteps = 0;
  let motionSteps = 0;
  let peerSteps = 0;
  let stillMoving = 0;
  try {
    for (let ep = 0; ep < opts.episodes; ep++) {
      const objects = sampleObjects('train', scene.objects.count, rng);
      let t = clock();
      builder.reset(objects, ep);
      addSince(build, t);
      t = clock();
      world.reset(objects, ep);
      addSince(reset, t);
      const settled = world.stepsSinceReset;
      settleSteps += settled;
      if (settled >= Math.round(scene.physics.settleTime / scene.physics.timestep)) stillMoving++;
      const motionSeed = rng.int(0, 0x7fffffff);
      t = clock();
      motionSteps += randomMotion(world, scene, opts.steps, new Rng(motionSeed));
      addSince(motion, t);
      peer.reset([], ep);
      t = clock();
      peerSteps += randomMotion(peer, scene, opts.steps, new Rng(motionSeed));
      addSince(peerMotion, t);
      log(opts, `episode ${ep + 1}/${opts.episodes}: ${settled} settle steps`);
    }
  } finally {
    world.dispose();
    builder.dispose();
    peer.dispose();
  }
  const n = opts.episodes;
  const stepsPerEnvStep = motionSteps / (n * opts.steps);
  const perStep = per(motion, motionSteps);
  emit(
    opts,
    {
      scene: source,
      objects: scene.objects.count,
      episodes: n,
      env_steps_per_episode: opts.steps,
      timestep_s: scene.physics.timestep,
      reset_ms: per(reset, n),
      build_ms: per(build, n),
      settle_steps_mean: round(settleSteps / n, 1),
      settle_ms_per_step: per({ wall: reset.wall - build.wall, cpu: reset.cpu - build.cpu }, settleSteps),
      settle_hit_cap: stillMoving,
      physics_ms_per_step: perStep,
      env_step_physics_ms: { wall: round(perStep.wall * stepsPerEnvStep, 3), cpu: round(perStep.cpu * stepsPerEnvStep, 3) },
      peer_gripper_only_ms_per_step: per(peerMotion, peerSteps),
      ...load.end(),
    },
    (r) => {
      const ms = (c: unknown) => `${(c as Clock).wall} ms wall / ${(c as Clock).cpu} ms cpu`;
      return [
        `scene ${r.scene}, ${r.objects} objects, ${r.episodes} episodes × ${r.env_steps_per_episode} env steps`,
        `reset: ${ms(r.reset_ms)} (build ${ms(r.build_ms)}; ${r.settle_steps_mean} settle steps, ${ms(r.settle_ms_per_step)} each; ${r.settle_hit_cap} hit the settle cap)`,
        `physics step: ${ms(r.physics_ms_per_step)}; per env step: ${ms(r.env_step_physics_ms)}`,
        `peer (gripper, no objects): ${ms(r.peer_gripper_only_ms_per_step)} per step`,
      ].join('\n');
    },
  );
}

export function registerBenchSim(bench: Command): void {
  bench
    .command('sim')
    .description('physics cost: reset (build + settle) and substeps under random gripper motion, with a gripper-only peer')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json)')
    .option('--episodes <n>', 'episodes to time', parsePositiveInt('--episodes'), 30)
    .option('--steps <n>', 'env steps of random gripper motion per episode', parsePositiveInt('--steps'), 20)
    .option('--seed <n>', 'seed for objects, drops and motions', parseNonNegativeInt('--seed'), 0)
    .option('--json', 'print one JSON object')
    .option('--progress', 'log progress to stderr')
    .addHelpText('after', '\nExamples:\n  pincer bench sim --json\n  pincer bench sim --episodes 100 --scene scenes/bin-easy.json --json')
    .action(benchSim);
}
