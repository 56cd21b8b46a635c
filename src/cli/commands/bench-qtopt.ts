/**
 * `pincer bench qtopt`: speed of the QT-Opt agent at a resolved QtOptConfig (the
 * defaults, or --config FILE): the CEM policy's milliseconds per env step on one
 * image, and the learner's gradient step (Bellman targets through the target
 * chain, then the update) on batches sampled from a replay of random episodes.
 *
 * Only the flags live here; the benchmark loads on use.
 */
import type { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from '../io.js';
import type { BenchQtOptOptions } from './bench-qtopt-run.js';

export function registerBenchQtOpt(bench: Command): void {
  bench
    .command('qtopt')
    .description("CEM policy ms per step and learner gradient-step ms of the QT-Opt agent at its config's network")
    .option('--config <file>', 'QtOptConfig JSON (default: the defaults)')
    .option('--iters <n>', 'timed iterations per measurement', parsePositiveInt('--iters'), 30)
    .option('--warmup <n>', 'untimed iterations first', parseNonNegativeInt('--warmup'), 5)
    .option('--seed <n>', 'seed for weights, replay contents and CEM', parseNonNegativeInt('--seed'), 0)
    .option('--threads <n>', "threads per learner step, as the learner runs them (default: the config's train.learnerThreads)", parsePositiveInt('--threads'))
    .option('--episode-steps <n>', "steps of each random episode in the replay (1–100, default: 20, a bin.json episode; bin-easy's are 8, and with bellman.nStep ≥ 8 no target bootstraps)", parsePositiveInt('--episode-steps'))
    .option('--json', 'print one JSON object')
    .option('--progress', 'log to stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Backend: tfjs-node if installed, else wasm; PINCER_BACKEND=node|wasm|cpu forces one.

Examples:
  pincer bench qtopt --json
  pincer bench qtopt --config runs/a/config.json --iters 50 --json
  pincer bench qtopt --config configs/bin-easy-pooled-n8.json --threads 2 --json
  pincer bench qtopt --config configs/bin-easy-pooled-n8.json --episode-steps 8 --json`,
    )
    .action(async (opts: BenchQtOptOptions) => (await import('./bench-qtopt-run.js')).benchQtOpt(opts));
}
