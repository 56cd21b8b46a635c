/**
 * `pincer bench env`: env throughput with the random policy in one process,
 * and where the time goes (reset/settle, physics substeps, draw, readback,
 * end-of-episode grasp evaluation). CPU time is reported beside wall time
 * because the machine is shared: cpu-based rates move less with other load.
 */
import type { Command } from 'commander';
import { runEpisode, type PhaseTiming } from '../../env/index.js';
import { sampleObjects } from '../../objects/index.js';
import { RandomPolicy } from '../../policies/index.js';
import { deriveSeed, Rng } from '../../random/index.js';
import { createNodeRenderer } from '../../render/node.js';
import type { SceneConfig } from '../../scene/index.js';
import { createGraspWorld } from '../../sim/index.js';
import { emit, log, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';
import { envForSplit, resolveScene } from '../scene-env.js';
import { clock, round, since, trackLoad } from '../bench-measure.js';

interface BenchEnvOptions extends OutputOptions {
  scene?: string;
  episodes: number;
  warmup: number;
  seed: number;
}


function perCount(p: PhaseTiming): Record<string, number> {
  const n = Math.max(1, p.count);
  return {
    count: p.count,
    total_ms: round(p.totalMs / n),
    physics_ms: round(p.physicsMs / n),
    render_ms: round(p.renderMs / n),
    readback_ms: round(p.readbackMs / n),
    frames: round(p.frames / n),
  };
}

/** Back-to-back repetitions timed by each peer. */
const PEER_FRAMES = 100;
const PEER_SPIN_MS = 200;
/** Where the spin peer's result goes, so the loop cannot be optimised away. */
export let spinSink = 0;

/** Wall and CPU ms of `fn`, per repetition. */
function timed(reps: number, fn: () => void): { wall: number; cpu: number } {
  const t = clock();
  for (let i = 0; i < reps; i++) fn();
  const d = since(t);
  return { wall: round(d.wall / reps), cpu: round(d.cpu / reps) };
}

/**
 * Peers timed in the same run, just before the episodes, so a result can be
 * read against the machine's state: frames drawn and read back to back (no
 * physics between them, so the GL threads stay awake; compare with the
 * episodes' draw + readback per frame), and a pure-JS spin whose CPU/wall
 * ratio is the share of a core this process got.
 */
async function measurePeers(scene: SceneConfig): Promise<Record<string, unknown>> {
  const objects = sampleObjects('train', scene.objects.count, new Rng(1));
  const world = await createGraspWorld(scene);
  const renderer = await createNodeRenderer(scene, objects);
  try {
    world.reset(objects, 1);
    const snapshot = world.snapshot();
    const image = new Uint8Array(scene.camera.width * scene.camera.height * 3);
    const draw = (): void => void renderer.render(snapshot, image);
    // An untimed first round: shader compile and JIT.
    timed(PEER_FRAMES, draw);
    const frame = timed(PEER_FRAMES, draw);
    const t = clock();
    let x = 0;
    while (since(t).wall < PEER_SPIN_MS) for (let i = 0; i < 10_000; i++) x = (x * 1.000001 + i) % 1e9;
    spinSink = x;
    const spin = since(t);
    return {
      frame_back_to_back_ms: frame,
      substeps_per_env_step: Math.round(scene.action.stepDuration / scene.physics.timestep),
      core_share: round(spin.cpu / spin.wall, 2),
    };
  } finally {
    renderer.dispose();
    world.dispose();
  }
}

export function registerBenchEnv(bench: Command): void {
  bench
    .command('env')
    .description('env steps per second with the random policy, rendering included, one process; with a per-phase time breakdown')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json: 64x64, 5 objects)')
    .option('--episodes <n>', 'episodes to time', parsePositiveInt('--episodes'), 30)
    .option('--warmup <n>', 'episodes run first and not timed (shader compile, JIT)', parseNonNegativeInt('--warmup'), 2)
    .option('--seed <s>', 'seed', parseNonNegativeInt('--seed'), 0)
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'log progress on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer bench env --json
  pincer bench env --episodes 100 --json
  pincer bench env --scene scenes/bin-easy.json`,
    )
    .action(async (opts: BenchEnvOptions) => {
      const load = trackLoad();
      const { scene, source } = resolveScene(opts.scene);
      // Peers first: a second GL context alive beside the env's slows both (measured: 0.8 → 1.5 ms per frame).
      const peer = await measurePeers(scene);
      const env = await envForSplit(scene, 'train', undefined);
      const policy = new RandomPolicy();
      try {
        for (let i = 0; i < opts.warmup; i++) runEpisode(env, policy, deriveSeed(opts.seed + 1, i));
        env.resetTiming();
        let steps = 0;
        const t0 = clock();
        for (let i = 0; i < opts.episodes; i++) {
          steps += runEpisode(env, policy, deriveSeed(opts.seed, i)).record.steps.length;
          log(opts, `episode ${i + 1}/${opts.episodes}`);
        }
        const elapsed = since(t0);
        const seconds = elapsed.wall / 1000;
        const cpuSeconds = elapsed.cpu / 1000;
        const t = env.timing;
        const frames = t.reset.frames + t.step.frames + t.end.frames;
        // Reset's physics time includes building the world; only stepped phases give a per-substep cost.
        const physicsMs = t.step.physicsMs + t.end.physicsMs;
        const substeps = (t.step.physicsSeconds + t.end.physicsSeconds) / scene.physics.timestep;
        const accounted = t.reset.totalMs + t.step.totalMs + t.end.totalMs;
        const result = {
          scene: source,
          image: [scene.camera.width, scene.camera.height],
          objects: scene.objects.count,
          policy: 'random',
          episodes: opts.episodes,
          env_steps: steps,
          seconds: round(seconds),
          env_steps_per_s: round(steps / seconds, 1),
          episodes_per_s: round(opts.episodes / seconds, 2),
          env_steps_per_cpu_s: round(steps / cpuSeconds, 1),
          cpu_utilization: round(cpuSeconds / seconds, 2),
          physics_ms_per_step: round(t.step.physicsMs / Math.max(1, t.step.count)),
          physics_ms_per_substep: round(physicsMs / Math.max(1, substeps), 4),
          render_ms_per_frame: round((t.reset.renderMs + t.step.renderMs + t.end.renderMs + t.reset.readbackMs + t.step.readbackMs + t.end.readbackMs) / Math.max(1, frames)),
          breakdown: {
            reset_per_episode: perCount(t.reset),
            step_per_step: perCount(t.step),
            end_per_episode: perCount(t.end),
            policy_and_other_ms_per_step: round((seconds * 1000 - accounted) / Math.max(1, steps)),
          },
          peer,
          ...load.end(),
        };
        emit(opts, result);
      } finally {
        env.close();
      }
    });
}
