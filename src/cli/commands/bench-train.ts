/**
 * `pincer bench train`: speed of the reference Q-network (src/tf REFERENCE_QNET)
 * on the active tfjs backend: one Adam/Huber train step at batch 32, a forward
 * pass, a CEM evaluation (encoder once, head on 64 actions), and QT-Opt's
 * learner step at the default agent config (Bellman targets + gradient step,
 * split by phase). --threads N: N threads per step (bench-train-run.ts). With --peer, the same network in
 * PyTorch (scripts/bench_pytorch.py, N threads) in the same run.
 *
 * Times are medians after warm-up. Wall time is what the brief asks for; CPU
 * time (process.cpuUsage) is printed beside it because on a shared machine it
 * moves far less from run to run.
 *
 * Only the flags live here; the benchmark itself loads on use, so `pincer --help`
 * does not pay for tfjs.
 */
import type { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from '../io.js';
import type { BenchTrainOptions } from './bench-train-run.js';

export function registerBenchTrain(bench: Command): void {
  bench
    .command('train')
    .description('train-step (1 or --threads N), forward, CEM-scoring and QT-Opt learner-step speed of the reference Q-network (156,865 params, batch 32)')
    .option('--iters <n>', 'timed iterations per measurement', parsePositiveInt('--iters'), 30)
    .option('--warmup <n>', 'untimed iterations first', parseNonNegativeInt('--warmup'), 5)
    .option('--seed <n>', 'seed for weights and inputs', parseNonNegativeInt('--seed'), 0)
    .option('--threads <n>', 'threads per train step: inside the native kernels where in use (data-parallel tfjs-wasm instances timed beside), else data-parallel instances; the PyTorch peer gets as many threads', parsePositiveInt('--threads'), 1)
    .option('--soak <steps>', 'then run this many steps at --threads and sample numTensors and RSS', parseNonNegativeInt('--soak'), 0)
    .option('--peer', 'also time the same network in PyTorch (scripts/bench_pytorch.py), if python3-torch is installed', false)
    .option('--profile', 'add per-kernel milliseconds of one train step (tf.profile)', false)
    .option('--breakdown', 'add CPU milliseconds of each piece of the step (per-layer forward, gradients, optimizer)', false)
    .option('--tf-adam', "use tf.train.adam instead of pincer's JsAdam (for comparison)", false)
    .option('--json', 'print one JSON object')
    .option('--progress', 'log to stderr even when it is not a TTY')
    .addHelpText(
      'after',
      `
Backend: tfjs-node if installed, else wasm; PINCER_BACKEND=node|wasm|cpu forces one.

Examples:
  pincer bench train --json
  pincer bench train --iters 50 --peer --json
  pincer bench train --threads 2 --peer --json
  pincer bench train --threads 2 --soak 10000 --iters 3 --json
  PINCER_BACKEND=cpu pincer bench train --iters 3 --warmup 1
  pincer bench train --profile --iters 5
  pincer bench train --breakdown --iters 11 --json
  pincer bench train --tf-adam --json`,
    )
    .action(async (opts: BenchTrainOptions) => (await import('./bench-train-run.js')).benchTrain(opts));
}
