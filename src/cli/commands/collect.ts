/**
 * `pincer collect`: run a policy in GraspEnv with K collector processes and
 * write the episodes as a LeRobot v2.1 dataset (src/data). Episode i always
 * uses seed deriveSeed(seed, i), so the dataset is the same for any K.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { DatasetError, collect, parsePolicySpec, PolicySpecError, buildPolicy, type CollectResult } from '../../data/index.js';
import { loadObjectDir, type LibrarySplit } from '../../objects/node.js';
import { CheckpointError, loadTrainedPolicy, RunError } from '../../qtopt/node.js';
import { initBackend } from '../../tf/node.js';
import { PincerError, UsageError } from '../errors.js';
import { emit, parseNonNegativeInt, parsePositiveInt, showProgress, type OutputOptions } from '../io.js';
import { resolveScene, SPLIT_FLAG } from '../scene-env.js';

interface CollectFlags extends OutputOptions {
  policy: string;
  episodes: number;
  out: string;
  scene?: string;
  split: LibrarySplit;
  objects?: string;
  seed: number;
  workers: number;
  resume?: boolean;
}

export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description('collect grasp episodes with a policy into a LeRobot v2.1 dataset (parquet + PNG frames)')
    .requiredOption('--policy <spec>', 'scripted | random | mixture:scripted=0.3,random=0.7 | scripted+eps:0.2 | checkpoint:PATH')
    .requiredOption('--episodes <n>', 'episodes the dataset should hold', parsePositiveInt('--episodes'))
    .requiredOption('--out <dir>', 'dataset directory (new, empty, or an existing dataset with --resume)')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json)')
    .option(...SPLIT_FLAG, 'train')
    .option('--objects <dir>', 'use the OBJ/URDF objects in this directory instead of the library split')
    .option('--seed <s>', 'seed; episode i uses deriveSeed(seed, i)', parseNonNegativeInt('--seed'), 0)
    .option('--workers <k>', 'collector processes (each runs its own env)', parsePositiveInt('--workers'), 1)
    .option('--resume', 'continue an interrupted dataset up to --episodes (same policy, seed, split and scene)')
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'show a progress bar on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer collect --policy scripted --episodes 1000 --out data/scripted-1k --workers 2
  pincer collect --policy mixture:scripted=0.3,random=0.7 --episodes 500 --out data/mix --seed 7
  pincer collect --policy scripted+eps:0.2 --split test --episodes 200 --out data/test-eps --json
  pincer collect --policy scripted --episodes 1000 --out data/scripted-1k --resume`,
    )
    .action(async (flags: CollectFlags) => {
      const result = await runCollect(flags);
      emit(opts(flags), result as unknown as Record<string, unknown>, (r) => {
        const c = r as unknown as CollectResult;
        return [
          `${c.dir}: ${c.episodes} episodes (${c.written} new), ${c.frames} frames, ${c.successes} successes (${(c.success_rate * 100).toFixed(1)}%)`,
          `${c.episodes_per_s.toFixed(2)} episodes/s with ${c.workers} collector(s); CPU per episode: env ${c.env_cpu_ms_per_episode} ms, PNG ${c.png_cpu_ms_per_episode} ms, writer ${c.writer_cpu_ms_per_episode} ms`,
          `${(c.size_bytes / 2 ** 20).toFixed(1)} MiB on disk, ${(c.bytes_per_1000_frames / 2 ** 20).toFixed(2)} MiB per 1000 frames`,
        ].join('\n');
      });
    });
}

const opts = (flags: CollectFlags): OutputOptions => ({ json: flags.json, progress: flags.progress });

async function runCollect(flags: CollectFlags): Promise<CollectResult> {
  const { scene } = resolveScene(flags.scene);
  try {
    // Build once here so a bad --policy, or a checkpoint that is missing, corrupt or sized for
    // another camera, fails before anything is written.
    const spec = parsePolicySpec(flags.policy);
    if (spec.kind === 'checkpoint') {
      await initBackend();
      const { config, net } = loadTrainedPolicy(spec.path);
      net.dispose();
      const { imageWidth: w, imageHeight: h } = config.network;
      if (w !== scene.camera.width || h !== scene.camera.height) {
        throw new UsageError(`--policy ${flags.policy}: the network takes ${w}x${h} images, the scene's camera is ${scene.camera.width}x${scene.camera.height}`);
      }
    } else {
      buildPolicy(spec, scene);
    }
  } catch (err) {
    if (err instanceof PolicySpecError || err instanceof CheckpointError || err instanceof RunError) throw new UsageError(err.message);
    throw err;
  }
  if (flags.objects !== undefined) {
    try {
      await loadObjectDir(flags.objects);
    } catch (err) {
      throw new UsageError(`--objects ${flags.objects}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const bar = showProgress(opts(flags))
    ? new cliProgress.SingleBar(
        // noTTYOutput: --progress asks for the bar on a non-TTY stderr too (redrawn every second).
        { stream: process.stderr, format: 'collect [{bar}] {value}/{total} episodes | {successes} successes | {rate} episodes/s', noTTYOutput: true, notTTYSchedule: 1000 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let barStarted = false;
  try {
    return await collect({
      dir: flags.out,
      episodes: flags.episodes,
      seed: flags.seed,
      workers: flags.workers,
      resume: flags.resume === true,
      policy: flags.policy,
      scene,
      split: flags.split,
      objectsDir: flags.objects ?? null,
      onProgress: (p) => {
        if (!bar) return;
        if (!barStarted) bar.start(p.target, p.episodes, { successes: p.successes, rate: '-' });
        barStarted = true;
        bar.update(p.episodes, { successes: p.successes, rate: p.episodesPerS.toFixed(2) });
      },
    });
  } catch (err) {
    if (err instanceof DatasetError) throw err.usage ? new UsageError(err.message) : new PincerError(err.message);
    throw err;
  } finally {
    bar?.stop();
  }
}
