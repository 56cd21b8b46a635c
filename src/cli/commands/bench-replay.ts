/**
 * `pincer bench replay`: replay memory per transition (from the layout, and as
 * allocated), the 1M-transition projection, and add / sample / priority-update /
 * save / load speed on image observations.
 *
 * Observation as the grasping env gives it: an S×S×3 uint8 image plus a float32
 * vector of 3 (aperture, closed, height); continuous actions of ACTION_DIM.
 *
 * Only the flags live here; the benchmark itself loads on use, so `pincer --help`
 * does not pay for tfjs.
 */
import type { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from '../io.js';
import type { BenchReplayOptions } from './bench-replay-run.js';

export function registerBenchReplay(bench: Command): void {
  bench
    .command('replay')
    .description('replay memory per transition, the 1M projection, and add/sample/save/load speed on images')
    .option('--capacity <n>', 'slots in the measured buffer', parsePositiveInt('--capacity'), 20_000)
    .option('--image <px>', 'square image size, px', parsePositiveInt('--image'), 64)
    .option('--episode-steps <n>', 'steps per filled episode (each adds one final frame)', parsePositiveInt('--episode-steps'), 20)
    .option('--batch <n>', 'batch size for sampling', parsePositiveInt('--batch'), 32)
    .option('--iters <n>', 'timed sample/update iterations', parsePositiveInt('--iters'), 500)
    .option('--seed <s>', 'seed for the fill and the sampling', parseNonNegativeInt('--seed'), 0)
    .option('--no-save', 'skip the save/load timing')
    .option('--json', 'print one JSON object on stdout')
    .option('--progress', 'log each phase on stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Examples:
  pincer bench replay --json
  pincer bench replay --capacity 100000 --image 64 --episode-steps 15 --json`,
    )
    .action(async (opts: BenchReplayOptions) => (await import('./bench-replay-run.js')).benchReplay(opts));
}
