/**
 * `pincer render`: a PNG of what the agent sees at the start of an episode: the
 * objects dropped and settled, the gripper open at its start pose. It is the
 * first observation of `GraspEnv.reset({ seed })`, so the same seed shows the
 * same objects, drop poses and randomized look as that episode, only at the
 * size asked for.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { LibrarySplit } from '../../objects/index.js';
import { encodePng } from '../../render/node.js';
import { parseScene, SceneError, type SceneConfig } from '../../scene/index.js';
import { UsageError } from '../errors.js';
import { emit, parseNonNegativeInt, parsePositiveInt, type OutputOptions } from '../io.js';
import { writeFileAtomic } from '../../fsutil/index.js';
import { envForSplit, resolveScene, SPLIT_FLAG } from '../scene-env.js';

/** Image side limits, px (the scene schema's camera limits). */
const MIN_SIZE = 16;
const MAX_SIZE = 1024;

interface RenderOptions extends OutputOptions {
  scene?: string;
  seed: number;
  size?: number;
  out: string;
  split: LibrarySplit;
  objects?: string;
}

/** The scene (as `pincer rollout` resolves it) with --size applied. */
function sceneFor(opts: RenderOptions): { scene: SceneConfig; source: string } {
  const { scene, source } = resolveScene(opts.scene);
  if (opts.size === undefined) return { scene, source };
  try {
    return { scene: parseScene({ ...scene, camera: { ...scene.camera, width: opts.size, height: opts.size } }, '--size'), source };
  } catch (err) {
    if (err instanceof SceneError) throw new UsageError(err.message);
    throw err;
  }
}

async function render(opts: RenderOptions): Promise<Record<string, unknown>> {
  const { scene, source } = sceneFor(opts);
  const env = await envForSplit(scene, opts.split, opts.objects);
  try {
    const { obs, info } = env.reset({ seed: opts.seed });
    const png = encodePng(obs.image, obs.imageWidth, obs.imageHeight);
    writeFileAtomic(opts.out, png);
    return {
      out: resolve(opts.out),
      width: obs.imageWidth,
      height: obs.imageHeight,
      bytes: png.length,
      seed: opts.seed,
      split: opts.objects === undefined ? opts.split : 'external',
      scene: source,
      objects: info.objectIds,
    };
  } finally {
    env.close();
  }
}

export function registerRender(program: Command): void {
  program
    .command('render')
    .description("write a PNG of an episode's first observation: objects settled in the bin, gripper at its start pose")
    .requiredOption('--out <file>', 'PNG file to write')
    .option('--scene <file>', 'scene JSON file (default: scenes/bin.json)')
    .option('--seed <s>', 'episode seed: picks the objects, their drop poses and any randomized look', parseNonNegativeInt('--seed'), 0)
    .option('--size <px>', `image width and height, px (${MIN_SIZE}-${MAX_SIZE}; default: the scene's camera size)`, (v: string) => {
      const size = parsePositiveInt('--size')(v);
      if (size < MIN_SIZE || size > MAX_SIZE) throw new UsageError(`--size must be between ${MIN_SIZE} and ${MAX_SIZE} px, got ${size}`);
      return size;
    })
    .option(...SPLIT_FLAG, 'train')
    .option('--objects <dir>', 'use the OBJ/URDF objects in this directory instead of the library split')
    .option('--json', 'print one JSON object on stdout')
    .addHelpText(
      'after',
      `
Examples:
  pincer render --scene scenes/bin.json --seed 7 --size 256 --out bin.png
  pincer render --split test --seed 3 --out test-bin.png --json
  pincer render --objects assets/my-objects --size 472 --out mine.png`,
    )
    .action(async (opts: RenderOptions) => {
      const result = await render(opts);
      emit(opts, result, (r) => `wrote ${r.out} (${r.width}x${r.height}, seed ${r.seed}, ${r.split}: ${(r.objects as string[]).join(', ')})`);
    });
}
