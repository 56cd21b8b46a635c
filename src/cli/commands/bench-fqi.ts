/**
 * `pincer bench fqi`: value iteration vs fitted Q iteration on a gridworld.
 * Exact (one-hot least-squares) FQI must equal VI; neural FQI (a tfjs MLP
 * regressing each iteration's Bellman targets) must come within 0.05 of Q*.
 *
 * Only the flags live here; the benchmark itself loads on use, so `pincer --help`
 * does not pay for tfjs.
 */
import type { Command } from 'commander';
import { parseNonNegativeInt, parseNumber, parsePositiveInt } from '../io.js';
import type { BenchFqiOptions } from './bench-fqi-run.js';

export function registerBenchFqi(bench: Command): void {
  bench
    .command('fqi')
    .description('value iteration vs exact and neural fitted Q iteration on a stochastic gridworld (acceptance: max |Q − Q*| ≤ 0.05)')
    .option('--slip <p>', 'probability of slipping to each perpendicular direction', parseNumber('--slip'), 0.1)
    .option('--gamma <g>', 'discount factor in [0, 1)', parseNumber('--gamma'), 0.9)
    .option('--seed <n>', 'seed for the network initialisation', parseNonNegativeInt('--seed'), 0)
    .option('--fit-steps <n>', 'full-batch Adam steps per FQI iteration', parsePositiveInt('--fit-steps'), 30)
    .option('--max-iterations <n>', 'FQI iterations at most', parsePositiveInt('--max-iterations'), 200)
    .option('--json', 'print one JSON object')
    .option('--progress', 'log progress to stderr')
    .addHelpText('after', '\nExamples:\n  pincer bench fqi --json\n  pincer bench fqi --slip 0 --gamma 0.95 --json')
    .action(async (opts: BenchFqiOptions) => (await import('./bench-fqi-run.js')).benchFqi(opts));
}
